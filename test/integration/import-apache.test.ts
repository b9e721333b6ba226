// `scriptalias import-apache` as a user runs it: four real-world Apache layouts (Debian's
// sites-enabled with Include, a Django and a Flask site, a multi-vhost server with SSL) import to
// configs `check` accepts, with reports listing exactly their untranslatable lines; the imported
// Flask site serves; configs Apache would reject exit 2 with file:line and an SA_ERR_IMPORT_* code.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { tempDir, startProxy, request } from '../helpers/proxy.js';
import { makeCertificate } from '../helpers/tls.js';
import { findPython } from '../helpers/python.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** A copy of test/fixtures/apache/<name> (symlinks kept), so a test may add files (certificates). */
function copyFixture(t: ExecutionContext, name: string): string {
  const dir = path.join(tempDir(t, 'sa-import-'), name);
  cpSync(fixture('apache', name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** Report lines on stderr → "relative/file:line Directive". */
function reportLines(stderr: string, root: string): string[] {
  return stderr.split('\n').flatMap((line) => {
    const m = /^(.+?):(\d+): (\S+): (?:left out|changed): .* \[SA_WRN_IMPORT_(?:UNTRANSLATED|SEMANTICS)\]$/.exec(line);
    return m ? [`${path.relative(root, m[1]!)}:${m[2]} ${m[3]}`] : [];
  });
}

const sites = [
  { name: 'debian', conf: 'apache2.conf' },
  { name: 'django', conf: 'site.conf' },
  { name: 'flask', conf: 'site.conf' },
  { name: 'multi', conf: 'httpd.conf' },
] as const;

for (const { name, conf } of sites) {
  test(`${name}: imports to a config check accepts, the report lists exactly its untranslatable lines`, (t) => {
    const dir = copyFixture(t, name);
    if (name === 'multi') makeCertificate(path.join(dir, 'tls'), 'secure', ['secure.example.net']);
    const out = path.join(dir, 'proxy.json');
    const imported = run('import-apache', path.join(dir, conf), '-o', out);
    t.is(imported.status, 0, imported.stderr);
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected-report.json'), 'utf8')) as string[];
    t.deepEqual(reportLines(imported.stderr, dir), expected);
    const checked = run('check', out);
    t.is(checked.status, 0, checked.stderr);
  });
}

test('what the fixtures translate to: groups, aliases, hosts, TLS, safe readings', (t) => {
  const load = (name: string, conf: string): { doc: Record<string, any>; dir: string } => {
    const dir = copyFixture(t, name);
    if (name === 'multi') makeCertificate(path.join(dir, 'tls'), 'secure', ['secure.example.net']);
    const r = run('import-apache', path.join(dir, conf));
    t.is(r.status, 0, r.stderr);
    return { doc: JSON.parse(r.stdout) as Record<string, any>, dir };
  };
  const debian = load('debian', 'apache2.conf');
  const dsa = debian.doc['plugins'].scriptalias;
  t.deepEqual(debian.doc['proxy'], { port: 80, host: '0.0.0.0' });
  t.is(dsa.scriptReloading, false);
  t.deepEqual(dsa.processGroups, { example: { processes: 2, threads: 15 } });
  t.is(dsa.virtualHosts.length, 1, 'sites-available/unused.conf is not enabled');
  t.deepEqual(dsa.virtualHosts[0].scriptAlias, [`/app ${path.join(debian.dir, 'www/app/app.wsgi')} process-group=example`]);

  const django = load('django', 'site.conf').doc['plugins'].scriptalias;
  t.is(django.processGroups.mysite.pythonHome, '/opt/venvs/mysite');
  t.is(django.processGroups.mysite.maximumRequests, 1000);
  t.regex(django.virtualHosts[0].scriptAlias[0], / process-group=mysite application-group=%\{GLOBAL\} pass-authorization=On$/);

  const multi = load('multi', 'httpd.conf');
  const msa = multi.doc['plugins'].scriptalias;
  t.is(multi.doc['proxy'].port, 80);
  t.is(multi.doc['proxy'].ssl.port, 443);
  t.deepEqual(msa.virtualHosts.map((v: { serverName: string }) => v.serverName), ['shop.example.net', 'blog.example.net', 'secure.example.net']);
  t.deepEqual(msa.virtualHosts[0].scriptAlias, [`/cart ${path.join(multi.dir, 'www/shop-app/cart.wsgi')} process-group=shop application-group=%{GLOBAL}`],
    'WSGIImportScript kept as the preload rule; /legacy left out under WSGIRestrictEmbedded');
  t.deepEqual(msa.virtualHosts[1].scriptAlias, [`/blog/ ${path.join(multi.dir, 'www/blog-app/scripts')}/ process-group=blog`]);
  t.truthy(msa.virtualHosts[2].ssl);
  t.is(msa.defaults.limitRequestBody, 1048576, 'server-level LimitRequestBody → defaults');
});

test('--strict exits 2 and writes nothing when a line was left out; exits 0 when nothing was', (t) => {
  const dir = copyFixture(t, 'flask');
  const out = path.join(dir, 'proxy.json');
  t.is(run('import-apache', path.join(dir, 'site.conf'), '-o', out, '--strict').status, 2);
  t.false(existsSync(out));
  const clean = path.join(dir, 'clean.conf');
  writeFileSync(clean, 'Listen 127.0.0.1:8089\nWSGIScriptAlias /api srv/flaskapp/flaskapp.wsgi\n');
  const r = run('import-apache', clean, '-o', out, '--strict');
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(out));
});

test('the imported Flask site serves: script alias in its daemon group, static Alias, DocumentRoot', async (t) => {
  if (findPython() === null) { t.fail('no python3 found: the Flask fixture needs one'); return; }
  const dir = copyFixture(t, 'flask');
  const r = run('import-apache', path.join(dir, 'site.conf'));
  t.is(r.status, 0, r.stderr);
  const proxy = await startProxy(t, JSON.parse(r.stdout) as Record<string, unknown>, dir);
  const api = await request(proxy.url, '/api/items', { headers: { Host: 'flask.example.com' } });
  t.is(api.status, 200);
  t.is(api.body, 'flask stand-in at /api\n');
  t.is((await request(proxy.url, '/static/app.css')).body, 'static ok\n');
  t.is((await request(proxy.url, '/')).body, '<p>flask home</p>\n');
  t.is((await request(proxy.url, '/flaskapp.wsgi')).status, 404);
});

const invalid = [
  { conf: 'mismatched-section.conf', code: 'SA_ERR_IMPORT_SYNTAX', at: 'mismatched-section.conf:5' },
  { conf: 'unclosed-vhost.conf', code: 'SA_ERR_IMPORT_SYNTAX', at: 'unclosed-vhost.conf:2' },
  { conf: 'bad-daemon-option.conf', code: 'SA_ERR_IMPORT_DIRECTIVE', at: 'bad-daemon-option.conf:1' },
  { conf: 'bad-alias-option.conf', code: 'SA_ERR_IMPORT_DIRECTIVE', at: 'bad-alias-option.conf:1' },
  { conf: 'include-loop/main.conf', code: 'SA_ERR_IMPORT_INCLUDE', at: 'include-loop/a.conf:2' },
] as const;
for (const { conf, code, at } of invalid) {
  test(`a config Apache rejects (${conf}) exits 2 with file:line and ${code}, nothing written`, (t) => {
    const dir = copyFixture(t, 'invalid');
    const out = path.join(dir, 'proxy.json');
    const r = run('import-apache', path.join(dir, conf), '-o', out);
    t.is(r.status, 2);
    t.true(r.stderr.includes(`${path.join(dir, at)}:`), r.stderr);
    t.true(r.stderr.includes(`[${code}]`), r.stderr);
    t.false(existsSync(out));
  });
}

test('an Include glob over 10 000 files is refused (SA_ERR_IMPORT_INCLUDE), not read', (t) => {
  const dir = tempDir(t, 'sa-import-');
  mkdirSync(path.join(dir, 'conf.d'));
  for (let i = 0; i <= 10_000; i++) writeFileSync(path.join(dir, 'conf.d', `${i}.conf`), '');
  writeFileSync(path.join(dir, 'main.conf'), 'ServerName many.example\nIncludeOptional conf.d/*.conf\n');
  const r = run('import-apache', path.join(dir, 'main.conf'));
  t.is(r.status, 2);
  t.true(r.stderr.includes(`${path.join(dir, 'main.conf')}:2:`), r.stderr);
  t.true(r.stderr.includes('[SA_ERR_IMPORT_INCLUDE]'), r.stderr);
});

test('Define and ${VAR}, IfDefine, continuation lines and quotes are read as Apache reads them', (t) => {
  const dir = tempDir(t, 'sa-import-');
  mkdirSync(path.join(dir, 'my app'));
  writeFileSync(path.join(dir, 'my app', 'app.wsgi'), 'def application(e, s):\n    s("200 OK", [])\n    return [b""]\n');
  writeFileSync(path.join(dir, 'main.conf'), [
    'Define APPDIR "my app"', '<IfDefine APPDIR>', 'WSGIScriptAlias /a \\', '    "${APPDIR}/app.wsgi"', '</IfDefine>',
    '<IfDefine !APPDIR>', 'WSGIScriptAlias /never x.wsgi', '</IfDefine>', 'Listen 8090', '',
  ].join('\n'));
  const r = run('import-apache', path.join(dir, 'main.conf'));
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { plugins: { scriptalias: { scriptAlias: string[] } } };
  t.deepEqual(doc.plugins.scriptalias.scriptAlias, [`/a "${path.join(dir, 'my app', 'app.wsgi')}"`]);
});

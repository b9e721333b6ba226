// Static hosting beside scripts: documentRoot and alias files answer 200/304/206/HEAD through `send`,
// while no crafted path (encodings, dots, slashes, case, symlinks, overlapping roots) ever returns a
// script's source bytes. Scripts in a script directory run instead.
import test from 'ava';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';

const MARKER = 'SECRET-SOURCE-MARKER-7f3a';
const script = (answer: string): string => `// ${MARKER}\nexport function application(req, res) { res.setHeader('content-type', 'text/plain'); res.end('${answer}'); }\n`;

async function siteProxy(t: Parameters<typeof startProxy>[0]) {
  const dir = tempDir(t);
  writeTree(dir, {
    'public/index.html': '<h1>home</h1>\n',
    'public/notes.txt': 'notes\n',
    'public/asset.js': 'console.log("browser asset");\n',
    'public/.env': `TOKEN=${MARKER}\n`,
    'public/hidden.wsgi': `# ${MARKER}\ndef application(e, s): pass\n`,
    'public/hidden.py': `# ${MARKER}\n`,
    'public/cgi/run.js': script('ran-from-cgi'),
    'public/cgi/sub/deep.js': script('ran-deep'),
    'assets/style.css': 'body { color: red }\n',
    'scripts/app.js': script('ran-app'),
    'scripts/lib/helper.js': script('ran-helper'),
    'outside/secret.txt': `${MARKER}\n`,
  });
  symlinkSync(path.join(dir, 'outside', 'secret.txt'), path.join(dir, 'public', 'link-out.txt'));
  symlinkSync(path.join(dir, 'scripts', 'app.js'), path.join(dir, 'public', 'link-to-script.txt'));
  symlinkSync(path.join(dir, 'scripts'), path.join(dir, 'assets', 'scripts-link'));
  const proxy = await startProxy(t, {
    plugins: { scriptalias: {
      scriptAlias: [{ url: '/run/', path: 'scripts/', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }],
      virtualHosts: [{
        serverName: 'localhost', serverAliases: ['127.0.0.1'], documentRoot: 'public',
        alias: [{ url: '/static/', path: 'assets/' }, { url: '/src/', path: 'scripts/' }, { url: '/pub/', path: 'public/' }],
        scriptDirectories: [{ path: 'public/cgi', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }],
      }],
    } },
  }, dir);
  return proxy;
}

test('documentRoot and alias files: 200, 304 on If-None-Match, 206 on Range, HEAD without body', async (t) => {
  const { url } = await siteProxy(t);
  for (const p of ['/notes.txt', '/static/style.css']) {
    const full = await request(url, p);
    t.is(full.status, 200, p);
    t.truthy(full.headers.etag);
    t.truthy(full.headers['last-modified']);
    const cached = await request(url, p, { headers: { 'if-none-match': String(full.headers.etag) } });
    t.is(cached.status, 304, p);
    const part = await request(url, p, { headers: { range: 'bytes=0-2' } });
    t.is(part.status, 206, p);
    t.is(part.body, full.body.slice(0, 3));
    const head = await request(url, p, { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(head.body, '');
    t.is(head.headers['content-length'], String(Buffer.byteLength(full.body)));
  }
  t.is((await request(url, '/')).body, '<h1>home</h1>\n');
  t.is((await request(url, '/asset.js')).status, 200, '.js outside script folders is an asset');
});

test('scripts in a script directory and a directory alias run instead of being served', async (t) => {
  const { url } = await siteProxy(t);
  t.is((await request(url, '/cgi/run.js')).body, 'ran-from-cgi');
  t.is((await request(url, '/cgi/sub/deep.js/extra')).body, 'ran-deep');
  t.is((await request(url, '/run/app.js')).body, 'ran-app');
});

function craftedPaths(): string[] {
  const targets = ['cgi/run.js', 'cgi/sub/deep.js', 'hidden.wsgi', 'hidden.py', '.env', 'link-out.txt', 'link-to-script.txt'];
  const prefixes = ['/', '/static/', '/static/../', '/src/', '/pub/', '/pub/cgi/../', '/static/scripts-link/', '/x/../', '//', '/./', '/%2e/', '/static/%2e%2e/'];
  const variants = (name: string): string[] => [
    name, name.toUpperCase(), `${name}.`, `${name}/`, `${name}%20`, `${name}%00`, `${name}::$DATA`, `${name};x=1`,
    name.replace(/\./g, '%2e'), name.replace(/\//g, '%2f'), name.replace(/\//g, '%5c'), name.replace(/s/, '%73'),
    name.replace(/\./, '%252e'), `${name}?download=1`, `${name}#frag`,
  ];
  const paths = new Set<string>();
  for (const prefix of prefixes) for (const target of targets) for (const v of variants(target)) paths.add(prefix + v);
  for (const extra of ['/src/app.js', '/src/lib/helper.js', '/static/scripts-link/app.js',
    '/../scripts/app.js', '/%2e%2e/scripts/app.js', '/static/%2e%2e/scripts/app.js', '/static/..%2fscripts/app.js', '/pub/hidden.wsgi', '/pub/link-out.txt',
    '/static/../../outside/secret.txt', '/run/../src/app.js', '/run/lib/helper.js', '/run/lib/', '/run/']) paths.add(extra);
  return [...paths];
}

test('no crafted path returns a script source or a file outside its root (200+ paths)', async (t) => {
  const { url } = await siteProxy(t);
  const paths = craftedPaths();
  t.true(paths.length >= 200, `only ${paths.length} paths`);
  for (const p of paths) {
    const res = await request(url, p.replace(/#.*$/, ''));
    t.false(res.body.includes(MARKER), `${p} leaked source (status ${res.status})`);
    t.false([502, 503, 504].includes(res.status), `${p} answered ${res.status}`);
    t.false(/\bat .*\(.*:\d+:\d+\)/.test(res.body), `${p} has a stack trace`);
  }
});

// Apache's Alias through a real redbird: `/files` → `assets` and `/files/` → `assets/` serve the same
// files, a folder without trailing slash answers 301, with one index.html or 404, a file target
// serves that file, and no traversal leaves the alias folder. `scriptalias check` rejects a
// directory target whose trailing slash differs from its URL-path (exit 2, code and pointer).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';

const SECRET = 'OUTSIDE-SECRET-2c91';

async function aliasProxy(t: Parameters<typeof startProxy>[0]) {
  const dir = tempDir(t);
  writeTree(dir, {
    'assets/a.txt': 'file a\n',
    'assets/sub/b.txt': 'file b\n',
    'assets/docs/index.html': '<h1>docs</h1>\n',
    'assets/hidden.wsgi': `# ${SECRET}\n`,
    'public/p.txt': 'public p\n',
    'icons/fav.ico': 'ICO\n',
    'outside/secret.txt': `${SECRET}\n`,
  });
  symlinkSync(path.join(dir, 'outside', 'secret.txt'), path.join(dir, 'assets', 'link-out.txt'));
  return startProxy(t, {
    plugins: { scriptalias: {
      virtualHosts: [{
        serverName: 'localhost', serverAliases: ['127.0.0.1'],
        alias: [
          { url: '/files', path: 'assets' },
          { url: '/static/', path: 'assets/' },
          { url: '/pub', path: 'public/../public' },
          { url: '/favicon.ico', path: 'icons/fav.ico' },
        ],
      }],
    } },
  }, dir);
}

test('both slash forms serve the same files: /files → assets and /files/ → assets/', async (t) => {
  const { url } = await aliasProxy(t);
  for (const prefix of ['/files', '/static']) {
    const a = await request(url, `${prefix}/a.txt`);
    t.is(a.status, 200, prefix);
    t.is(a.body, 'file a\n');
    t.regex(String(a.headers['content-type']), /^text\/plain/);
    t.is((await request(url, `${prefix}/sub/b.txt`)).body, 'file b\n', prefix);
    t.is((await request(url, `${prefix}/missing.txt`)).status, 404, prefix);
  }
  t.is((await request(url, '/pub/p.txt')).body, 'public p\n', 'a target written with .. is resolved at config time');
  t.is((await request(url, '/filesx')).status, 404, 'segment boundary: /files does not take /filesx');
  t.is((await request(url, '/files.txt')).status, 404);
});

// Without index.html the answer is 404, not 403: the recorded Apache (conformance
// static-alias-beats-scriptalias/static-dir) answers 404, and the recording wins over DESIGN's text.
test('folders: without trailing slash 301 to path + "/", with one index.html or 404', async (t) => {
  const { url } = await aliasProxy(t);
  const top = await request(url, '/files?x=1');
  t.is(top.status, 301);
  t.true(String(top.headers.location).endsWith('/files/?x=1'), String(top.headers.location));
  const sub = await request(url, '/static/sub');
  t.is(sub.status, 301);
  t.true(String(sub.headers.location).endsWith('/static/sub/'), String(sub.headers.location));
  t.is((await request(url, '/files/')).status, 404);
  t.is((await request(url, '/static/sub/')).status, 404);
  const index = await request(url, '/files/docs/');
  t.is(index.status, 200);
  t.is(index.body, '<h1>docs</h1>\n');
  t.is((await request(url, '/static')).status, 404, '/static/ does not match /static (Apache: no alias applies)');
});

test('a file target serves that file and nothing below it', async (t) => {
  const { url } = await aliasProxy(t);
  const ico = await request(url, '/favicon.ico');
  t.is(ico.status, 200);
  t.is(ico.body, 'ICO\n');
  t.is((await request(url, '/favicon.ico/x')).status, 404);
  t.is((await request(url, '/favicon.icox')).status, 404);
});

test('traversal, encoded slashes, symlinks out of the tree and .wsgi never leave the alias folder', async (t) => {
  const { url } = await aliasProxy(t);
  for (const p of ['/files/../outside/secret.txt', '/files/%2e%2e/outside/secret.txt', '/static/..%2foutside/secret.txt',
    '/files/..%2F..%2Foutside%2Fsecret.txt', '/files/link-out.txt', '/static/link-out.txt', '/files/hidden.wsgi', '/static/hidden.wsgi',
    '/files/sub/../../outside/secret.txt', '/files%2f..%2foutside/secret.txt']) {
    const res = await request(url, p);
    t.false(res.body.includes(SECRET), `${p} leaked (status ${res.status})`);
    t.true([400, 404].includes(res.status), `${p} answered ${res.status}`);
  }
});

test('check rejects a directory alias whose trailing slash differs from its URL-path (exit 2, code, pointer, fixed form)', (t) => {
  const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
  const dir = tempDir(t);
  writeTree(dir, { 'public/p.txt': 'p\n' });
  for (const [alias, fixed] of [[{ url: '/static/', path: 'public' }, '/static/ → public/, or /static → public'],
    [{ url: '/static', path: 'public/' }, '/static/ → public/, or /static → public']] as const) {
    const file = path.join(dir, 'proxy.json');
    writeFileSync(file, JSON.stringify({ proxy: { port: 0 }, plugins: { scriptalias: { virtualHosts: [{ serverName: 'localhost', alias: [alias] }] } } }));
    const out = spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8' });
    t.is(out.status, 2, out.stderr);
    const line = out.stderr.split('\n').find((l) => l.includes('SA_ERR_CONFIG_TARGET_KIND'));
    t.truthy(line, out.stderr);
    t.true(line!.includes('/plugins/scriptalias/virtualHosts/0/alias/0/path:'), line);
    t.true(line!.includes(fixed), line);
  }
});

// A script target that does not exist (yet) is a warning, as in mod_wsgi (DESIGN §2): `check` exits 0
// and names it, `check --strict` exits 2, `serve` starts and that alias alone answers a coded 404
// until the file appears (no reload needed); static files and the other aliases serve meanwhile.
import test from 'ava';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { repoRoot } from '../helpers/paths.js';
import { waitFor } from '../helpers/events.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
const HELLO = 'module.exports.application = (req, res) => res.end("hello " + req.baseUrl);\n';

function config(): Record<string, unknown> {
  return { plugins: { scriptalias: { virtualHosts: [{
    serverName: 'localhost', documentRoot: 'public',
    scriptAlias: [
      { url: '/later', path: 'later.js' },
      { url: '/tools/', path: 'tools/' },
      { url: '/ok', path: 'ok.js' },
    ],
  }] } } };
}

test('check: a missing script is a warning with file and pointer (exit 0); --strict exits 2', (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'ok.js': HELLO, 'public/index.html': 'home\n', 'proxy.json': JSON.stringify(config()) });
  const file = path.join(dir, 'proxy.json');
  const plain = spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8' });
  t.is(plain.status, 0, plain.stderr);
  t.regex(plain.stderr, new RegExp(`warning: ${file}: /plugins/scriptalias/virtualHosts/0/scriptAlias/0/path: no such script file \\(yet\\): .*later\\.js.*\\[SA_WRN_MISSING_TARGET\\]`));
  t.regex(plain.stderr, /scriptAlias\/1\/path: no such script directory \(yet\)/);
  const strict = spawnSync(process.execPath, [cli, 'check', '--strict', file], { encoding: 'utf8' });
  t.is(strict.status, 2);
  t.regex(strict.stderr, /SA_WRN_MISSING_TARGET/);
});

test('serve: the missing alias answers a coded 404, everything else serves, and the file is picked up when it appears', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'ok.js': HELLO, 'public/index.html': 'home\n' });
  const proxy = await startProxy(t, config(), dir);
  const missing = await request(proxy.url, '/later');
  t.is(missing.status, 404);
  t.regex(missing.body, /code: SA_ERR_ROUTE_NOT_FOUND/);
  t.is((await request(proxy.url, '/tools/x.js')).status, 404);
  t.is((await request(proxy.url, '/ok')).body, 'hello /ok');
  t.is((await request(proxy.url, '/')).body, 'home\n');
  writeFileSync(path.join(dir, 'later.js'), HELLO);
  mkdirSync(path.join(dir, 'tools'));
  writeFileSync(path.join(dir, 'tools', 'x.js'), HELLO);
  const later = await waitFor('the new script to answer', async () => {
    const res = await request(proxy.url, '/later');
    return res.status === 200 ? res : undefined;
  });
  t.is(later.body, 'hello /later');
  const tool = await waitFor('the new script folder to answer', async () => {
    const res = await request(proxy.url, '/tools/x.js');
    return res.status === 200 ? res : undefined;
  });
  t.is(tool.body, 'hello /tools/x.js');
});

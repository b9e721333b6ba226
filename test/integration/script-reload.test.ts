// Editing a script under load: the inline, isolate and process-group copies pick up the new code on
// a following request (mod_wsgi's script reloading), with no failed request in between; a deleted
// script answers 404 (once the 1 s stat cache has seen it), not a crash.
import test from 'ava';
import http from 'node:http';
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';

const version = (v: string): string => `exports.application = (req, res) => res.end(${JSON.stringify(v)});\n`;

test('a script edited under load serves its new output; no request fails; a deleted script is 404', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'inline.cjs': version('v1'), 'iso.cjs': version('v1'), 'pool.cjs': version('v1') });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads: 4 } },
    scriptAlias: [
      { url: '/inline', path: 'inline.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/iso', path: 'iso.cjs', applicationGroup: 'iso' },
      { url: '/pool', path: 'pool.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' },
    ],
  } } }, dir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  t.teardown(() => agent.destroy());
  const { hostname, port } = new URL(proxy.url);
  let running = true;
  const failures: string[] = [];
  const loops = ['/inline', '/iso', '/pool'].flatMap((p) => [p, p]).map(async (p) => {
    while (running) {
      await new Promise<void>((resolve) => {
        http.get({ host: hostname, port, path: p, agent }, (res) => {
          res.resume();
          res.on('end', () => { if (res.statusCode !== 200) failures.push(`${p} ${res.statusCode}`); resolve(); });
        }).on('error', (err) => { failures.push(`${p} ${err.message}`); resolve(); });
      });
    }
  });
  for (const name of ['inline', 'iso', 'pool']) {
    t.is((await request(proxy.url, `/${name}`)).body, 'v1');
    // The editor pattern: write a new file and rename it over the old one.
    writeFileSync(path.join(dir, `${name}.tmp`), version('v2'));
    renameSync(path.join(dir, `${name}.tmp`), path.join(dir, `${name}.cjs`));
    const deadline = Date.now() + 5000;
    let body = '';
    while (Date.now() < deadline && (body = (await request(proxy.url, `/${name}`)).body) !== 'v2') { /* next request */ }
    t.is(body, 'v2', `${name} picked up the edit`);
  }
  running = false;
  await Promise.all(loops);
  t.deepEqual(failures, []);
  rmSync(path.join(dir, 'inline.cjs'));
  // The stat caches see the deletion within their TTL (1 s); until then the loaded module answers.
  const deadline = Date.now() + 5000;
  let gone = await request(proxy.url, '/inline');
  while (gone.status === 200 && Date.now() < deadline) gone = await request(proxy.url, '/inline');
  t.is(gone.status, 404);
});

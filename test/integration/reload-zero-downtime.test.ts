// Hot reload under load: while keep-alive clients hammer a script route, a pooled route and a static
// route, the config file is rewritten 10 times (groups added/removed/resized, a route changed, three
// invalid configs). Every request must succeed; valid configs become visible; invalid ones change nothing.
import test from 'ava';
import http from 'node:http';
import { writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../helpers/events.js';
import { startProxy, startCluster, tempDir, writeTree, request } from '../helpers/proxy.js';
import type { ExecutionContext } from 'ava';
import type { RuntimeStatus } from '../../plugin/index.js';

const answer = (text: string): string => `export function application(req, res) { res.setHeader('content-type', 'text/plain'); res.end(${JSON.stringify(text)} + ' ' + process.pid); }\n`;

function baseConfig(): Record<string, any> {
  return {
    plugins: { scriptalias: {
      processGroups: { main: { processes: 1, threads: 4 } },
      scriptAlias: [
        { url: '/script', path: 'scripts/a.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
        { url: '/pooled', path: 'scripts/a.js', processGroup: 'main', applicationGroup: '%{GLOBAL}' },
      ],
      virtualHosts: [{ serverName: 'localhost', serverAliases: ['127.0.0.1'], documentRoot: 'public' }],
    } },
  };
}

interface LoadResult { ok: number; bad: number; errors: string[] }

/** Keep-alive clients requesting paths in a loop until stop() is called. */
function startLoad(url: string, paths: readonly string[], clients: number): { stop(): Promise<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const { hostname, port } = new URL(url);
  const result: LoadResult = { ok: 0, bad: 0, errors: [] };
  let running = true;
  const one = (p: string): Promise<void> => new Promise((resolve) => {
    const req = http.get({ host: hostname, port, path: p, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode && res.statusCode < 300) result.ok++;
        else { result.bad++; result.errors.push(`${p} → ${res.statusCode}`); }
        resolve();
      });
    });
    req.on('error', (err) => { result.bad++; result.errors.push(`${p} → ${err.message}`); resolve(); });
  });
  const loops = Array.from({ length: clients }, async (_, i) => {
    let n = i;
    while (running) await one(paths[n++ % paths.length]!);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return result;
    },
  };
}


/** The same ten rewrites for one proxy process, or for a cluster of `proxies` (issue 14). */
async function rewritesUnderLoad(t: ExecutionContext, proxies: number): Promise<void> {
  const dir = tempDir(t);
  writeTree(dir, {
    'scripts/a.js': answer('a'), 'scripts/b.js': answer('b'), 'scripts/extra.js': answer('extra'),
    'public/index.html': 'home\n', 'public/style.css': 'body{}\n', 'more/page.txt': 'more\n',
  });
  let url: string;
  let configFile: string;
  let status: () => Promise<RuntimeStatus>;
  if (proxies === 0) {
    const proxy = await startProxy(t, baseConfig(), dir, { watch: true });
    ({ url, configFile } = proxy);
    status = async () => proxy.running.plugin.status();
  } else {
    const cluster = await startCluster(t, baseConfig(), proxies, dir, { watch: true });
    ({ url, configFile } = cluster);
    status = () => cluster.running.status();
  }
  const load = startLoad(url, ['/script', '/pooled', '/style.css'], 8);
  t.teardown(async () => { await load.stop(); });

  let config = baseConfig();
  let step = 0;
  const write = (content: string): void => {
    // Alternate plain writes and the editor pattern (write a temp file, rename it over the config).
    if (step++ % 2 === 0) writeFileSync(configFile, content);
    else { const tmp = path.join(dir, `.proxy.json.${step}.tmp`); writeFileSync(tmp, content); renameSync(tmp, configFile); }
  };
  const apply = async (label: string, change: (c: Record<string, any>) => void, visible: () => Promise<boolean>): Promise<void> => {
    const before = (await status()).generation;
    const started = Date.now();
    change(config);
    write(JSON.stringify({ ...config, proxy: { port: 0, host: '127.0.0.1', ...(proxies > 0 ? { cluster: proxies } : {}) } }, null, 2));
    await waitFor(`${label} applied`, async () => ((await status()).generation > before ? true : undefined));
    await waitFor(`${label} visible`, async () => ((await visible()) ? true : undefined));
    t.log(`${label}: visible after ${Date.now() - started} ms`);
  };
  const reject = async (label: string, content: string): Promise<void> => {
    const before = await status();
    write(content);
    await waitFor(`${label} rejected`, async () => (JSON.stringify((await status()).lastReload) !== JSON.stringify(before.lastReload) ? true : undefined));
    const after = await status();
    t.false(after.lastReload!.applied, label);
    t.is(after.generation, before.generation, `${label} left the generation alone`);
    t.regex((await request(url, '/script')).body, /^(a|b) /, `${label}: old behaviour still served`);
  };

  await apply('add group extra', (c) => {
    c.plugins.scriptalias.processGroups.extra = { processes: 1, threads: 2 };
    c.plugins.scriptalias.scriptAlias.push({ url: '/extra', path: 'scripts/extra.js', processGroup: 'extra', applicationGroup: '%{GLOBAL}' });
  }, async () => (await request(url, '/extra')).body.startsWith('extra '));
  await apply('resize main to 2 processes', (c) => { c.plugins.scriptalias.processGroups.main.processes = 2; },
    async () => (await status()).executors['pool:node:main']?.processes.filter((p) => p.state === 'ready').length === 2);
  await apply('change a route', (c) => { c.plugins.scriptalias.scriptAlias[0].path = 'scripts/b.js'; },
    async () => (await request(url, '/script')).body.startsWith('b '));
  await reject('invalid JSON', '{ "plugins": { ');
  await apply('remove group extra', (c) => {
    delete c.plugins.scriptalias.processGroups.extra;
    c.plugins.scriptalias.scriptAlias = c.plugins.scriptalias.scriptAlias.filter((a: { url: string }) => a.url !== '/extra');
  }, async () => (await request(url, '/extra')).status === 404);
  await reject('schema error', JSON.stringify({ ...config, plugins: { scriptalias: { ...config.plugins.scriptalias, processGroups: { main: { threads: -1 } } } } }));
  await apply('add a static alias', (c) => { c.plugins.scriptalias.virtualHosts[0].alias = [{ url: '/more/', path: 'more/' }]; },
    async () => (await request(url, '/more/page.txt')).body === 'more\n');
  await reject('unknown process group', JSON.stringify({ ...config, plugins: { scriptalias: { ...config.plugins.scriptalias, scriptAlias: [{ url: '/x', path: 'scripts/a.js', processGroup: 'nowhere' }] } } }));
  await apply('resize main back to 1 process', (c) => { c.plugins.scriptalias.processGroups.main.processes = 1; },
    async () => (await status()).executors['pool:node:main']?.processes.length === 1);
  await apply('change the route back', (c) => { c.plugins.scriptalias.scriptAlias[0].path = 'scripts/a.js'; },
    async () => (await request(url, '/script')).body.startsWith('a '));

  const result = await load.stop();
  t.log(`${result.ok} requests ok during the reloads`);
  t.deepEqual(result.errors.slice(0, 10), []);
  t.is(result.bad, 0);
  t.true(result.ok > 100);
}

test('10 config rewrites under load: 0 failed requests; valid ones visible, invalid ones change nothing (SA_ERR_RELOAD_FAILED)', (t) => rewritesUnderLoad(t, 0));

test('the same under cluster: 2 (the primary reloads once, both proxies swap): 0 failed requests', (t) => rewritesUnderLoad(t, 2));

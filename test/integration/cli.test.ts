// The `scriptalias` CLI as a user runs it: `check` finds each kind of bad config at its JSON pointer
// and exits 2; `serve` answers script aliases (inline, in its own pid), leaves other paths to
// redbird's routes, and stops cleanly on SIGTERM and SIGINT, leaving no worker process behind.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync, copyFileSync } from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { startCli } from '../helpers/cli.js';
import { tempDir, json, request } from '../helpers/proxy.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

function writeConfig(dir: string, scriptalias: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, ...extra, plugins: { scriptalias: scriptalias } }, null, 2));
  return file;
}

function check(file: string): { status: number | null; stderr: string } {
  const out = spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8' });
  return { status: out.status, stderr: out.stderr };
}


function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Waits (bounded) until pid is gone: the worker notices its parent left through its IPC channel. */
async function waitGone(pid: number, limitMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

test('check accepts a valid config (exit 0)', (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const out = check(writeConfig(dir, { scriptAlias: [{ url: '/app', path: 'app.js' }] }));
  t.is(out.status, 0, out.stderr);
});

const badConfigs: Array<[string, Record<string, unknown>, string, string]> = [
  ['unknown key', { scriptAlias: [{ url: '/app', path: 'app.js', bogus: 1 }] }, '/plugins/scriptalias/scriptAlias/0/bogus', 'SA_ERR_CONFIG_SCHEMA'],
  ['undefined process group', { scriptAlias: [{ url: '/app', path: 'app.js', processGroup: 'nope' }] }, '/plugins/scriptalias/scriptAlias/0/processGroup', 'SA_ERR_CONFIG_UNKNOWN_GROUP'],
  ['missing document root', { virtualHosts: [{ serverName: 'a', documentRoot: 'no-such-folder' }] }, '/plugins/scriptalias/virtualHosts/0/documentRoot', 'SA_ERR_CONFIG_MISSING_TARGET'],
  ['negative threads', { processGroups: { g: { threads: -1 } }, scriptAlias: [] }, '/plugins/scriptalias/processGroups/g/threads', 'SA_ERR_CONFIG_SCHEMA'],
  ['malformed directive string', { scriptAlias: ['/app app.js process-group'] }, '/plugins/scriptalias/scriptAlias/0', 'SA_ERR_CONFIG_DIRECTIVE'],
];
for (const [what, scriptalias, pointer, code] of badConfigs) {
  test(`check rejects ${what} at ${pointer} (${code}, exit 2)`, (t) => {
    const dir = tempDir(t);
    copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
    const out = check(writeConfig(dir, scriptalias));
    t.is(out.status, 2);
    const line = out.stderr.split('\n').find((l) => l.includes(code));
    t.truthy(line, out.stderr);
    t.true(line!.includes(`${pointer}:`), `expected pointer ${pointer} in: ${line}`);
    t.true(line!.includes(path.join(dir, 'proxy.json')), 'names the file');
  });
}

test('serve with an invalid config exits 2 and starts nothing', (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const out = spawnSync(process.execPath, [cli, 'serve', writeConfig(dir, { scriptAlias: [{ url: '/app', path: 'app.js', processGroup: 'nope' }] })], { encoding: 'utf8', timeout: 20_000 });
  t.is(out.status, 2);
  t.regex(out.stderr, /SA_ERR_CONFIG_UNKNOWN_GROUP/);
});

test('serve answers a file alias with baseUrl/url from the original URL, inline in its own pid; /application is 404; a redbird route still proxies', async (t) => {
  const upstream = http.createServer((req, res) => res.end(`upstream ${req.url}`));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.teardown(() => upstream.close());
  const upstreamPort = (upstream.address() as { port: number }).port;
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const file = writeConfig(dir, { scriptAlias: [{ url: '/app', path: 'app.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }] },
    { routes: [{ src: '127.0.0.1/api', target: `http://127.0.0.1:${upstreamPort}` }] });
  const { child, url } = await startCli(t, file);

  const res = await json<{ pid: number; baseUrl: string; url: string; originalUrl: string }>(url, '/app/x/y?q=1');
  t.is(res.status, 200);
  t.is(res.body.baseUrl, '/app');
  t.is(res.body.url, '/x/y?q=1');
  t.is(res.body.originalUrl, '/app/x/y?q=1');
  t.is(res.body.pid, child.pid!, 'inline: runs in the proxy process');

  t.is((await request(url, '/application')).status, 404);
  const proxied = await request(url, '/api/thing');
  t.is(proxied.status, 200);
  t.is(proxied.body, 'upstream /thing');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.is(code, 0);
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after serve gets ${signal}, no worker process remains`, async (t) => {
    const dir = tempDir(t);
    copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
    const file = writeConfig(dir, {
      processGroups: { pool: { processes: 2, threads: 2 } },
      scriptAlias: [{ url: '/pooled', path: 'app.js', processGroup: 'pool', applicationGroup: '%{GLOBAL}' }],
    });
    const { child, url } = await startCli(t, file);
    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++) {
      const answers = await Promise.all([json<{ pid: number }>(url, '/pooled'), json<{ pid: number }>(url, '/pooled')]);
      for (const a of answers) pids.add(a.body.pid);
    }
    t.false(pids.has(child.pid!), 'runs in worker processes, not the proxy');
    t.true(pids.size >= 1);
    child.kill(signal);
    await once(child, 'exit');
    for (const pid of pids) t.true(await waitGone(pid), `worker ${pid} still alive after ${signal}`);
  });
}

test('status and reload through the admin socket: status shows per-process facts; reload applies an edited config', async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const scriptalias = {
    statusSocket: 'admin.sock',
    processGroups: { pool: { processes: 1, threads: 2 } },
    scriptAlias: [{ url: '/pooled', path: 'app.js', processGroup: 'pool', applicationGroup: '%{GLOBAL}' }],
  };
  const file = writeConfig(dir, scriptalias);
  const { child, url } = await startCli(t, file);
  const status = spawnSync(process.execPath, [cli, 'status', file, '--json'], { encoding: 'utf8' });
  t.is(status.status, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { generation: number; executors: Record<string, { processes: Array<{ pid: number; state: string; rssBytes: number }> }> };
  t.is(report.generation, 1);
  const processes = report.executors['pool:node:pool']!.processes;
  t.is(processes.length, 1);
  t.is(processes[0]!.state, 'ready');
  t.true(processes[0]!.rssBytes > 0);

  writeConfig(dir, { ...scriptalias, scriptAlias: [...scriptalias.scriptAlias, { url: '/second', path: 'app.js' }] });
  t.is((await request(url, '/second')).status, 404, '--no-watch: not applied by itself');
  const reload = spawnSync(process.execPath, [cli, 'reload', file], { encoding: 'utf8' });
  t.is(reload.status, 0, reload.stderr);
  t.regex(reload.stdout, /^reloaded: generation 2\n {2}aliases added: \/second\n$/);
  t.is((await request(url, '/second')).status, 200);
  child.kill('SIGTERM');
  await once(child, 'exit');
});

// Cluster mode (issue 14): `proxy.cluster: 2` forks two proxy processes sharing the port while the
// primary holds each group's workers once. Requests through either proxy reach only the group's own
// workers; a proxy killed under load costs only its in-flight requests and is back at once; the
// primary's SIGTERM stops everything and its SIGKILL leaves no process behind.
import test from 'ava';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { startCluster, tempDir, writeTree, request } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';
import { serveCli } from '../helpers/cli.js';
import { hasWrk, startWrk } from '../helpers/wrk.js';
import { scrape, sample, promtool } from '../helpers/metrics.js';
import { makeCertificate, httpsGet } from '../helpers/tls.js';
import path from 'node:path';


const PID_SCRIPT = `module.exports = (req, res) => setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ pid: process.pid, ppid: process.ppid })); }, Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0));\n`;

/** Says it started (a file beside it), answers 300 ms later. */
const SLOW_SCRIPT = `const fs = require('node:fs'); const path = require('node:path');
module.exports = (req, res) => { fs.writeFileSync(path.join(__dirname, 'started'), ''); setTimeout(() => res.end(JSON.stringify({ pid: process.pid, ppid: process.ppid })), 300); };\n`;

/** The pooled script: notes each import (pid) beside it, so preloads can be counted. */
const POOLED_SCRIPT = `require('node:fs').appendFileSync(require('node:path').join(__dirname, 'imports.log'), process.pid + '\\n');\n` + PID_SCRIPT;

const config = (): Record<string, unknown> => ({
  plugins: { scriptalias: {
    processGroups: { app: { processes: 2, threads: 8 } },
    scriptAlias: [
      { url: '/pool', path: 'pooled.cjs', processGroup: 'app', applicationGroup: '%{GLOBAL}' },
      { url: '/inline', path: 'pid.cjs' },
      { url: '/slow', path: 'slow.cjs', processGroup: 'app', applicationGroup: '%{GLOBAL}' },
    ],
  } },
});

/** One request on a new connection (node:cluster deals connections to proxies in turn). */
async function pidOf(url: string, route: string): Promise<{ pid: number; ppid: number }> {
  const res = await request(url, route);
  if (res.status !== 200) throw new Error(`${route}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as { pid: number; ppid: number };
}

/** Processes whose parent is `ppid` and whose command line matches `pattern`. */
function childrenOf(ppid: number, pattern: RegExp): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (parent === ppid && pattern.test(cmdline)) found.push(Number(entry));
    } catch { /* gone meanwhile */ }
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test.serial('cluster: 2 with a group of 2 processes: both proxies answer, every pooled request reports one of the 2 worker pids, ps shows exactly 2 workers', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const { url, running } = await startCluster(t, config(), 2, dir);
  const proxies = running.proxyPids();
  t.is(proxies.length, 2);
  const inline = new Set<number>();
  for (let i = 0; i < 8; i++) inline.add((await pidOf(url, '/inline')).pid);
  t.deepEqual([...inline].sort(), [...proxies].sort(), 'inline scripts run in each proxy process');

  const workers = childrenOf(process.pid, /^scriptalias:app\b/);
  t.is(workers.length, 2, `worker processes of group app: ${workers.join(', ')}`);
  // Concurrent slow requests on fresh connections, so both proxies dispatch and both workers are busy.
  const answers = await Promise.all(Array.from({ length: 24 }, () => pidOf(url, '/pool?ms=50')));
  const seen = new Set(answers.map((a) => a.pid));
  t.deepEqual([...seen].sort(), [...workers].sort(), 'requests through either proxy reach only the group\'s 2 workers');
  t.true(answers.every((a) => a.ppid === process.pid), 'the workers are the primary\'s children, not a proxy\'s');

  // Both group options on the alias: preloaded when each worker starts — once per worker, never per proxy.
  const imports = readFileSync(path.join(dir, 'imports.log'), 'utf8').trim().split('\n').map(Number);
  t.deepEqual(imports.sort(), [...workers].sort(), 'pooled.cjs imported once in each worker, in no proxy');

  const status = await running.status();
  t.deepEqual(status.proxies.map((p) => p.pid).sort(), [...proxies].sort());
  const pool = status.executors['pool:node:app']!;
  t.deepEqual(pool.processes.map((p) => p.pid).sort(), [...workers].sort());
  t.true(pool.served >= 24, `served ${pool.served}`);
});

(hasWrk || process.env.CI ? test.serial : test.skip)('kill -9 of one proxy under wrk: at most its in-flight requests fail, the worker pids stay, a new proxy serves within 1 s', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const { url, running } = await startCluster(t, config(), 2, dir);
  const workersBefore = childrenOf(process.pid, /^scriptalias:app\b/).sort();
  const connections = 8;
  // wrk at nice 19: "back within 1 s" times the proxies, not how long the test's own probes wait for
  // a core behind wrk while the suite's other files run beside this one.
  const { done } = startWrk(t, ['-t1', `-c${connections}`, '-d4s', `${url}/pool`], 19);
  // Kill once load is flowing through both proxies.
  await waitFor('load on the pool', async () => ((await running.status()).executors['pool:node:app']!.served > 500 ? true : undefined));
  await waitFor('the standby proxy to be ready', () => running.standbyPid() ?? undefined);
  const [victim, survivor] = running.proxyPids();
  const killedAt = Date.now();
  process.kill(victim!, 'SIGKILL');
  const replacement = await waitFor('a new proxy process', () => running.proxyPids().find((pid) => pid !== victim && pid !== survivor), 5_000);
  // "Back" = the new proxy answers: fresh connections alternate between proxies, so a few requests reach it.
  await waitFor('the new proxy answers', async () => {
    for (let i = 0; i < 4; i++) if ((await pidOf(url, '/inline')).pid === replacement) return true;
    return undefined;
  }, 5_000);
  const backMs = Date.now() - killedAt;
  t.log(`proxy ${victim} killed; ${replacement} answering after ${backMs} ms`);
  t.true(backMs < 1_000, `back after ${backMs} ms`);
  const { code, out, requests, non2xx, socketErrorCount: errors } = await done;
  t.is(code, 0);
  t.log(out.trim());
  t.true(requests > 1000, `${requests} requests`);
  // wrk's connections to the killed proxy (about half) had at most one request each in flight.
  t.true(non2xx + errors <= connections, `${non2xx} non-2xx + ${errors} socket errors`);
  t.deepEqual(childrenOf(process.pid, /^scriptalias:app\b/).sort(), workersBefore, 'the pool processes kept their pids');
});

/** `scriptalias serve` with cluster: 2 as a child (the primary), resolved when it listens. */
async function startPrimary(t: Parameters<typeof tempDir>[0], dir: string): Promise<{ pid: number; url: string; dir: string; exited: Promise<number | null> }> {
  const file = path.join(dir, 'proxy.json');
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT, 'slow.cjs': SLOW_SCRIPT, 'proxy.json': JSON.stringify({ ...config(), proxy: { port: 0, host: '127.0.0.1', cluster: 2 } }) });
  const { child, url } = await serveCli(t, [file, '--no-watch']);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { pid: child.pid!, url, dir, exited };
}

test.serial('SIGTERM to the primary drains and stops every proxy and worker (exit 0); SIGKILL leaves no process behind', async (t) => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const primary = await startPrimary(t, tempDir(t));
    t.is((await pidOf(primary.url, '/pool')).ppid, primary.pid);
    // Two proxies and the standby that takes a dead one's place.
    const proxies = await waitFor('2 proxies and a standby', () => {
      const found = childrenOf(primary.pid, /^scriptalias:(proxy|standby)\b/);
      return found.length === 3 ? found : undefined;
    });
    const workers = childrenOf(primary.pid, /^scriptalias:app\b/);
    t.is(workers.length, 2, `${signal}: workers`);
    // A slow request in flight: a graceful stop lets it finish.
    const slow = signal === 'SIGTERM' ? pidOf(primary.url, '/slow') : null;
    if (slow) await waitFor('the slow request to be in flight', () => (existsSync(path.join(primary.dir, 'started')) ? true : undefined));
    process.kill(primary.pid, signal);
    if (slow) t.is((await slow).ppid, primary.pid, 'the in-flight request was answered');
    const code = await primary.exited;
    if (signal === 'SIGTERM') t.is(code, 0);
    await waitFor(`${signal}: every proxy and worker gone`, () => ([...proxies, ...workers].every((pid) => !alive(pid)) ? true : undefined), 10_000);
    t.pass();
  }
});

test.serial('a reload that fails validation in the primary changes nothing in any proxy', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const { url, running, configFile } = await startCluster(t, config(), 2, dir);
  const before = await running.status();
  writeFileSync(configFile, JSON.stringify({ proxy: { port: 0, cluster: 2 }, plugins: { scriptalias: { processGroups: { app: { threads: -1 } } } } }));
  const report = await running.reload();
  t.false(report.applied);
  t.is(report.error?.code, 'SA_ERR_CONFIG_INVALID');
  const after = await running.status();
  t.is(after.generation, before.generation);
  t.deepEqual(after.proxies.map((p) => p.generation), before.proxies.map((p) => p.generation));
  for (let i = 0; i < 4; i++) t.is((await pidOf(url, '/pool')).ppid, process.pid, 'both proxies still serve the old config');
});

test.serial('metrics in cluster mode: one listener in the primary; requests through both proxies add up, the pool\'s workers counted once; promtool-clean', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const withMetrics = config() as { plugins: { scriptalias: Record<string, unknown> } };
  withMetrics.plugins.scriptalias.metrics = { listen: '127.0.0.1:0' };
  const { url, running } = await startCluster(t, withMetrics, 2, dir);
  t.truthy(running.metricsUrl);
  const through = new Set<number>();
  for (let i = 0; i < 10; i++) through.add((await pidOf(url, '/inline')).pid);
  for (let i = 0; i < 10; i++) await pidOf(url, '/pool');
  t.is(through.size, 2, 'the requests went through both proxies');
  const text = (await scrape(running.metricsUrl!)).body;
  promtool(t, text);
  t.is(sample(text, 'scriptalias_requests_total', { vhost: 'localhost', group: 'app', code: '200' }), 10);
  t.is(sample(text, 'scriptalias_requests_total', { vhost: 'localhost', group: '', code: '200' }), 10);
  t.is(sample(text, 'scriptalias_workers', { group: 'app', state: 'ready' }), 2);
  t.is(sample(text, 'scriptalias_config_generation'), 1);
  t.is(sample(text, 'scriptalias_request_duration_seconds_count', { group: 'app' }), 10);
});

test.serial('HTTPS in cluster mode: both proxies share the TLS port and serve inline and pooled scripts over it', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const cert = makeCertificate(dir, 'site', ['localhost']);
  const withTls = { ...config(), proxy: { ssl: { port: 0, key: 'site.key', cert: 'site.crt' } } };
  const { running } = await startCluster(t, withTls, 2, dir);
  const [httpsPort] = running.httpsPorts;
  t.truthy(httpsPort);
  const through = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const answer = await httpsGet(httpsPort!, 'localhost', '/inline', cert.pem);
    t.is(answer.status, 200);
    through.add((JSON.parse(answer.body) as { pid: number }).pid);
  }
  t.deepEqual([...through].sort(), running.proxyPids().sort(), 'TLS connections reach both proxies');
  const pooled = await httpsGet(httpsPort!, 'localhost', '/pool', cert.pem);
  t.is((JSON.parse(pooled.body) as { ppid: number }).ppid, process.pid);
});

test.serial('a graceful close while a new standby is still booting stops it too (a message it could not hear yet would leave close() waiting forever)', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'pid.cjs': PID_SCRIPT, 'pooled.cjs': POOLED_SCRIPT });
  const { running } = await startCluster(t, config(), 2, dir);
  await waitFor('the standby proxy to be ready', () => running.standbyPid() ?? undefined);
  const [victim, survivor] = running.proxyPids();
  process.kill(victim!, 'SIGKILL');
  // The standby takes the place and a new one starts booting behind it: close now.
  await waitFor('the standby taking the place', () => running.proxyPids().find((pid) => pid !== victim && pid !== survivor));
  const closed = await Promise.race([running.close().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000).unref())]);
  t.true(closed, 'close() finished');
  t.deepEqual(childrenOf(process.pid, /^scriptalias:(proxy|standby)\b|proxy-main\.js/), [], 'no proxy process left');
});

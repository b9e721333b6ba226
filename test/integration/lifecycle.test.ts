// One lifecycle for every executor (src/executor/lifecycle.ts): close() is graceful and a second call
// joins the first; destroy() is immediate, also while a close() runs, and reaches an old generation
// that is still draining; handle() after close answers 503; a Python worker drains every realm.
import test from 'ava';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';
import { waitFor } from '../helpers/events.js';
import { silentLogger } from '../../src/log.js';
import { createInlineExecutor } from '../../src/executor/inline.js';
import { createIsolatePool } from '../../src/executor/isolate-pool.js';
import type { Executor } from '../../src/executor/executor.js';
import type { ScriptJob } from '../../src/protocol/job.js';
import type { RunningProxy } from '../../plugin/serve.js';

const python = findPython();
const HANG = 'module.exports.application = () => { /* never answers */ };\n';
const SLOW = 'module.exports.application = (req, res) => setTimeout(() => res.end("done"), 600);\n';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function groupPids(running: RunningProxy, group: string): number[] {
  return Object.values(running.plugin.status().executors).filter((e) => e.processGroup === group).flatMap((e) => e.processes.map((p) => p.pid));
}

function inFlight(running: RunningProxy, group: string): number {
  return Object.values(running.plugin.status().executors).filter((e) => e.processGroup === group).reduce((n, e) => n + e.inFlight, 0);
}

/** A request whose outcome (answer or socket error) is kept, never thrown. */
function attempt(url: string, rawPath: string): Promise<{ status: number; body: string } | { error: string }> {
  return request(url, rawPath).then((r) => ({ status: r.status, body: r.body }), (err: Error) => ({ error: err.message }));
}

test('close() waits for in-flight requests, and a second close() joins the first; destroy() afterwards is harmless', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'slow.cjs': SLOW });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads: 2 } },
    scriptAlias: [{ url: '/slow', path: 'slow.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const [pid] = groupPids(proxy.running, 'g');
  const answer = attempt(proxy.url, '/slow');
  await waitFor('the request to be in flight', () => (inFlight(proxy.running, 'g') === 1 ? true : undefined));
  const first = proxy.running.plugin.close();
  const second = proxy.running.plugin.close();
  await Promise.all([first, second]);
  t.deepEqual(await answer, { status: 200, body: 'done' }, 'the in-flight request finished');
  t.false(alive(pid!), 'the worker stopped');
  await proxy.running.plugin.destroy();
});

test('destroy() during a graceful close() cuts the hanging request and stops the workers at once', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'hang.cjs': HANG });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads: 2, gracefulTimeout: 120 } },
    scriptAlias: [{ url: '/hang', path: 'hang.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const [pid] = groupPids(proxy.running, 'g');
  const answer = attempt(proxy.url, '/hang');
  await waitFor('the request to be in flight', () => (inFlight(proxy.running, 'g') === 1 ? true : undefined));
  let closed = false;
  const closing = proxy.running.plugin.close().then(() => { closed = true; });
  t.false(closed, 'close() waits for the hanging request (gracefulTimeout 120 s)');
  await proxy.running.plugin.destroy();
  t.false(alive(pid!), 'destroy() killed the worker');
  const outcome = await answer;
  t.true('error' in outcome || outcome.status >= 500, `the hanging request was cut: ${JSON.stringify(outcome)}`);
  await closing;
});

test('destroy() also stops an old generation that is still draining after a reload', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'hang.cjs': HANG });
  const config = (threads: number): Record<string, unknown> => ({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads, gracefulTimeout: 120 } },
    scriptAlias: [{ url: '/hang', path: 'hang.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } });
  const proxy = await startProxy(t, config(2), dir);
  const [oldPid] = groupPids(proxy.running, 'g');
  const answer = attempt(proxy.url, '/hang');
  await waitFor('the request to be in flight', () => (inFlight(proxy.running, 'g') === 1 ? true : undefined));
  writeFileSync(proxy.configFile, JSON.stringify(config(3)));
  await proxy.running.reload();
  const [newPid] = groupPids(proxy.running, 'g');
  t.not(newPid, oldPid, 'the changed group started anew');
  t.true(alive(oldPid!), 'the old worker drains its hanging request');
  await proxy.running.destroy();
  t.false(alive(oldPid!), 'destroy() reached the draining old generation');
  t.false(alive(newPid!));
  const outcome = await answer;
  t.true('error' in outcome || outcome.status >= 500, JSON.stringify(outcome));
});

function job(reqId: string, applicationGroup: string, script: string): ScriptJob {
  return {
    script, callable: 'application', scriptName: '/x', pathInfo: '', url: '/', queryString: '', processGroup: '', applicationGroup,
    multiprocess: false, multithread: true, runOnce: false, passAuthorization: false, reloading: false, reqId,
    remoteAddr: '127.0.0.1', remotePort: 1, serverName: 'localhost', serverPort: 80, urlScheme: 'http', encrypted: false, peerAddr: '127.0.0.1', localPort: 80,
  };
}

for (const kind of ['inline', 'isolate'] as const) {
  test(`${kind}: handle() after close() answers 503 SA_ERR_POOL_UNAVAILABLE, before it the script`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-life-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'hello.cjs');
    writeFileSync(script, 'module.exports.application = (req, res) => res.end("hello");\n');
    const executor: Executor = kind === 'inline'
      ? createInlineExecutor({ log: silentLogger() })
      : createIsolatePool({ log: silentLogger(), socketDir: dir, preload: [] });
    t.teardown(() => executor.destroy());
    await executor.start();
    let seq = 0;
    const server = http.createServer((req, res) => executor.handle(job(`t-${++seq}`, kind === 'inline' ? '' : 'app', script), req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.teardown(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    t.is((await request(url, '/')).body, 'hello');
    await Promise.all([executor.close(), executor.close()]);
    t.is(executor.status().state, 'closed');
    const after = await request(url, '/');
    t.is(after.status, 503);
    t.regex(after.body, /code: SA_ERR_POOL_UNAVAILABLE/);
    t.is(after.headers['retry-after'], '1');
  });
}

test('Python: a graceful stop lets every realm (sub-interpreter application groups too) finish its requests', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'slow.wsgi': pythonApp('slow') });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python,
    processGroups: { py: { processes: 1, threads: 4, runtime: 'python', python } },
    scriptAlias: [
      { url: '/main', path: 'slow.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' },
      { url: '/sub', path: 'slow.wsgi', processGroup: 'py', applicationGroup: 'sub' },
    ],
  } } }, dir);
  // Make the sub-interpreter realm exist first, so the slow request below is in flight at the stop.
  t.is((await request(proxy.url, '/sub')).body, 'done sub');
  const [pid] = groupPids(proxy.running, 'py');
  // Only the application group's realm is busy: the main realm has nothing to wait for.
  const answer = attempt(proxy.url, '/sub');
  await waitFor('the request to be in flight', () => (inFlight(proxy.running, 'py') === 1 ? true : undefined));
  await proxy.running.plugin.close();
  t.deepEqual(await answer, { status: 200, body: 'done sub' });
  t.false(alive(pid!));
});

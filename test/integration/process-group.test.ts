// Named process groups (mod_wsgi daemon mode) through the real proxy: scripts run in warm worker
// processes, spread over them, queue and answer 503 when full, preload before the first request,
// keep module state per application group, and survive crashes, hangs and recycling.
import test from 'ava';
import http from 'node:http';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../helpers/events.js';
import { startProxy, tempDir, json, request, type TestProxy } from '../helpers/proxy.js';
import { fixture } from '../helpers/paths.js';
import { checkPausedClientStallsOnlyItsStream } from '../helpers/flood.js';
import type { RuntimeStatus } from '../../plugin/index.js';

interface Report { pid: number; count: number; loadedAt: number; now: number; appGroup: string }

async function poolProxy(t: Parameters<typeof startProxy>[0], groups: Record<string, unknown>, aliases: unknown[]): Promise<TestProxy> {
  const dir = tempDir(t);
  for (const name of ['report.cjs', 'crash.cjs', 'hang.cjs', 'flood.cjs']) copyFileSync(fixture('pool', name), path.join(dir, name));
  return startProxy(t, { plugins: { scriptalias: { processGroups: groups, scriptAlias: aliases } } }, dir);
}

const status = (proxy: TestProxy): RuntimeStatus => proxy.running.plugin.status();


test('a named group runs in another pid; 50 concurrent slow requests spread over both processes', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 2, threads: 30 } }, [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const answers = await Promise.all(Array.from({ length: 50 }, () => json<Report>(proxy.url, '/r?delay=100')));
  const pids = new Set(answers.map((a) => a.body.pid));
  t.false(pids.has(process.pid));
  t.is(pids.size, 2);
  t.true(answers.every((a) => a.status === 200));
});

test('threads 1, listenBacklog 2: 5 concurrent requests → 1 running, 2 queued, 2 × 503 with Retry-After (SA_ERR_POOL_QUEUE_FULL)', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1, threads: 1, listenBacklog: 2 } },
    [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  // The running request takes 4 s; everything below waits on status() events, which take milliseconds.
  const running = request(proxy.url, '/r?delay=4000');
  await waitFor('the first request to run', () => (status(proxy).executors['pool:node:g']!.inFlight === 1 ? true : undefined));
  const queued = [request(proxy.url, '/r'), request(proxy.url, '/r')];
  await waitFor('two queued', () => (status(proxy).executors['pool:node:g']!.queued === 2 ? true : undefined));
  const refused = await Promise.all([request(proxy.url, '/r'), request(proxy.url, '/r')]);
  for (const r of refused) {
    t.is(r.status, 503);
    t.is(r.headers['retry-after'], '1');
    t.regex(r.body, /SA_ERR_POOL_QUEUE_FULL/);
  }
  t.is((await running).status, 200);
  const served = await Promise.all(queued);
  for (const q of served) t.is(q.status, 200);
  t.deepEqual(served.map((q) => (JSON.parse(q.body) as Report).count).sort(), [2, 3], 'the queued ones ran after it; the refused never ran');
});

test('queueTimeout: a request waiting longer gets 503 (SA_ERR_POOL_QUEUE_TIMEOUT) and never runs', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1, threads: 1, queueTimeout: 0.2 } },
    [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const running = request(proxy.url, '/r?delay=1500');
  await waitFor('the first request to run', () => (status(proxy).executors['pool:node:g']!.inFlight === 1 ? true : undefined));
  const late = await request(proxy.url, '/r');
  t.is(late.status, 503);
  t.regex(late.body, /SA_ERR_POOL_QUEUE_TIMEOUT/);
  const first = JSON.parse((await running).body) as Report;
  t.is(first.count, 1, 'the timed-out request never ran');
});

test('preload: a script with both groups on its alias is imported before the first request, and again after a recycle', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1, threads: 2, maximumRequests: 2 } }, [
    { url: '/pre', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' },
    { url: '/lazy', path: 'crash.cjs', processGroup: 'g' },
  ]);
  const sentAt = Date.now();
  const first = await json<Report>(proxy.url, '/pre');
  t.true(first.body.loadedAt < sentAt, 'loaded before the request was sent');
  await json<Report>(proxy.url, '/pre');  // the second request recycles the process (maximumRequests 2)
  const afterRecycle = await waitFor('a new process', async () => {
    const r = await json<Report>(proxy.url, '/pre');
    return r.body.pid !== first.body.pid ? r : undefined;
  });
  t.is(afterRecycle.body.count, 1, 'fresh module in the new process');
});

test('non-preloaded: the module is imported on its first request', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1 } }, [{ url: '/lazy', path: 'report.cjs', processGroup: 'g' }]);
  const sentAt = Date.now();
  const first = await json<Report>(proxy.url, '/lazy');
  t.true(first.body.loadedAt >= sentAt - 5, 'loaded by the request');
});

test('two application groups in one process keep separate module state; two aliases in one group share it', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1 } }, [
    { url: '/a1', path: 'report.cjs', processGroup: 'g', applicationGroup: 'A' },
    { url: '/a2', path: 'report.cjs', processGroup: 'g', applicationGroup: 'A' },
    { url: '/b', path: 'report.cjs', processGroup: 'g', applicationGroup: 'B' },
  ]);
  const a1 = await json<Report>(proxy.url, '/a1');
  const a2 = await json<Report>(proxy.url, '/a2');
  const b = await json<Report>(proxy.url, '/b');
  t.is(a1.body.count, 1);
  t.is(a2.body.count, 2, 'same group, same module');
  t.is(b.body.count, 1, 'other group, own module');
  t.is(a1.body.pid, b.body.pid, 'same process');
});

test('a script that exits the process answers 502 (SA_ERR_SCRIPT_CRASHED); the next request is served by a new process', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1 } }, [{ url: '/c', path: 'crash.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const before = await request(proxy.url, '/c/ok');
  const crashed = await request(proxy.url, '/c/die');
  t.is(crashed.status, 502);
  t.regex(crashed.body, /SA_ERR_SCRIPT_CRASHED/);
  const after = await waitFor('a respawned process', async () => {
    const r = await request(proxy.url, '/c/ok');
    return r.status === 200 ? r : undefined;
  });
  t.not(after.body, before.body, 'another pid');
});

test('requestTimeout: a hanging request gets 504 (SA_ERR_SCRIPT_TIMEOUT) and its process is replaced', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1, threads: 4, requestTimeout: 0.5, gracefulTimeout: 0.5, shutdownTimeout: 0.5 } },
    [{ url: '/h', path: 'hang.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const before = await request(proxy.url, '/h/ok');
  const hung = await request(proxy.url, '/h/hang');
  t.is(hung.status, 504);
  t.regex(hung.body, /SA_ERR_SCRIPT_TIMEOUT/);
  const after = await waitFor('a replacement process', async () => {
    const r = await request(proxy.url, '/h/ok');
    return r.status === 200 && r.body !== before.body ? r : undefined;
  });
  t.regex(after.body, /^ok \d+$/);
});

test('maximumRequests under concurrent load: zero failures across recycles, several pids', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 2, threads: 4, maximumRequests: 10 } },
    [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  const pids = new Set<number>();
  let failures = 0;
  let sent = 0;
  // A process past maximumRequests serves on until its replacement is ready (no gap), so how many
  // requests it takes to see new pids depends on how fast processes boot: send until two
  // replacements have answered (the deadline only ends a run whose recycling is broken).
  const deadline = Date.now() + 60_000;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (pids.size < 4 && Date.now() < deadline) {
      sent++;
      const r = await json<Report>(proxy.url, '/r?delay=5').catch(() => null);
      if (!r || r.status !== 200) failures++;
      else pids.add(r.body.pid);
    }
  }));
  t.is(failures, 0);
  t.log(`${pids.size} pids after ${sent} requests`);
  t.true(pids.size >= 4, `${pids.size} pids after ${sent} requests`);
  t.true((status(proxy).executors['pool:node:g']!.restartsByReason?.maximumRequests ?? 0) >= 2);
});

test('kill -9 of a worker under load: only its in-flight requests fail and the pool is back to full strength', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 2, threads: 8 } }, [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  const first = status(proxy).executors['pool:node:g']!.processes;
  t.is(first.length, 2);
  const victim = first[0]!.pid;
  const survivor = first[1]!.pid;
  const results = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    if (i === 20) process.kill(victim, 'SIGKILL');
    return json<Report>(proxy.url, '/r?delay=20').catch(() => ({ status: 0, body: { pid: -1 } as Report }));
  }));
  for (const r of results) if (r.status !== 200) t.not(r.body.pid, survivor, 'only the killed worker\'s requests may fail');
  const back = await waitFor('two ready processes', () => {
    const ready = status(proxy).executors['pool:node:g']!.processes.filter((p) => p.state === 'ready');
    return ready.length === 2 && !ready.some((p) => p.pid === victim) ? ready : undefined;
  });
  t.is(back.length, 2);
});

test('a client that stops reading stalls only its own stream: the script waits for drain with bounded bytes out, other requests flow', async (t) => {
  const proxy = await poolProxy(t, { g: { processes: 1, threads: 4 } },
    [{ url: '/f', path: 'flood.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }]);
  // Stalled = waiting for 'drain' with the same count; each look goes to the same worker process.
  await checkPausedClientStallsOnlyItsStream(t, proxy.url, 'the script', 'drain');
});

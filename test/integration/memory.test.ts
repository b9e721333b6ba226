// Memory limits with leaking scripts: maximumMemory recycles a named group's worker process
// gracefully (no request fails, restart reason memory); defaults.memoryLimit caps each isolate's
// heap: an isolate that leaks past it dies, its request gets 503, the next one a fresh thread,
// and the proxy (this test process) stays up.
import test from 'ava';
import { startProxy, tempDir, writeTree, request, type TestProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';
import type { RuntimeStatus } from '../../plugin/index.js';

// Keeps ~20 MiB of touched memory per request (Buffer.alloc zero-fills: the pages are resident).
const LEAK_RSS = `
const kept = [];
exports.application = (req, res) => {
  kept.push(Buffer.alloc(20 * 1024 * 1024, 1));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid, kept: kept.length }));
};
`;

// Keeps ~16 MiB of V8 heap (a packed double array) per request: what an isolate's memoryLimit counts.
const LEAK_HEAP = `
const kept = [];
exports.application = (req, res) => {
  const n = Number(new URL(req.url, 'http://x').searchParams.get('n') ?? 1);
  for (let i = 0; i < n; i++) kept.push(new Array(2 * 1024 * 1024).fill(Math.random()));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ kept: kept.length }));
};
`;

const status = (proxy: TestProxy): RuntimeStatus => proxy.running.plugin.status();

test('maximumMemory 120: a leaking worker is replaced after a few requests; every sequential request answers 200', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'leak.cjs': LEAK_RSS });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads: 4, maximumMemory: 120 } },
    scriptAlias: [{ url: '/leak', path: 'leak.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const distinct = new Set<number>();
  // The worker over the limit serves on until its replacement is ready: send until the replacement
  // has answered (how many requests that takes depends on how fast a process boots; the deadline only
  // ends a run whose recycling is broken), and at least 10.
  const deadline = Date.now() + 60_000;
  for (let i = 0; (distinct.size < 2 || i < 10) && Date.now() < deadline; i++) {
    const answer = await request(proxy.url, '/leak');
    t.is(answer.status, 200, `request ${i}: ${answer.body}`);
    if (answer.status !== 200) break;
    const { pid } = JSON.parse(answer.body) as { pid: number };
    distinct.add(pid);
  }
  t.true(distinct.size >= 2, `the worker was replaced (pids ${[...distinct].join(', ')})`);
  t.false(distinct.has(process.pid));
  const group = await waitFor('memory restarts in status', () => {
    const g = status(proxy).executors['pool:node:g'];
    return g && (g.restartsByReason?.memory ?? 0) >= 1 ? g : undefined;
  });
  t.is(group.restartsByReason?.crash ?? 0, 0, 'no worker crashed');
  t.true((group.restartsByReason?.memory ?? 0) >= distinct.size - 1);
  // Every process left is under the limit (or starting): the leak never ran away.
  for (const p of group.processes) if (p.rssBytes !== null) t.true(p.rssBytes < 400 * 1024 * 1024, `rss ${p.rssBytes}`);
});

test('memoryLimit 64: a leaking isolate dies, its request gets 503 (SA_ERR_POOL_UNAVAILABLE), the next one 200; the proxy stays up', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'leak.cjs': LEAK_HEAP });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    defaults: { memoryLimit: 64 },
    scriptAlias: [{ url: '/leak', path: 'leak.cjs', applicationGroup: 'leaky' }],
  } } }, dir);
  const first = await request(proxy.url, '/leak');
  t.is(first.status, 200, first.body);
  const failures: { status: number; body: string }[] = [];
  for (let i = 0; i < 20 && failures.length === 0; i++) {
    const answer = await request(proxy.url, '/leak?n=2');
    if (answer.status !== 200) failures.push(answer);
  }
  t.is(failures.length, 1, 'the isolate ran out of memory within 20 requests of 32 MiB');
  t.is(failures[0]?.status, 503);
  t.regex(failures[0]?.body ?? '', /SA_ERR_POOL_UNAVAILABLE/);
  const next = await request(proxy.url, '/leak');
  t.is(next.status, 200, next.body);
  t.is((JSON.parse(next.body) as { kept: number }).kept, 1, 'a fresh isolate (its module state is new)');
  const iso = status(proxy).executors['isolate'];
  t.truthy(iso, Object.keys(status(proxy).executors).join(', '));
  t.is(iso?.restartsByReason?.memory, 1);
  t.is(iso?.processes[0]?.pid, process.pid, 'the proxy process is the same one');
});

// Every path has a deadline when one is set (DESIGN §5): defaults.requestTimeout (1 s here) bounds
// the global process group (inline and isolates) and is the requestTimeout of a named group that
// sets none. Past it: 504 SA_ERR_SCRIPT_TIMEOUT within deadline + 0.5 s, the rest of the proxy
// answering at once; an isolate's thread is terminated (even mid CPU loop) and replaced.
import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import { startProxy, tempDir, writeTree, request, json, type TestProxy, type SimpleResponse } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';
import type { RuntimeStatus } from '../../plugin/index.js';

const DEADLINE_MS = 1000;
const SLACK_MS = 500;

const SCRIPTS = {
  'never.cjs': 'exports.application = () => { /* never answers */ };\n',
  'spin.cjs': 'exports.application = () => { for (;;) { /* CPU loop: only terminating the thread ends it */ } };\n',
  'slow.cjs': "exports.application = (req, res) => { setTimeout(() => res.end('slow'), 5000); };\n",
  'partial.cjs': "exports.application = (req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part'); };\n",
  // Answers long after the deadline: every call on the answered res must be harmless.
  'late.cjs': [
    'exports.application = (req, res) => {',
    '  setTimeout(() => {',
    "    res.setHeader('x-late', '1'); res.writeHead(200); res.write('late'); res.end('!');",
    '    globalThis.__saLateDone = true;',
    '  }, 1300);',
    '};',
    '',
  ].join('\n'),
  'ok.cjs': [
    "const { threadId } = require('node:worker_threads');",
    "exports.application = (req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ threadId, pid: process.pid })); };",
    '',
  ].join('\n'),
};

interface Who { threadId: number; pid: number }

async function deadlineProxy(t: ExecutionContext, aliases: unknown[], processGroups: Record<string, unknown> = {}): Promise<TestProxy> {
  const dir = tempDir(t);
  writeTree(dir, SCRIPTS);
  return startProxy(t, { plugins: { scriptalias: { defaults: { requestTimeout: DEADLINE_MS / 1000 }, processGroups, scriptAlias: aliases } } }, dir);
}

const inline = { processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' };

async function timed(url: string, rawPath: string): Promise<SimpleResponse & { ms: number }> {
  const start = Date.now();
  const res = await request(url, rawPath);
  return { ...res, ms: Date.now() - start };
}

function assertTimedOut(t: ExecutionContext, res: SimpleResponse & { ms: number }): void {
  t.is(res.status, 504);
  t.regex(res.body, /code: SA_ERR_SCRIPT_TIMEOUT/);
  t.true(res.ms >= DEADLINE_MS - 50, `answered after ${res.ms} ms, before the deadline`);
  t.true(res.ms < DEADLINE_MS + SLACK_MS, `answered after ${res.ms} ms`);
}

async function assertQuick200(t: ExecutionContext, url: string, rawPath: string): Promise<Who> {
  const start = Date.now();
  const res = await json<Who>(url, rawPath);
  const ms = Date.now() - start;
  t.is(res.status, 200);
  // "At once": well under a deadline, so it never waited on the stuck request (a fresh isolate thread
  // may start here; a busy 2-core CI machine makes that take a few hundred ms).
  t.true(ms < DEADLINE_MS, `${rawPath} took ${ms} ms`);
  return res.body;
}

const status = (proxy: TestProxy): RuntimeStatus => proxy.running.plugin.status();

test.serial('inline: a never-answering script gets 504 by the deadline; its late writes are harmless; the proxy answers at once', async (t) => {
  const proxy = await deadlineProxy(t, [
    { url: '/never', path: 'never.cjs', ...inline },
    { url: '/late', path: 'late.cjs', ...inline },
    { url: '/main', path: 'ok.cjs', ...inline },
  ]);
  assertTimedOut(t, await timed(proxy.url, '/never'));
  t.is((await assertQuick200(t, proxy.url, '/main')).pid, process.pid);
  assertTimedOut(t, await timed(proxy.url, '/late'));
  await waitFor('the late script to write to its answered res', () => ((globalThis as { __saLateDone?: boolean }).__saLateDone ? true : undefined));
  await assertQuick200(t, proxy.url, '/main');
});

test.serial('inline: a script that started its answer and then hangs has its connection cut at the deadline', async (t) => {
  const proxy = await deadlineProxy(t, [{ url: '/partial', path: 'partial.cjs', ...inline }, { url: '/main', path: 'ok.cjs', ...inline }]);
  const { hostname, port } = new URL(proxy.url);
  const start = Date.now();
  const outcome = await new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: '/partial', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
    });
    req.on('error', reject);
  });
  const ms = Date.now() - start;
  t.is(outcome.status, 200);
  t.is(outcome.body, 'part');
  t.false(outcome.complete);
  t.true(ms >= DEADLINE_MS - 50 && ms < DEADLINE_MS + SLACK_MS, `cut after ${ms} ms`);
  await assertQuick200(t, proxy.url, '/main');
});

for (const [name, script] of [['never-answering', 'never.cjs'], ['while(true){}', 'spin.cjs']] as const) {
  test.serial(`isolate: a ${name} script gets 504 by the deadline; its thread is replaced, other groups untouched`, async (t) => {
    const proxy = await deadlineProxy(t, [
      { url: '/stuck', path: script, applicationGroup: 'iso' },
      { url: '/ok', path: 'ok.cjs', applicationGroup: 'iso' },
      { url: '/other', path: 'ok.cjs', applicationGroup: 'other' },
      { url: '/main', path: 'ok.cjs', ...inline },
    ]);
    const before = await assertQuick200(t, proxy.url, '/ok');
    const other = await assertQuick200(t, proxy.url, '/other');
    t.not(before.threadId, other.threadId);

    assertTimedOut(t, await timed(proxy.url, '/stuck'));
    await assertQuick200(t, proxy.url, '/main');
    t.is((await assertQuick200(t, proxy.url, '/other')).threadId, other.threadId);
    // The same application group answers again, from a fresh thread (a new thread is started lazily).
    const after = await json<Who>(proxy.url, '/ok');
    t.is(after.status, 200);
    t.not(after.body.threadId, before.threadId);
    t.is(after.body.pid, process.pid);
    t.is(status(proxy).executors['isolate']?.restarts, 1);
  });
}

// Waits instead of spinning: a CPU loop here would starve the other test files running beside this one.
test.serial('isolate: the other in-flight requests of a terminated thread end at once with 502, nothing hangs', async (t) => {
  const proxy = await deadlineProxy(t, [
    { url: '/slow', path: 'slow.cjs', applicationGroup: 'iso' },
    { url: '/never', path: 'never.cjs', applicationGroup: 'iso' },
    { url: '/ok', path: 'ok.cjs', applicationGroup: 'iso' },
  ]);
  await assertQuick200(t, proxy.url, '/ok');
  // The never-answering request is in flight first, so it reaches its deadline first.
  const start = Date.now();
  const waiting = timed(proxy.url, '/never');
  await waitFor('the first request in flight', () => (status(proxy).executors['isolate']!.inFlight === 1 ? true : undefined));
  const slow = request(proxy.url, '/slow');
  const [first, second] = await Promise.all([waiting, slow]);
  const ms = Date.now() - start;
  assertTimedOut(t, first);
  t.is(second.status, 502);
  t.regex(second.body, /code: SA_ERR_SCRIPT_CRASHED/);
  t.true(ms < DEADLINE_MS + SLACK_MS, `both answered after ${ms} ms`);
  t.is((await json<Who>(proxy.url, '/ok')).status, 200);
});

test.serial('a named group without its own requestTimeout inherits defaults.requestTimeout', async (t) => {
  const proxy = await deadlineProxy(t, [
    { url: '/g', path: 'never.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' },
    { url: '/main', path: 'ok.cjs', ...inline },
  ], { g: { processes: 1, threads: 2, gracefulTimeout: 0.5, shutdownTimeout: 0.5 } });
  assertTimedOut(t, await timed(proxy.url, '/g'));
  await assertQuick200(t, proxy.url, '/main');
});

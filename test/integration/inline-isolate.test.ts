// The executors inside the proxy process: inline (%{GLOBAL}/%{GLOBAL}, the proxy's own thread) and
// isolates (a worker thread per application group). An unmodified Express app, ESM default exports,
// throwing scripts (500, nothing leaked, the next request served), module state per group, and
// 100 MiB bodies both ways in bounded memory.
import test from 'ava';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startProxy, tempDir, json, request, uploadMiB, downloadBytes, type TestProxy } from '../helpers/proxy.js';
import { fixture, repoRoot } from '../helpers/paths.js';

interface Counter { count: number; pid: number; threadId: number; appGroup: string }

async function proxyWith(t: Parameters<typeof startProxy>[0], aliases: unknown[]): Promise<TestProxy> {
  const dir = tempDir(t);
  for (const name of readdirSync(fixture('scripts'))) copyFileSync(fixture('scripts', name), path.join(dir, name));
  return startProxy(t, { plugins: { scriptalias: { scriptAlias: aliases } } }, dir);
}

test('inline: an unmodified Express app routes on PATH_INFO and runs in the proxy process', async (t) => {
  const proxy = await proxyWith(t, [{ url: '/ex', path: path.join(repoRoot, 'examples', 'basic', 'scripts', 'express-app.cjs'), processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }]);
  const user = await json<{ user: string }>(proxy.url, '/ex/users/7');
  t.is(user.status, 200);
  t.is(user.body.user, '7');
  const root = await json<{ pid: number }>(proxy.url, '/ex/');
  t.is(root.body.pid, process.pid);
});

test('an ESM default export is the callable', async (t) => {
  const proxy = await proxyWith(t, [{ url: '/esm', path: 'esm-hello.mjs' }]);
  t.is((await request(proxy.url, '/esm/x?y=1')).body, 'esm /esm /x?y=1');
});

for (const where of ['inline', 'isolate'] as const) {
  test(`${where}: a throwing script answers 500 (SA_ERR_SCRIPT_FAILED) without its message, and the next request is served`, async (t) => {
    const groups = where === 'inline' ? { processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' } : { applicationGroup: 'iso' };
    const proxy = await proxyWith(t, [{ url: '/t', path: 'throws.cjs', ...groups }, { url: '/l', path: 'throws-at-load.cjs', ...groups }]);
    const boom = await request(proxy.url, '/t/boom');
    t.is(boom.status, 500);
    t.regex(boom.body, /SA_ERR_SCRIPT_FAILED/);
    t.false(boom.body.includes('secret-boom-detail'));
    t.is((await request(proxy.url, '/t/ok')).body, 'fine');
    for (let i = 0; i < 2; i++) {
      const load = await request(proxy.url, '/l');
      t.is(load.status, 500);
      t.regex(load.body, /SA_ERR_SCRIPT_LOAD_FAILED/);
      t.false(load.body.includes('secret-load-detail'));
    }
  });
}

test('isolates: two application groups keep separate module state in other threads; one group shares it', async (t) => {
  const proxy = await proxyWith(t, [
    { url: '/a', path: 'counter.cjs', applicationGroup: 'A' },
    { url: '/a2', path: 'counter.cjs', applicationGroup: 'A' },
    { url: '/b', path: 'counter.cjs', applicationGroup: 'B' },
    { url: '/main', path: 'counter.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
  ]);
  const a = await json<Counter>(proxy.url, '/a');
  const a2 = await json<Counter>(proxy.url, '/a2');
  const b = await json<Counter>(proxy.url, '/b');
  const main = await json<Counter>(proxy.url, '/main');
  t.deepEqual([a.body.count, a2.body.count, b.body.count, main.body.count], [1, 2, 1, 1]);
  t.is(a.body.pid, process.pid, 'isolates live in the proxy process');
  t.not(a.body.threadId, 0);
  t.not(a.body.threadId, b.body.threadId);
  t.is(main.body.threadId, 0, 'inline runs on the main thread');
});

test('isolate: a 100 MiB upload and a 100 MiB download stream through in bounded memory', async (t) => {
  const proxy = await proxyWith(t, [{ url: '/s', path: 'stream.cjs', applicationGroup: 'streams' }]);
  await request(proxy.url, '/s/download?mb=1');  // warm the thread
  const before = process.memoryUsage().rss;
  const uploaded = await uploadMiB(proxy.url, '/s/upload', 100);
  t.is(uploaded, String(100 * (1 << 20)));
  const downloaded = await downloadBytes(proxy.url, '/s/download?mb=100');
  t.is(downloaded, 100 * (1 << 20));
  const grownMiB = (process.memoryUsage().rss - before) / (1 << 20);
  t.log(`RSS growth of the test process (proxy and isolate included): ${grownMiB.toFixed(1)} MiB for 200 MiB moved`);
  // Buffering either body whole would add at least 100 MiB; streaming stays well under that.
  t.true(grownMiB < 90, `RSS grew ${grownMiB.toFixed(1)} MiB`);
});

// Python WSGI behind the real proxy: an unmodified Flask app and a plain WSGI script in a named
// Python group, a .wsgi script in the global group (companion processes), crash/timeout answers, and
// wsgiref.validate passing on every request, and a client that stops reading stalling only its stream.
import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { startProxy, tempDir, writeTree, request, json, uploadMiB, downloadBytes, type TestProxy } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';
import { waitFor } from '../helpers/events.js';
import { checkPausedClientStallsOnlyItsStream } from '../helpers/flood.js';

const flaskPython = findPython(['flask']);
const anyPython = findPython();

const validated = pythonApp('validated');

test('an unmodified Flask app and a wsgiref-validated script answer through a named Python group', async (t) => {
  if (!flaskPython) { t.fail('no python3 with flask (install python3-flask)'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'plain.wsgi': validated });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python: flaskPython,
    processGroups: { py: { processes: 1, threads: 4, runtime: 'python', python: flaskPython } },
    scriptAlias: [
      { url: '/flask', path: path.join(repoRoot, 'examples', 'flask', 'app.wsgi'), processGroup: 'py', applicationGroup: '%{GLOBAL}' },
      { url: '/plain', path: 'plain.wsgi', processGroup: 'py', applicationGroup: 'plain' },
    ],
  } } }, dir);
  const user = await json<{ user: number; path_info: string }>(proxy.url, '/flask/users/7');
  t.is(user.status, 200);
  t.deepEqual(user.body, { user: 7, path_info: '/users/7' });
  const echo = await json<{ length: number }>(proxy.url, '/flask/echo', { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'application/octet-stream' } });
  t.is(echo.body.length, 100_000);
  const plain = await request(proxy.url, '/plain/a%20b?x=1');
  t.is(plain.status, 200);
  t.is(plain.body, '/plain|/a b|x=1|py');
});

test('a .wsgi script in the global process group runs in a companion Python process', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'pid.wsgi': pythonApp('pid') });
  const proxy = await startProxy(t, { plugins: { scriptalias: { python: anyPython, scriptAlias: [{ url: '/pid', path: 'pid.wsgi' }] } } }, dir);
  const res = await request(proxy.url, '/pid');
  t.is(res.status, 200);
  t.not(Number(res.body), process.pid);
});

test('Python errors: missing callable 404, import error 500 without traceback, non-iterable or CR/LF in a header 500 (SA_ERR_SCRIPT_FAILED)', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, {
    'nocall.wsgi': pythonApp('no-callable'),
    'importerr.wsgi': pythonApp('import-error'),
    'noniter.wsgi': pythonApp('non-iterable'),
    'inject.wsgi': pythonApp('header-injection'),
  });
  const proxy = await startProxy(t, { plugins: { scriptalias: { python: anyPython,
    processGroups: { py: { runtime: 'python', python: anyPython } },
    scriptAlias: ['/nocall nocall.wsgi process-group=py', '/importerr importerr.wsgi process-group=py', '/noniter noniter.wsgi process-group=py', '/inject inject.wsgi process-group=py'] } } }, dir);
  const nocall = await request(proxy.url, '/nocall');
  t.is(nocall.status, 404);
  t.regex(nocall.body, /SA_ERR_SCRIPT_NO_CALLABLE/);
  for (let i = 0; i < 2; i++) {
    const failed = await request(proxy.url, '/importerr');
    t.is(failed.status, 500);
    t.regex(failed.body, /SA_ERR_SCRIPT_LOAD_FAILED/);
    t.false(failed.body.includes('boom-at-import'));
    t.false(failed.body.includes('Traceback'));
  }
  const noniter = await request(proxy.url, '/noniter');
  t.is(noniter.status, 500);
  t.regex(noniter.body, /SA_ERR_SCRIPT_FAILED/);
  const inject = await request(proxy.url, '/inject');
  t.is(inject.status, 500, 'a line break in a header value is refused, never passed on');
  t.regex(inject.body, /SA_ERR_SCRIPT_FAILED/);
  t.is(inject.headers['x-injected'], undefined);
});

test('Python: a 100 MiB upload streams through wsgi.input and a 100 MiB file goes out through wsgi.file_wrapper', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, {
    'stream.wsgi': pythonApp('stream'),
  });
  const big = path.join(dir, 'big.bin');
  const { openSync, ftruncateSync, closeSync } = await import('node:fs');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 100 * (1 << 20));
  closeSync(fd);
  const proxy = await startProxy(t, { plugins: { scriptalias: { python: anyPython,
    processGroups: { py: { runtime: 'python', python: anyPython } },
    scriptAlias: [{ url: '/s', path: 'stream.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' }] } } }, dir);
  const uploaded = await uploadMiB(proxy.url, '/s/upload', 100);
  const [received, maxRssMiB] = uploaded.split(' ').map(Number);
  t.is(received, 100 * (1 << 20));
  t.log(`Python worker peak RSS after a 100 MiB upload: ${maxRssMiB} MiB`);
  t.true(maxRssMiB! < 60, 'the upload was streamed, not buffered');
  const downloaded = await downloadBytes(proxy.url, '/s/file');
  t.is(downloaded, 100 * (1 << 20));
});

// POST bodies are left out here on purpose: with wsgi.input_terminated True (mod_wsgi 4.x sets it too,
// and it is what lets apps read chunked bodies) Werkzeug reads wsgi.input with read() and no size,
// which wsgiref.validate forbids. The POST path of the same app is tested above, unvalidated.
test('the unmodified Flask example passes wsgiref.validate through a Python pool (GETs, 404)', async (t) => {
  if (!flaskPython) { t.fail('no python3 with flask (install python3-flask)'); return; }
  const dir = tempDir(t);
  const example = path.join(repoRoot, 'examples', 'flask', 'app.wsgi');
  writeTree(dir, { 'validated.wsgi': [
    'import importlib.machinery, wsgiref.validate',
    `flask_module = importlib.machinery.SourceFileLoader('flask_example', ${JSON.stringify(example)}).load_module()`,
    '# Any PEP 3333 violation by the app or by our server raises AssertionError: a 500 here.',
    'application = wsgiref.validate.validator(flask_module.application)',
    '',
  ].join('\n') });
  const proxy = await startProxy(t, { plugins: { scriptalias: { python: flaskPython,
    processGroups: { py: { runtime: 'python', python: flaskPython } },
    scriptAlias: [{ url: '/v', path: 'validated.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' }] } } }, dir);
  const user = await json<{ user: number }>(proxy.url, '/v/users/3');
  t.is(user.status, 200);
  t.is(user.body.user, 3);
  const index = await json<{ hello: string; process_group: string }>(proxy.url, '/v/?x=1');
  t.deepEqual([index.status, index.body.hello, index.body.process_group], [200, 'flask', 'py']);
  t.is((await request(proxy.url, '/v/nope')).status, 404);
});

// The worker's threads take turns as the one serving ready connections (realm.py); these check that a
// request that blocks, or one that holds the CPU, still leaves the other threads serving.

/** The rendezvous app at /r in a one-process Python group of `threads` threads. */
async function rendezvousProxy(t: ExecutionContext, python: string, threads: number): Promise<TestProxy> {
  const dir = tempDir(t);
  writeTree(dir, { 'r.wsgi': pythonApp('rendezvous') });
  return startProxy(t, { plugins: { scriptalias: {
    python,
    processGroups: { py: { processes: 1, threads, runtime: 'python' } },
    scriptAlias: [{ url: '/r', path: 'r.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
}

const pyInFlight = (proxy: TestProxy): number => proxy.running.plugin.status().executors['pool:python:py']!.inFlight;

test('a Python group with threads 4 runs 4 requests at once, and a request spinning on the CPU does not hold up the others', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const proxy = await rendezvousProxy(t, anyPython, 4);
  const met = await Promise.all(Array.from({ length: 4 }, () => request(proxy.url, '/r/meet')));
  t.deepEqual(met.map((r) => r.status), [200, 200, 200, 200], 'all four were at the barrier together');
  const spinning = request(proxy.url, '/r/spin');
  await waitFor('the spinner to run', () => (pyInFlight(proxy) === 1 ? true : undefined));
  // Sent while the spinner runs, on another connection: answered only if another thread takes over.
  const release = await request(proxy.url, '/r/release');
  t.is(release.status, 200);
  t.is((await spinning).status, 200);
});

test('after a slow request (the leader replaced while it runs), a Python group keeps one leader: sequential and concurrent requests all answered', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const proxy = await rendezvousProxy(t, anyPython, 3);
  for (let round = 0; round < 5; round++) {
    const slow = request(proxy.url, '/r/sleep');
    await waitFor('the slow request to run', () => (pyInFlight(proxy) === 1 ? true : undefined));
    // While it runs, the thread that took over the socket serves these; a second takeover (from the
    // new leader, for the old leader's request) made two threads share the selector.
    for (let i = 0; i < 10; i++) t.is((await request(proxy.url, `/r/fast${i}`)).status, 200);
    const during = await Promise.all(Array.from({ length: 6 }, (_, i) => request(proxy.url, `/r/during${i}`)));
    t.deepEqual(during.map((r) => r.status), Array.from({ length: 6 }, () => 200));
    t.is((await slow).status, 200);
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => request(proxy.url, `/r/burst${i}`)));
    t.deepEqual(burst.map((r) => r.status), Array.from({ length: 12 }, () => 200));
  }
});

test('a client that stops reading a Python answer stalls only its own stream: bounded bytes out, other requests on the same connection flow', async (t) => {
  if (!anyPython) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'f.wsgi': pythonApp('flood') });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python: anyPython,
    processGroups: { py: { processes: 1, threads: 4, runtime: 'python' } },
    scriptAlias: [{ url: '/f', path: 'f.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  // Each look goes to the same worker process over the same connection as the paused stream.
  await checkPausedClientStallsOnlyItsStream(t, proxy.url, 'the application', 'credit');
});

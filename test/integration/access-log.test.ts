// Issue 15 item 1: the access log. A wrk run leaves exactly as many lines as wrk counted requests;
// a combined-format file parses with Apache's own field rules (quotes and control characters escaped
// as Apache does); JSON lines carry vhost, alias, groups, the worker's pid, the request id and the
// client after the trusted-proxy rules; redbird's own routes are logged with their target; and a
// `scriptalias serve` child writes to a new file after `mv` + SIGUSR1 (logrotate).
import test, { type ExecutionContext } from 'ava';
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { startProxy, tempDir, request } from '../helpers/proxy.js';
import { fixture } from '../helpers/paths.js';
import { waitFor } from '../helpers/events.js';
import { hasWrk, runWrk } from '../helpers/wrk.js';
import { serveCli, type LogEntry } from '../helpers/cli.js';
import { createInterface } from 'node:readline';

const INLINE = { processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' };

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

function copyFixtures(dir: string): void {
  copyFileSync(fixture('access', 'hello.cjs'), path.join(dir, 'hello.cjs'));
  copyFileSync(fixture('scripts', 'counter.cjs'), path.join(dir, 'counter.cjs'));
}

/** A `scriptalias serve` config in `dir`: the inline hello script at /hello, with this access log. */
function helloConfig(dir: string, accessLog: Record<string, unknown>): string {
  copyFixtures(dir);
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
    accessLog, scriptAlias: [{ url: '/hello', path: 'hello.cjs', ...INLINE }],
  } } }));
  return file;
}

async function upstream(t: ExecutionContext): Promise<number> {
  const server = http.createServer((_req, res) => res.end('upstream\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

test('a wrk run leaves a line for every request wrk reports (at most one more per connection)', async (t) => {
  if (!hasWrk) { t.fail('wrk is not installed (.ci/run installs it: apt-get install wrk)'); return; }
  const dir = tempDir(t);
  copyFixtures(dir);
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    accessLog: { format: 'json', path: 'logs/access.log' },
    scriptAlias: [{ url: '/hello', path: 'hello.cjs', ...INLINE }],
  } } }, dir);
  // One connection per thread, so at most two requests can be in flight when wrk stops.
  const { code, out, requests: counted } = await runWrk(t, ['-t2', '-c2', '-d2s', `${proxy.url}/hello`]);
  t.is(code, 0, out);
  t.true(counted > 100, out);
  t.false(/Non-2xx|Socket errors/.test(out), out);
  await proxy.running.close(); // writes out what the async destination buffers
  const logged = lines(path.join(dir, 'logs', 'access.log')).map((l) => JSON.parse(l) as Record<string, unknown>);
  // Every request wrk counted has its line. wrk's timer can stop a connection between our answer and
  // its read of it, so a connection may add one line wrk did not count: at most one per connection.
  t.true(logged.length >= counted && logged.length <= counted + 2, `${logged.length} lines for ${counted} requests`);
  t.true(logged.every((e) => e.status === 200 && e.bytes === 6 && e.path === '/hello' && e.msg === 'access'));
});

// Apache's combined format, field by field: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i".
// A quoted field is a run of non-quote, non-backslash chars or backslash escapes (ap_escape_logitem).
const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
const COMBINED = new RegExp(String.raw`^(\S+) (\S+) (\S+) \[(\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] ${QUOTED} (\d{3}) (\d+|-) ${QUOTED} ${QUOTED}$`);

test('combined format parses with Apache\'s field rules and escapes quotes and control characters as Apache does', async (t) => {
  const dir = tempDir(t);
  copyFixtures(dir);
  const upstreamPort = await upstream(t);
  const proxy = await startProxy(t, {
    routes: [{ src: '127.0.0.1/up', target: `http://127.0.0.1:${upstreamPort}` }],
    plugins: { scriptalias: {
      accessLog: { format: 'combined', path: 'access.log' },
      scriptAlias: [{ url: '/hello', path: 'hello.cjs', ...INLINE }],
    } },
  }, dir);
  const file = path.join(dir, 'access.log');
  await request(proxy.url, '/hello/a?q="x"', { headers: { 'user-agent': 'agent "quoted" \\ back\ttab', referer: 'http://ref.example/caf\xe9' } });
  await request(proxy.url, '/hello/b', { method: 'HEAD' });
  await request(proxy.url, '/up/there');
  await request(proxy.url, '/nothing-here');
  const got = await waitFor('four combined lines', () => { const l = lines(file); return l.length >= 4 ? l : undefined; });
  const parsed = got.map((line) => COMBINED.exec(line));
  for (const [i, m] of parsed.entries()) t.truthy(m, `line ${i} is not combined format: ${got[i]}`);
  const [a, head, up, miss] = parsed as RegExpExecArray[];
  t.is(a[1], '127.0.0.1');
  t.is(a[2], '-');
  t.is(a[3], '-');
  t.is(a[5], 'GET /hello/a?q="x" HTTP/1.1'.replace(/"/g, '\\"'));
  t.is(a[6], '200');
  t.is(a[7], '6');
  t.is(a[8], 'http://ref.example/caf\\xe9');
  t.is(a[9], 'agent \\"quoted\\" \\\\ back\\ttab');
  t.is(head[5], 'HEAD /hello/b HTTP/1.1');
  t.is(head[7], '-');
  t.is(head[8], '-');
  t.is(up[5], 'GET /up/there HTTP/1.1');
  t.is(up[6], '200');
  t.is(up[7], '9');
  t.is(miss[6], '404');
});

test('JSON lines: vhost, alias, groups, the pool worker\'s pid, request id, trusted client, redbird target', async (t) => {
  const dir = tempDir(t);
  copyFixtures(dir);
  const upstreamPort = await upstream(t);
  const proxy = await startProxy(t, {
    routes: [{ src: '127.0.0.1/up', target: `http://127.0.0.1:${upstreamPort}` }],
    plugins: { scriptalias: {
      accessLog: { path: 'access.log' },
      serverName: 'main.example',
      trustedProxies: ['127.0.0.0/8'], trustedProxyHeaders: ['X-Forwarded-For'],
      processGroups: { pool: { processes: 1 } },
      scriptAlias: [{ url: '/hello', path: 'hello.cjs', ...INLINE }, { url: '/pool', path: 'counter.cjs', processGroup: 'pool', applicationGroup: 'app' }],
    } },
  }, dir);
  const file = path.join(dir, 'access.log');
  const pooled = JSON.parse((await request(proxy.url, '/pool/x%20y', { headers: { 'x-forwarded-for': '203.0.113.7' } })).body) as { pid: number };
  await request(proxy.url, '/hello');
  await request(proxy.url, '/up/there');
  const missing = await request(proxy.url, '/hello/%2e%2e/%2e%2e/etc');
  const got = await waitFor('four JSON lines', () => { const l = lines(file); return l.length >= 4 ? l.map((x) => JSON.parse(x) as Record<string, unknown>) : undefined; });
  const [pool, inline, up] = got as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  t.like(pool, { method: 'GET', path: '/pool/x%20y', status: 200, vhost: 'main.example', alias: '/pool', group: 'pool', appGroup: 'app', workerPid: pooled.pid, client: '203.0.113.7' });
  t.not(pooled.pid, process.pid);
  t.regex(String(pool.reqId), /^[0-9a-z]+-[0-9a-z]+$/);
  t.true(typeof pool.ms === 'number' && pool.ms >= 0);
  t.like(inline, { path: '/hello', status: 200, bytes: 6, group: '%{GLOBAL}', appGroup: '%{GLOBAL}', workerPid: process.pid, client: '127.0.0.1' });
  t.like(up, { path: '/up/there', status: 200, target: `http://127.0.0.1:${upstreamPort}/` });
  t.is(up.group, undefined);
  // An error answer's line carries the request id its body shows.
  const errorLine = got[3]!;
  t.is(errorLine.status, missing.status);
  if (missing.status >= 400) t.true(missing.body.includes(`request: ${String(errorLine.reqId)}`));
});

test('`scriptalias serve` reopens its access log file on SIGUSR1 after logrotate moved it', async (t) => {
  const dir = tempDir(t);
  const file = helloConfig(dir, { format: 'combined', path: 'access.log' });
  const { child, url } = await serveCli(t, [file, '--no-watch']);
  const log = path.join(dir, 'access.log');
  const rotated = path.join(dir, 'access.log.1');
  await request(url, '/hello/before');
  await waitFor('the first line', () => (lines(log).length === 1 ? true : undefined));
  renameSync(log, rotated);
  child.kill('SIGUSR1');
  await waitFor('a new access.log', () => (existsSync(log) ? true : undefined));
  await request(url, '/hello/after');
  await waitFor('the line in the new file', () => (lines(log).length === 1 ? true : undefined));
  t.regex(lines(rotated)[0]!, /"GET \/hello\/before HTTP\/1.1" 200/);
  t.regex(lines(log)[0]!, /"GET \/hello\/after HTTP\/1.1" 200/);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit') as [number | null];
  t.is(code, 0);
});

test('an access log file that cannot be opened: one coded line, the requests are still served, SIGTERM still stops', async (t) => {
  // A file where the log's folder should be: no user, not even root, can create it.
  const file = helloConfig(tempDir(t), { format: 'json', path: 'hello.cjs/access.log' });
  const { child, url, logs } = await serveCli(t, [file, '--no-watch']);
  const failed = await logs.next((e) => e.code === 'SA_ERR_OPS_ACCESS_LOG_WRITE');
  t.regex(String(failed.msg), /access log: .*(ENOTDIR|EEXIST|not a directory)/i);
  for (let i = 0; i < 3; i++) t.is((await request(url, '/hello')).status, 200);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit') as [number | null];
  t.is(code, 0);
});

test('access lines on a piped stdout arrive whole and once each, also after the pipe was full (4 KiB writes cut at line ends)', async (t) => {
  const file = helloConfig(tempDir(t), {});
  const { child, url, logs } = await serveCli(t, [file, '--no-watch']);
  const torn: string[] = [];
  const stdoutEnded = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try { JSON.parse(line); } catch { torn.push(line); }
    }).on('close', () => resolve());
  });
  // ~1 KiB lines: a 4 KiB piece holds three, so most writes end where a line ends mid-batch. Nobody
  // reads stdout meanwhile: ~2 MiB of lines against a 64 KiB pipe (and this side's 64 KiB stream
  // buffer), written every 100 ms while the requests run for longer than that, so the writer thread
  // finds the pipe full (EAGAIN: libuv made stdout non-blocking) and must wait for it. One path for
  // all: in the ring it is one bit per request after the first, so every waiting line fits there.
  // (More than the ring holds would block the proxy's own log line saying so: pino writes stdout
  // synchronously.)
  child.stdout!.pause();
  const requests = 2000;
  const longPath = `/hello/${'p'.repeat(900)}`;
  const statuses: number[] = [];
  for (let batch = 0; batch < requests / 50; batch++) {
    statuses.push(...await Promise.all(Array.from({ length: 50 }, async () => (await request(url, longPath)).status)));
  }
  t.deepEqual([...new Set(statuses)], [200]);
  child.stdout!.resume();
  // A graceful stop writes out every gathered line before the process ends.
  child.kill('SIGTERM');
  await Promise.all([once(child, 'exit'), stdoutEnded]);
  t.deepEqual(torn.map((line) => line.slice(0, 120)), []);
  t.deepEqual(logs.entries.filter((e: LogEntry) => e.code === 'SA_ERR_OPS_ACCESS_LOG_WRITE'), []);
  const access = logs.entries.filter((e: LogEntry) => e.msg === 'access');
  t.is(access.length, requests);
  t.true(access.every((e) => e.path === longPath));
  t.is(new Set(access.map((e) => e.reqId)).size, requests);
});

// requestReadTimeout (Apache's RequestReadTimeout, docs/slow-clients.md): a client trickling its
// request head or body slower than the configured window is cut with 408 SA_ERR_REQUEST_TIMEOUT and a
// coded log line; fast clients on the same proxy, and idle keep-alive connections, are not touched.
import test, { type ExecutionContext } from 'ava';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { serve, type RunningProxy } from '../../plugin/serve.js';
import { createLogger } from '../../src/log.js';
import tls from 'node:tls';
import { tempDir, writeTree, request, uploadMiB } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';
import { freePort } from '../helpers/ports.js';
import { makeCertificate } from '../helpers/tls.js';
import { loadConfig, ConfigError } from '../../plugin/index.js';

const SCRIPT = [
  'exports.application = (req, res) => {',
  '  let n = 0;',
  "  req.on('data', (c) => { n += c.length; });",
  "  req.on('end', () => { res.setHeader('content-type', 'text/plain'); res.end(String(n)); });",
  '};',
  '',
].join('\n');

interface Proxy { readonly url: string; readonly port: number; readonly running: RunningProxy; readonly lines: Array<Record<string, unknown>> }

// Reads the body only after 1.5 s: a client that sent everything must not pay for the script's wait.
const LATE_READER = [
  'exports.application = (req, res) => {',
  '  setTimeout(() => {',
  '    let n = 0;',
  "    req.on('data', (c) => { n += c.length; });",
  "    req.on('end', () => res.end(String(n)));",
  '  }, 1500);',
  '};',
  '',
].join('\n');

async function proxyWith(t: ExecutionContext, requestReadTimeout: Record<string, unknown>, proxyOptions: Record<string, unknown> = {}, dir = tempDir(t)): Promise<Proxy> {
  writeTree(dir, { 'app/count.cjs': SCRIPT, 'app/late.cjs': LATE_READER });
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({
    proxy: { port: 0, host: '127.0.0.1', ...proxyOptions },
    plugins: { scriptalias: { requestReadTimeout, scriptAlias: [{ url: '/count', path: 'app/count.cjs' }, { url: '/late', path: 'app/late.cjs' }] } },
  }));
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
  const running = await serve(file, { log: createLogger({ level: 'warn' }, sink), port: 0, watch: false });
  t.teardown(() => running.destroy());
  return { url: running.url, port: running.port, running, lines };
}

interface Trickle { readonly answer: Promise<{ text: string; ms: number }>; stop(): void }

/** Opens a raw connection, writes `head` at once, then one byte of `drip` every `everyMs` ms. */
function trickle(port: number, head: string, drip: string, everyMs: number): Trickle {
  const socket = net.connect(port, '127.0.0.1');
  const start = Date.now();
  let i = 0;
  let timer: NodeJS.Timeout | null = null;
  const stop = (): void => { if (timer) clearInterval(timer); timer = null; };
  const answer = new Promise<{ text: string; ms: number }>((resolve, reject) => {
    let text = '';
    socket.on('data', (c: Buffer) => { text += c.toString(); });
    socket.on('close', () => { stop(); resolve({ text, ms: Date.now() - start }); });
    socket.on('error', (err) => { stop(); if (text) resolve({ text, ms: Date.now() - start }); else reject(err); });
  });
  socket.write(head);
  timer = setInterval(() => { if (!socket.destroyed) socket.write(drip[i++ % drip.length]!); }, everyMs);
  return { answer, stop: () => { stop(); socket.destroy(); } };
}

/** A keep-alive agent with one socket: two requests share a connection. */
function keepAliveGet(agent: http.Agent, url: string): Promise<{ status: number; body: string; socketId: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: '/count', agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socketId: (req.socket as net.Socket & { __id?: number }).__id ?? 0 }));
    });
    req.on('error', reject);
  });
}

test('a slow request head is cut with 408 inside its window; a fast client and an idle keep-alive connection are not', async (t) => {
  const proxy = await proxyWith(t, { header: '1-2', headerMinRate: 500 });
  // An idle keep-alive connection, opened before the slow client: it waits longer than the head window.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  let sockets = 0;
  agent.on('free', (s: net.Socket & { __id?: number }) => { s.__id ??= ++sockets; });
  const first = await keepAliveGet(agent, proxy.url);
  t.is(first.status, 200);

  const slow = trickle(proxy.port, 'GET /count HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n', 300);
  t.teardown(() => slow.stop());
  const fast = await request(proxy.url, '/count');
  t.is(fast.status, 200, 'a fast client during the slow one');
  const { text, ms } = await slow.answer;
  t.regex(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.regex(text, /code: SA_ERR_REQUEST_TIMEOUT/);
  // 1 s window (a few bytes earn ~nothing at 500 B/s), swept every 100 ms.
  t.true(ms >= 900 && ms < 2500, `cut after ${ms} ms`);
  const line = await waitFor('the coded log line', () => proxy.lines.find((l) => l.code === 'SA_ERR_REQUEST_TIMEOUT'));
  t.is(line.phase, 'header');

  // The keep-alive connection sat idle through the whole window: it still serves, on the same socket.
  const second = await keepAliveGet(agent, proxy.url);
  t.is(second.status, 200);
  t.is(sockets, 1, 'the idle keep-alive connection was reused, not cut');
});

test('a head that keeps a good rate gets its extension up to the cap, never past it', async (t) => {
  const proxy = await proxyWith(t, { header: '1-2', headerMinRate: 10 });
  // 10 bytes every 100 ms = 100 B/s, well above 10 B/s: extended, but the cap (2 s) still holds.
  const slow = trickle(proxy.port, 'GET /count HTTP/1.1\r\nHost: localhost\r\n', 'X-Padding-0123456789: a\r\n', 10);
  t.teardown(() => slow.stop());
  const { text, ms } = await slow.answer;
  t.regex(text, /^HTTP\/1\.1 408 /);
  t.true(ms >= 1900 && ms < 3500, `cut after ${ms} ms (cap 2 s)`);
});

test('a slow request body is cut with 408; a fast upload on the same proxy is not', async (t) => {
  const proxy = await proxyWith(t, { body: 1, bodyMinRate: 500 });
  const slow = trickle(proxy.port, 'POST /count HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n', 'x', 300);
  t.teardown(() => slow.stop());
  const uploaded = await uploadMiB(proxy.url, '/count', 8);
  t.is(uploaded, String(8 << 20), 'an 8 MiB upload during the slow body');
  const { text, ms } = await slow.answer;
  t.regex(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.regex(text, /code: SA_ERR_REQUEST_TIMEOUT/);
  t.true(ms >= 900 && ms < 2500, `cut after ${ms} ms`);
  const line = await waitFor('the coded log line', () => proxy.lines.find((l) => l.code === 'SA_ERR_REQUEST_TIMEOUT'));
  t.is(line.phase, 'body');
});

test('a body that keeps the minimum rate is not cut', async (t) => {
  const proxy = await proxyWith(t, { body: 1, bodyMinRate: 100 });
  // 20 bytes every 50 ms = 400 B/s for 2 s (past the 1 s window), above the 100 B/s minimum.
  const socket = net.connect(proxy.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  let text = '';
  socket.on('data', (c: Buffer) => { text += c.toString(); });
  socket.write('POST /count HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 800\r\n\r\n');
  let sent = 0;
  const timer = setInterval(() => { socket.write('x'.repeat(20)); sent += 20; if (sent >= 800) clearInterval(timer); }, 50);
  t.teardown(() => clearInterval(timer));
  await new Promise((resolve) => socket.on('close', resolve));
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.regex(text, /\r\n\r\n800$/);
});

test('0 turns a phase off', async (t) => {
  const proxy = await proxyWith(t, { header: 0, body: 0 });
  t.deepEqual(proxy.running.plugin.config.requestReadTimeout, { header: null, body: null });
});

test('a body the script has not read yet is not the client\'s delay: small and large bodies sent at once are answered 200', async (t) => {
  // A fixed 1 s window (no rate credit), shorter than the script's 1.5 s wait.
  const proxy = await proxyWith(t, { body: 1, bodyMinRate: 0 });
  const small = await request(proxy.url, '/late', { method: 'POST', body: 'x'.repeat(100) });
  t.is(small.status, 200);
  t.is(small.body, '100');
  // 4 MiB fills every buffer: the proxy stops reading (backpressure) while the script waits.
  t.is(await uploadMiB(proxy.url, '/late', 4), String(4 << 20));
  t.falsy(proxy.lines.find((l) => l.code === 'SA_ERR_REQUEST_TIMEOUT'));
});

test('HTTPS listeners are watched too: a slow head over TLS is cut with 408', async (t) => {
  const dir = tempDir(t);
  const cert = makeCertificate(dir, 'site', ['localhost']);
  const proxy = await proxyWith(t, { header: '1-2' }, { ssl: { port: 0, key: 'site.key', cert: 'site.crt' } }, dir);
  const port = proxy.running.httpsPorts[0]!;
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.pem, checkServerIdentity: () => undefined });
  t.teardown(() => socket.destroy());
  await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  const start = Date.now();
  socket.write('GET /count HTTP/1.1\r\nHost: localhost\r\n');
  const timer = setInterval(() => { if (!socket.destroyed) socket.write('X'); }, 300);
  t.teardown(() => clearInterval(timer));
  let text = '';
  socket.on('data', (c: Buffer) => { text += c.toString(); });
  await new Promise((resolve) => socket.once('close', resolve));
  const ms = Date.now() - start;
  t.regex(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.true(ms >= 800 && ms < 2500, `cut after ${ms} ms`);
  const ok = await new Promise<number>((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.pem, checkServerIdentity: () => undefined }, () => c.write('GET /count HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    let body = '';
    c.on('data', (d: Buffer) => { body += d.toString(); });
    c.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(body)?.[1] ?? 0)));
    c.on('error', reject);
  });
  t.is(ok, 200, 'a fast HTTPS client');
});

test('a window whose maximum is below its start is a config error at its pointer', async (t) => {
  const err = await t.throwsAsync(loadConfig({ plugins: { scriptalias: { requestReadTimeout: { header: '30-10' } } } }));
  t.true(err instanceof ConfigError);
  t.deepEqual((err as ConfigError).issues.map((i) => i.pointer), ['/plugins/scriptalias/requestReadTimeout/header']);
  const bad = await t.throwsAsync(loadConfig({ plugins: { scriptalias: { requestReadTimeout: { body: '20s' } } } }));
  t.regex(bad!.message, /requestReadTimeout\/body/);
});

test('library use: scriptAlias() on a running redbird watches its listener too', async (t) => {
  const { Redbird } = await import('redbird');
  const { scriptAlias } = await import('../../plugin/index.js');
  const dir = tempDir(t);
  writeTree(dir, { 'app/count.cjs': SCRIPT });
  // redbird maps port 0 to 8080: take a free port first.
  const port = await freePort();
  const redbird = new Redbird({ port, host: '127.0.0.1', logger: { name: 'redbird', level: 'silent' } } as unknown as ConstructorParameters<typeof Redbird>[0]);
  t.teardown(() => redbird.close());
  const handle = await scriptAlias(redbird, { plugins: { scriptalias: { requestReadTimeout: { header: '1-2' }, scriptAlias: [{ url: '/count', path: 'app/count.cjs' }] } } }, { baseDir: dir });
  t.teardown(() => handle.destroy());
  await waitFor('redbird listening', () => (redbird as unknown as { server: net.Server }).server.listening || undefined);
  const slow = trickle(port, 'GET /count HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n', 300);
  t.teardown(() => slow.stop());
  t.is((await request(`http://127.0.0.1:${port}`, '/count')).status, 200);
  const { text } = await slow.answer;
  t.regex(text, /^HTTP\/1\.1 408 /);
});

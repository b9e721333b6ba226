// HTTP/2 on the TLS listener (issue 13, DESIGN §4): with proxy.ssl.http2 the listener offers h2 and
// http/1.1; every executor × runtime answers both with HTTP/1 objects for JS scripts (httpVersion
// '2.0'), SERVER_PROTOCOL HTTP/2.0 for WSGI; bodies stream both ways; many streams of one connection
// spread over a pool; an unmodified Express app answers the same over h2 as over HTTP/1.1; streams
// reset mid-upload leave every slot free. Real clients: Node's http2.connect and Debian's curl.
import test, { type ExecutionContext } from 'ava';
import http2 from 'node:http2';
import https from 'node:https';
import type http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startProxy, tempDir, writeTree, type TestProxy } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';
import { makeCertificate, httpsGet } from '../helpers/tls.js';
import { waitFor } from '../helpers/events.js';
import { repoRoot } from '../helpers/paths.js';
import { EXECUTORS, sixAliases, sixGroups } from '../helpers/executors.js';

const python = findPython();
// The proxy runs in this process: Node warns here when an h2 answer carries an HTTP/1-only construct.
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(warning.message));
const curlHasHttp2 = ((): boolean => {
  const version = spawnSync('curl', ['--version'], { encoding: 'utf8' });
  return version.status === 0 && /\bHTTP2\b/.test(version.stdout);
})();

const JS_APP = `module.exports.application = (req, res) => {
  if (req.method === 'POST') {
    res.setHeader('content-type', 'application/octet-stream');
    req.pipe(res);
    return;
  }
  const answer = () => {
    // HTTP/1-only constructs: dropped on h2, never an error.
    res.statusMessage = 'Fine Thanks';
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('Keep-Alive', 'timeout=5');
    res.setHeader('Transfer-Encoding', 'chunked');
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ httpVersion: req.httpVersion, major: req.httpVersionMajor, h1: req.constructor.name,
      host: req.headers.host, url: req.url, pseudo: Object.keys(req.headers).filter((k) => k.startsWith(':')),
      encrypted: req.socket.encrypted === true }));
  };
  if (req.url.startsWith('/slow')) setTimeout(answer, 5); else answer();
};
`;
const PY_APP = pythonApp('h2-echo');

interface H2Proxy {
  readonly proxy: TestProxy;
  readonly port: number;
  readonly ca: string;
}

async function startH2Proxy(t: ExecutionContext, extra: { files?: Record<string, string>; aliases?: unknown[]; defaults?: Record<string, unknown> } = {}): Promise<H2Proxy> {
  const dir = tempDir(t);
  writeTree(dir, { 'app.js': JS_APP, 'app.wsgi': PY_APP, ...extra.files });
  const cert = makeCertificate(dir, 'site', ['h2.test', 'localhost']);
  const proxy = await startProxy(t, {
    proxy: { ssl: { port: 0, key: 'site.key', cert: 'site.crt', http2: true } },
    plugins: { scriptalias: {
      python,
      processGroups: sixGroups(python ?? 'python3'),
      scriptAlias: extra.aliases ?? sixAliases('app.js', 'app.wsgi'),
      ...(extra.defaults ? { defaults: extra.defaults } : {}),
    } },
  }, dir);
  const [port] = proxy.running.httpsPorts;
  if (port === undefined) throw new Error('no https port');
  return { proxy, port, ca: cert.pem };
}

function connect(h2: H2Proxy, t?: ExecutionContext): http2.ClientHttp2Session {
  const session = http2.connect(`https://localhost:${h2.port}`, { ca: h2.ca, servername: 'localhost' });
  session.on('error', () => undefined);
  t?.teardown(() => session.destroy());
  return session;
}

interface H2Answer {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

function h2Request(session: http2.ClientHttp2Session, pathName: string, options: { method?: string; body?: Buffer; headers?: http2.OutgoingHttpHeaders } = {}): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': options.method ?? 'GET', ':path': pathName, ...options.headers },
      { endStream: options.body === undefined });
    let headers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => { headers = h; });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    // Written in 64 KiB pieces with backpressure, as a real client does (one 10 MiB write would
    // exceed the client session's own maxSessionMemory).
    const body = options.body;
    if (body === undefined) return;
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 65536);
        offset += piece.length;
        if (!stream.write(piece)) { stream.once('drain', pump); return; }
      }
      stream.end();
    };
    pump();
  });
}

function curl(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '--max-time', '20', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

function jsonOf(body: Buffer | string): Record<string, unknown> {
  return JSON.parse(body.toString()) as Record<string, unknown>;
}

test('curl --http2 and --http1.1 both get 200 from every executor × runtime on one http2 listener; scripts see their protocol version', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  if (!curlHasHttp2) { t.fail('curl with HTTP2 support is missing (Debian: apt-get install curl; .ci/run installs it)'); return; }
  const h2 = await startH2Proxy(t);
  const resolve = `localhost:${h2.port}:127.0.0.1`;
  for (const executor of EXECUTORS) {
    for (const version of ['2', '1.1'] as const) {
      const got = await curl([version === '2' ? '--http2' : '--http1.1', '--cacert', path.join(h2.proxy.dir, 'site.crt'), '--resolve', resolve,
        '-w', '\n%{http_code} %{http_version}', `https://localhost:${h2.port}${executor.url}/x?q=1`]);
      t.is(got.code, 0, `${executor.name} over ${version}: ${got.err}`);
      const lines = got.out.split('\n');
      t.is(lines.at(-1), `200 ${version}`, `${executor.name} over ${version}`);
      const body = jsonOf(lines.slice(0, -1).join('\n'));
      t.is(body.host, `localhost:${h2.port}`, `${executor.name} over ${version}: Host from :authority`);
      if (executor.runtime === 'js') {
        t.is(body.httpVersion, version === '2' ? '2.0' : '1.1', executor.name);
        t.is(body.h1, 'IncomingMessage', `${executor.name}: an HTTP/1 IncomingMessage`);
        t.deepEqual(body.pseudo, [], executor.name);
        t.is(body.url, '/x?q=1', executor.name);
        t.true(body.encrypted, executor.name);
      } else {
        t.is(body.httpVersion, version === '2' ? 'HTTP/2.0' : 'HTTP/1.1', executor.name);
        t.is(body.scheme, 'https', executor.name);
      }
    }
  }
});

test('http2.connect: GET, a 10 MiB POST echoed and an HTTP/1.1 request on the same port, every executor; HTTP/1-only answer headers dropped', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const h2 = await startH2Proxy(t);
  const session = connect(h2, t);
  const upload = Buffer.alloc(10 << 20);
  for (let i = 0; i < upload.length; i += 4096) upload.writeUInt32BE(i, i);
  const digest = createHash('sha256').update(upload).digest('hex');
  for (const executor of EXECUTORS) {
    const got = await h2Request(session, `${executor.url}/get`);
    t.is(got.status, 200, `${executor.name}: ${got.body.toString()}`);
    if (executor.runtime === 'js') {
      t.is(jsonOf(got.body).httpVersion, '2.0');
      t.is(got.headers.connection, undefined);
      t.is(got.headers['transfer-encoding'], undefined);
      t.deepEqual(got.headers['set-cookie'], ['a=1', 'b=2'], executor.name);
    }
    let echoed: H2Answer;
    try {
      echoed = await h2Request(session, `${executor.url}/echo`, { method: 'POST', body: upload });
    } catch (err) {
      t.fail(`${executor.name}: ${String(err)}`);
      continue;
    }
    t.is(echoed.status, 200, executor.name);
    t.is(echoed.body.length, upload.length, executor.name);
    t.is(createHash('sha256').update(echoed.body).digest('hex'), digest, `${executor.name}: echo intact`);
    const h1 = await httpsGet(h2.port, 'localhost', `${executor.url}/h1`, h2.ca);
    t.is(h1.status, 200, executor.name);
    t.is(jsonOf(h1.body).httpVersion, executor.runtime === 'js' ? '1.1' : 'HTTP/1.1', executor.name);
  }
  t.deepEqual(warnings.filter((m) => /HTTP\/2|status message/i.test(m)), [], 'no HTTP/2 warnings (status messages)');
});

test('100 concurrent streams on one h2 connection are all answered by every executor (pools 1×4)', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const h2 = await startH2Proxy(t);
  const session = connect(h2, t);
  for (const executor of EXECUTORS) {
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => h2Request(session, `${executor.url}/slow/${i}`)));
    t.deepEqual(answers.map((a) => a.status), Array.from({ length: 100 }, () => 200), executor.name);
    t.deepEqual(answers.map((a) => jsonOf(a.body).url), Array.from({ length: 100 }, (_, i) => `/slow/${i}`), executor.name);
  }
});

const EXPRESS_APP = `const express = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'express'))});
const path = require('node:path');
const app = express();
app.use(express.json());
app.use('/static', express.static(path.join(__dirname, 'public')));
app.get('/', (req, res) => res.send('home ' + req.protocol + ' ' + req.secure));
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, q: req.query.q, version: req.httpVersionMajor }));
app.get('/old', (req, res) => res.redirect(301, 'users/7'));
app.post('/items', (req, res) => res.status(201).json({ got: req.body }));
app.get('/boom', () => { throw new Error('boom'); });
app.use((err, req, res, next) => res.status(500).json({ handled: err.message }));
module.exports.application = app;
if (!module.parent) app.listen(3000);
`;

test('an unmodified Express app answers the same over h2 as over HTTP/1.1 in inline, isolate and pool modes; the proxy lives on', async (t) => {
  const pid = process.pid;
  const h2 = await startH2Proxy(t, {
    files: { 'express-app.js': EXPRESS_APP, 'public/hello.txt': 'static hello\n' },
    aliases: [
      { url: '/inline', path: 'express-app.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/isolate', path: 'express-app.js', applicationGroup: 'iso' },
      { url: '/pool', path: 'express-app.js', processGroup: 'jsg', applicationGroup: '%{GLOBAL}' },
    ],
  });
  const session = connect(h2, t);
  const cases: Array<{ path: string; method?: string; body?: string }> = [
    { path: '/' }, { path: '/users/42?q=x' }, { path: '/old' }, { path: '/static/hello.txt' }, { path: '/static/missing.txt' },
    { path: '/items', method: 'POST', body: '{"a":[1,2]}' }, { path: '/boom' },
  ];
  for (const mode of ['/inline', '/isolate', '/pool']) {
    for (const c of cases) {
      const headers = c.body !== undefined ? { 'content-type': 'application/json' } : {};
      const over2 = await h2Request(session, mode + c.path, { method: c.method, headers, body: c.body === undefined ? undefined : Buffer.from(c.body) });
      const over1 = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: h2.port, path: mode + c.path, method: c.method ?? 'GET', ca: h2.ca,
          servername: 'localhost', agent: false, headers: { host: `localhost:${h2.port}`, ...headers } }, (res) => {
          let body = '';
          res.on('data', (x: Buffer) => { body += x.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end(c.body);
      });
      const label = `${mode}${c.path}`;
      t.is(over2.status, over1.status, label);
      t.is(over2.headers['content-type'], over1.headers['content-type'], label);
      t.is(over2.headers.location, over1.headers.location, label);
      const normal = (s: string): string => s.replace('"version":2', '"version":1');
      t.is(normal(over2.body.toString()), normal(over1.body), label);
    }
  }
  const home = await h2Request(session, '/inline/');
  t.is(home.body.toString(), 'home https true');
  t.is((await h2Request(session, '/pool/boom')).status, 500);
  t.is(process.pid, pid);
  t.true(Object.values(h2.proxy.running.plugin.status().executors).every((e) => e.state === 'ready'));
});

test('1 000 streams reset mid-upload: each request is aborted, every slot frees, the listener keeps serving', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const h2 = await startH2Proxy(t);
  const targets = EXECUTORS.map((e) => e.url);
  let session = connect(h2);
  t.teardown(() => session.destroy());
  const resetOne = (url: string): Promise<void> => new Promise((resolve) => {
    if (session.closed || session.destroyed) session = connect(h2);
    const stream = session.request({ ':method': 'POST', ':path': `${url}/upload`, 'content-length': '1048576' }, { endStream: false });
    stream.on('error', () => undefined);
    stream.on('close', () => resolve());
    stream.write(Buffer.alloc(16 * 1024, 1), () => stream.close(http2.constants.NGHTTP2_CANCEL));
  });
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => resetOne(targets[(batch * 100 + i) % targets.length]!)));
  }
  const busy = (): number => Object.values(h2.proxy.running.plugin.status().executors)
    .reduce((n, e) => n + e.inFlight + e.queued + e.processes.reduce((m, p) => m + p.inFlight, 0), 0);
  await waitFor('every slot free', () => (busy() === 0 ? true : undefined))
    .catch((err: unknown) => { throw new Error(`${String(err)}: ${JSON.stringify(h2.proxy.running.plugin.status().executors)}`); });
  t.is(busy(), 0);
  const fresh = connect(h2, t);
  for (const url of targets) t.is((await h2Request(fresh, `${url}/after`)).status, 200, url);
});

const EDGE_APP = `module.exports.application = (req, res) => {
  const p = req.url.split('?')[0];
  if (p === '/nocontent') { res.writeHead(204); res.end(); return; }
  if (p === '/notmodified') { res.writeHead(304, { etag: '"x"' }); res.end(); return; }
  if (p === '/cut') { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('part'); setTimeout(() => res.destroy(), 5); return; }
  if (p === '/late') { res.end('done'); res.write('more'); return; }
  if (p === '/count') { let n = 0; req.on('data', (c) => { n += c.length; }); req.on('end', () => res.end(String(n))); return; }
  if (p === '/bad') {
    try { res.writeHead(200, { 'x-bad': 'a\\nb' }); } catch (err) { res.end(err.code); return; }
    res.end('accepted');
    return;
  }
  if (p === '/twotypes') { res.setHeader('content-type', ['text/plain', 'text/html']); res.end('two'); return; }
  if (p === '/status999') { setTimeout(() => { res.writeHead(999); res.end('odd'); }, 1); return; }
  if (p === '/pieces') { res.write('a'); setTimeout(() => { res.write('b'); res.end(); }, 5); return; }
  res.setHeader('content-type', 'text/plain');
  res.end('hello ' + req.method);
};
`;

test('the h2 stream road (no compat objects): HEAD, 204, 304, Expect: 100-continue, Content-Length of a one-chunk answer, header validation, a script cutting its answer resets the stream, write after end; misses still reach redbird; nothing leaks', async (t) => {
  const pid = process.pid;
  const h2 = await startH2Proxy(t, {
    files: { 'edge.js': EDGE_APP },
    defaults: { limitRequestBody: 1 << 20 },
    aliases: [
      { url: '/inline', path: 'edge.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/isolate', path: 'edge.js', applicationGroup: 'iso' },
      { url: '/pool', path: 'edge.js', processGroup: 'jsg', applicationGroup: '%{GLOBAL}' },
    ],
  });
  const session = connect(h2, t);
  for (const mode of ['/inline', '/isolate', '/pool']) {
    const hello = await h2Request(session, `${mode}/hello`);
    t.is(hello.status, 200, mode);
    t.is(hello.body.toString(), 'hello GET', mode);
    t.is(hello.headers['content-length'], '9', `${mode}: a one-chunk answer has its length`);
    t.is(typeof hello.headers.date, 'string', mode);
    const head = await h2Request(session, `${mode}/hello`, { method: 'HEAD' });
    t.is(head.status, 200, mode);
    t.is(head.body.length, 0, mode);
    t.is(head.headers['content-type'], 'text/plain', mode);
    t.is((await h2Request(session, `${mode}/nocontent`)).status, 204, mode);
    const notModified = await h2Request(session, `${mode}/notmodified`);
    t.is(notModified.status, 304, mode);
    t.is(notModified.headers.etag, '"x"', mode);
    t.is((await h2Request(session, `${mode}/pieces`)).body.toString(), 'ab', mode);
    // What HTTP/1 allows and h2 refuses never ends the proxy: a repeated single-value header keeps
    // its first value; a final status h2 cannot carry resets the stream (the pool's bridge answers 502).
    const twoTypes = await h2Request(session, `${mode}/twotypes`);
    t.is(twoTypes.status, 200, mode);
    t.is(twoTypes.headers['content-type'], 'text/plain', mode);
    t.is(twoTypes.body.toString(), 'two', mode);
    const odd = await h2Request(session, `${mode}/status999`).then((a) => a.status, () => 'reset');
    t.true(odd === 'reset' || odd === 502, `${mode}: ${odd}`);
    t.is((await h2Request(session, `${mode}/bad`)).body.toString(), 'ERR_INVALID_CHAR', `${mode}: Node's header validation`);
    // Write after end: heard (res 'error'), never the end of the proxy or of a worker realm.
    t.is((await h2Request(session, `${mode}/late`)).body.toString(), 'done', mode);
    t.is((await h2Request(session, `${mode}/hello`)).status, 200, `${mode}: still serving`);
    const lateOver1 = await httpsGet(h2.port, 'localhost', `${mode}/late`, h2.ca);
    t.is(lateOver1.body.toString(), 'done', `${mode} over HTTP/1.1`);
    t.is((await httpsGet(h2.port, 'localhost', `${mode}/hello`, h2.ca)).status, 200, `${mode} over HTTP/1.1: still serving`);
    // Expect: 100-continue: the client hears 100 before it sends the body.
    const counted = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': `${mode}/count`, expect: '100-continue', 'content-length': '4' }, { endStream: false });
      let body = '';
      stream.on('continue', () => stream.end('abcd'));
      stream.on('data', (c: Buffer) => { body += c.toString(); });
      stream.on('end', () => resolve(body));
      stream.on('error', reject);
    });
    t.is(counted, '4', `${mode}: 100-continue`);
    // The script cuts its answer midway: the client hears a reset, not a stream that never ends.
    const cut = await new Promise<{ rst: number; body: string }>((resolve) => {
      const stream = session.request({ ':path': `${mode}/cut` });
      let body = '';
      stream.on('data', (c: Buffer) => { body += c.toString(); });
      stream.on('error', () => undefined);
      stream.on('close', () => resolve({ rst: stream.rstCode ?? 0, body }));
    });
    t.not(cut.rst, http2.constants.NGHTTP2_NO_ERROR, `${mode}: a reset`);
    // A body over limitRequestBody (no Content-Length): 413, and the client is told to stop sending.
    const over = await new Promise<{ status: number; sent: number }>((resolve) => {
      const stream = session.request({ ':method': 'POST', ':path': `${mode}/count` }, { endStream: false });
      let status = 0;
      let sent = 0;
      stream.on('response', (h) => { status = Number(h[':status']); });
      stream.on('error', () => undefined);
      stream.on('close', () => resolve({ status, sent }));
      stream.resume();
      const pump = (): void => {
        while (sent < 256 << 20 && !stream.destroyed) {
          sent += 65536;
          if (!stream.write(Buffer.alloc(65536))) { stream.once('drain', pump); return; }
        }
        if (!stream.destroyed) stream.end();
      };
      pump();
    });
    t.is(over.status, 413, `${mode}: limitRequestBody`);
    t.true(over.sent < 256 << 20, `${mode}: the upload was stopped (${over.sent} bytes sent)`);
  }
  // Not the plugin's: Node's compat layer and redbird's "no route" answer, on the same connection
  // (redbird sets 404 only on an http.ServerResponse; the adapter sets it for an h2 one).
  const miss = await h2Request(session, '/nowhere');
  t.is(miss.body.toString(), 'Not Found');
  t.is(miss.status, 404);
  const busy = (): number => Object.values(h2.proxy.running.plugin.status().executors)
    .reduce((n, e) => n + e.inFlight + e.queued + e.processes.reduce((m, p) => m + p.inFlight, 0), 0);
  await waitFor('every slot free', () => (busy() === 0 ? true : undefined));
  t.is(process.pid, pid);
  t.deepEqual(warnings.filter((m) => /HTTP\/2|status message/i.test(m)), []);
});

test('every proxy.ssl listener is the plugin\'s, not only the last one redbird keeps: an h2 one and an HTTP/1.1 one', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'app.js': JS_APP });
  const cert = makeCertificate(dir, 'site', ['h2.test', 'localhost']);
  const proxy = await startProxy(t, {
    proxy: { ssl: [{ port: 0, key: 'site.key', cert: 'site.crt', http2: true }, { port: 0, key: 'site.key', cert: 'site.crt' }] },
    plugins: { scriptalias: { scriptAlias: [{ url: '/js-inline', path: 'app.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }] } },
  }, dir);
  const [h2Port, h1Port] = proxy.running.httpsPorts;
  if (h2Port === undefined || h1Port === undefined) throw new Error('two https ports expected');
  const session = connect({ proxy, port: h2Port, ca: cert.pem }, t);
  const over2 = await h2Request(session, '/js-inline/first');
  t.is(over2.status, 200, over2.body.toString());
  t.is(jsonOf(over2.body).httpVersion, '2.0');
  for (const port of [h2Port, h1Port]) {
    const over1 = await httpsGet(port, 'localhost', '/js-inline/h1', cert.pem);
    t.is(over1.status, 200, `port ${port}: ${over1.body}`);
    t.is(jsonOf(over1.body).httpVersion, '1.1');
  }
});

const TLS_APP = `module.exports.application = (req, res) => {
  const s = req.socket;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ protocol: typeof s.getProtocol === 'function' ? s.getProtocol() : 'missing',
    cipher: typeof s.getCipher === 'function' ? s.getCipher().name : 'missing',
    peer: typeof s.getPeerCertificate === 'function' ? Object.keys(s.getPeerCertificate()).length : 'missing',
    authorized: s.authorized, servername: s.servername, encrypted: s.encrypted }));
};
`;

test('an inline script asks req.socket about TLS (protocol, cipher, client certificate) the same over h2 as over HTTP/1.1', async (t) => {
  const h2 = await startH2Proxy(t, { files: { 'tls.js': TLS_APP },
    aliases: [{ url: '/tls', path: 'tls.js', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }] });
  const overH1 = await httpsGet(h2.port, 'localhost', '/tls', h2.ca);
  t.is(overH1.status, 200);
  const overH2 = await h2Request(connect(h2, t), '/tls');
  t.is(overH2.status, 200);
  const seen = jsonOf(overH2.body);
  t.deepEqual(seen, jsonOf(overH1.body));
  t.regex(String(seen.protocol), /^TLSv1\.[23]$/);
  t.is(seen.peer, 0, 'no client certificate: an empty object, as a TLSSocket gives');
});

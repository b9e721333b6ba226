// Hostile HTTP on raw sockets, against every executor in both runtimes (issue 12 items 1, 2, 6):
// framing attacks get Node's 400, Apache's limits their 4xx, underscore headers never spoof a CGI
// name, and no request is ever smuggled through to a script (each script counts what it sees).
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { startProxy, tempDir, writeTree, type TestProxy } from '../helpers/proxy.js';
import { findPython } from '../helpers/python.js';

const MiB = 1 << 20;
const python = findPython();

const jsScript = (count: string): string => `const fs = require('node:fs');
exports.application = (req, res) => {
  fs.appendFileSync(${JSON.stringify(count)}, req.method + ' ' + req.originalUrl + '\\n');
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('error', () => undefined);
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ xff: req.headers['x-forwarded-for'] ?? null, n }));
  });
};
`;
const pyScript = (count: string): string => `import json
def application(environ, start_response):
    with open(${JSON.stringify(count)}, 'a') as f:
        f.write(environ['REQUEST_METHOD'] + ' ' + environ['REQUEST_URI'] + '\\n')
    n = len(environ['wsgi.input'].read())
    spoof = sorted(k for k in environ if k.startswith('HTTP_') and 'EVIL' in str(environ[k]).upper())
    out = json.dumps({'xff': environ.get('HTTP_X_FORWARDED_FOR'), 'n': n, 'spoof': spoof}).encode()
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(out)))])
    return [out]
`;

interface Executor { readonly name: string; readonly file: string; readonly alias: Record<string, unknown>; readonly python: boolean }
const executors: readonly Executor[] = [
  { name: 'inline', file: 'inline.js', python: false, alias: { processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' } },
  { name: 'isolate', file: 'isolate.js', python: false, alias: { applicationGroup: 'iso' } },
  { name: 'named JS group', file: 'named.js', python: false, alias: { processGroup: 'js' } },
  { name: 'Python global', file: 'pyglobal.wsgi', python: true, alias: {} },
  { name: 'Python named', file: 'pynamed.wsgi', python: true, alias: { processGroup: 'py' } },
];

async function start(t: ExecutionContext, ex: Executor): Promise<{ proxy: TestProxy; runs: () => number; smuggledRuns: () => number }> {
  const dir = tempDir(t);
  const count = path.join(dir, `${ex.file}.count`);
  writeTree(dir, { [`scripts/${ex.file}`]: ex.python ? pyScript(count) : jsScript(count) });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    ...(python ? { python } : {}),
    defaults: { limitRequestBody: MiB },
    processGroups: { js: { processes: 1, threads: 4 }, py: { processes: 1, threads: 4, runtime: 'python', ...(python ? { python } : {}) } },
    scriptAlias: [{ url: '/s', path: `scripts/${ex.file}`, ...ex.alias }],
  } } }, dir);
  const lines = (): string[] => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean) : []);
  return { proxy, runs: () => lines().length, smuggledRuns: () => lines().filter((l) => l.includes('smuggled')).length };
}

/** Sends raw bytes; resolves with everything the server sent once it closes (or goes quiet after answering). */
function raw(port: number, bytes: string | Buffer): Promise<{ text: string; statuses: number[] }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])) });
    };
    // Safety only: a keep-alive answer leaves the socket open; the assertions never rest on this timer.
    const guard = setTimeout(() => socket.destroy(), 20_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.on('error', (err) => { if (chunks.length === 0 && !('code' in err)) reject(err); });
    socket.write(bytes);
  });
}

const head = (lines: string[], body = ''): string => `${lines.join('\r\n')}\r\n\r\n${body}`;
const smuggled = 'GET /s/smuggled HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';

/** Cases the proxy refuses before any script runs: [name, bytes, status]. */
const refused: ReadonlyArray<readonly [string, string, number]> = [
  ['CL+TE', head(['POST /s HTTP/1.1', 'Host: localhost', 'Content-Length: 4', 'Transfer-Encoding: chunked'], `0\r\n\r\n${smuggled}`), 400],
  ['duplicate Content-Length', head(['POST /s HTTP/1.1', 'Host: localhost', 'Content-Length: 5', 'Content-Length: 40'], `hello${smuggled}`), 400],
  ['negative Content-Length', head(['POST /s HTTP/1.1', 'Host: localhost', 'Content-Length: -1'], smuggled), 400],
  ['NUL in a header value', head(['GET /s HTTP/1.1', 'Host: localhost', 'X-A: a\0b']) + smuggled, 400],
  ['CR in a header value', head(['GET /s HTTP/1.1', 'Host: localhost', 'X-A: a\rb']) + smuggled, 400],
  ['obs-fold', head(['GET /s HTTP/1.1', 'Host: localhost', 'X-A: a', ' folded']) + smuggled, 400],
  ['2 GiB Content-Length', head(['POST /s HTTP/1.1', 'Host: localhost', `Content-Length: ${2 * 1024 * MiB}`], `abc${smuggled}`), 413],
  ['150 header fields', head(['GET /s HTTP/1.1', 'Host: localhost', ...Array.from({ length: 149 }, (_, i) => `X-F${i}: v`)]) + smuggled, 400],
  ['10 KiB request line', head([`GET /s?${'a'.repeat(10 * 1024)} HTTP/1.1`, 'Host: localhost']) + smuggled, 414],
  ['a 9000-byte header line', head(['GET /s HTTP/1.1', 'Host: localhost', `X-Big: ${'b'.repeat(9000)}`]) + smuggled, 431],
  ['a 20 KiB header', head(['GET /s HTTP/1.1', 'Host: localhost', `X-Big: ${'b'.repeat(20 * 1024)}`]) + smuggled, 431],
];

/** Broken chunked framing: the head is fine (the script may start), the body is not: never a 2xx, never the smuggled request. */
const badBodies: ReadonlyArray<readonly [string, string]> = [
  ['bad chunk size', head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked'], `zz\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['chunk size overflow', head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked'], `fffffffffffffffffff\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['bad chunk extension', head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked'], `5;a\0b\r\nhello\r\n0\r\n\r\n${smuggled}`)],
  ['chunk without CRLF', head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked'], `5\r\nhelloXX0\r\n\r\n${smuggled}`)],
];

for (const ex of executors) {
  test(`${ex.name}: hostile requests get their 4xx and nothing is smuggled through`, async (t) => {
    if (ex.python && !python) { t.fail('no python3 on PATH (install python3)'); return; }
    const { proxy, runs, smuggledRuns } = await start(t, ex);
    // Sanity: two pipelined requests are two runs, so the count means something.
    const ok = await raw(proxy.port, head(['GET /s HTTP/1.1', 'Host: localhost']) + head(['GET /s HTTP/1.1', 'Host: localhost', 'Connection: close']));
    t.deepEqual(ok.statuses, [200, 200], ok.text.slice(0, 200));
    t.is(runs(), 2);
    for (const [name, bytes, status] of refused) {
      const before = runs();
      const answer = await raw(proxy.port, bytes);
      t.deepEqual(answer.statuses, [status], `${name}: ${answer.text.slice(0, 120)}`);
      t.is(runs(), before, `${name}: no script run`);
    }
    for (const [name, bytes] of badBodies) {
      const answer = await raw(proxy.port, bytes);
      // The head was fine, so the script may have started (in a worker, its count line may land later).
      t.true(answer.statuses.every((s) => s >= 400), `${name}: ${answer.text.slice(0, 120)}`);
      t.is(smuggledRuns(), 0, `${name}: the smuggled request never ran`);
    }
    // The underscore spoof: only the hyphenated header reaches the script.
    const spoof = await raw(proxy.port, head(['GET /s HTTP/1.1', 'Host: localhost', 'X-Forwarded-For: good', 'X_Forwarded_For: evil', 'Connection: close']));
    t.deepEqual(spoof.statuses, [200]);
    const body = JSON.parse(spoof.text.slice(spoof.text.indexOf('\r\n\r\n') + 4)) as { xff: string; spoof?: string[] };
    t.is(body.xff, 'good');
    if (ex.python) t.deepEqual(body.spoof, []);
    // A chunked body within the limit passes whole.
    const small = await raw(proxy.port, head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked', 'Connection: close'], '5\r\nhello\r\n0\r\n\r\n'));
    t.deepEqual(small.statuses, [200]);
    t.regex(small.text, /"n": ?5/);
    t.is(smuggledRuns(), 0, 'no smuggled request ever ran');
    // The proxy still serves everyone else.
    const after = await raw(proxy.port, head(['GET /s HTTP/1.1', 'Host: localhost', 'Connection: close']));
    t.deepEqual(after.statuses, [200]);
  });

  test.serial(`${ex.name}: a 1 GiB chunked upload over a 1 MiB limitRequestBody is cut early with 413`, async (t) => {
    if (ex.python && !python) { t.fail('no python3 on PATH (install python3)'); return; }
    const { proxy } = await start(t, ex);
    const outcome = await new Promise<{ written: number; text: string }>((resolve) => {
      const socket = net.connect(proxy.port, '127.0.0.1');
      const chunk = Buffer.concat([Buffer.from(`${(64 * 1024).toString(16)}\r\n`), Buffer.alloc(64 * 1024, 97), Buffer.from('\r\n')]);
      let written = 0;
      let open = true;
      const received: Buffer[] = [];
      socket.on('data', (c: Buffer) => received.push(c));
      socket.on('error', () => { open = false; });
      socket.on('close', () => { open = false; resolve({ written, text: Buffer.concat(received).toString('latin1') }); });
      const pump = (): void => {
        while (open && written < 1024 * MiB) {
          written += chunk.length;
          if (!socket.write(chunk)) { socket.once('drain', pump); return; }
        }
        if (open) socket.end('0\r\n\r\n');
      };
      socket.write(head(['POST /s HTTP/1.1', 'Host: localhost', 'Transfer-Encoding: chunked']));
      pump();
    });
    t.true(outcome.written < 64 * MiB, `cut after ${outcome.written} bytes`);
    t.regex(outcome.text, /^HTTP\/1\.1 413 /);
    const after = await raw(proxy.port, head(['GET /s HTTP/1.1', 'Host: localhost', 'Connection: close']));
    t.deepEqual(after.statuses, [200]);
  });
}

// Bodies between the proxy and its isolate threads (a mux session on a MessagePort,
// protocol/mux-transport.ts): per-stream credit holds a writer to one window while its reader does not
// read, and a slow client of a big isolate answer keeps the script waiting on 'drain' instead of
// growing the proxy's memory.
import test from 'ava';
import net from 'node:net';
import path from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { MuxSession, STREAM_WINDOW, type MuxStream } from '../../src/protocol/mux.js';
import { portTransport } from '../../src/protocol/mux-transport.js';
import { startProxy, tempDir, writeTree } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';

const MiB = 1 << 20;

/** Reads a stream whole. */
function readAll(stream: MuxStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

test('mux on a MessagePort: a stream whose reader does not read gets one window, no more; it drains when the reader reads', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const accepted: MuxStream[] = [];
  const server = new MuxSession(portTransport(port2, { unref: true }), (stream) => {
    accepted.push(stream);
    // Stream 2 and later echo what they get: a round trip over the same (ordered) link.
    if (accepted.length > 1) stream.pipe(stream);
  });
  const client = new MuxSession(portTransport(port1, { unref: true }));
  t.teardown(() => { client.destroy(); server.destroy(); });

  const out = client.open();
  const total = 8 * MiB;
  const size = 64 * 1024;
  let written = 0;
  let refusals = 0;
  let drains = 0;
  const finished = new Promise<void>((resolve) => out.once('finish', resolve));
  const pump = (): void => {
    while (written < total) {
      // A fresh chunk each time: a written buffer belongs to the stream (it is sent as a view).
      const chunk = Buffer.alloc(size, written / size);
      written += size;
      const ok = written === total ? (out.end(chunk), true) : out.write(chunk);
      if (!ok) {
        refusals++;
        out.once('drain', () => { drains++; pump(); });
        return;
      }
    }
  };
  pump();
  const inbound = await waitFor('the stream at the reader', () => accepted[0]);
  await waitFor('one window at the reader', () => (inbound.readableLength >= STREAM_WINDOW ? true : undefined));
  // Two round trips on another stream of the same link: any credit the reader had sent would have
  // reached the writer, and the data it let through the reader, before the second answer comes back.
  for (let i = 0; i < 2; i++) {
    const ping = client.open();
    const answer = readAll(ping);
    ping.end(`ping ${i}`);
    t.is((await answer).toString(), `ping ${i}`);
  }
  t.is(inbound.readableLength, STREAM_WINDOW, 'exactly one window reached the reader that does not read');
  t.true(refusals >= 1, 'write() said false');
  t.is(drains, 0, 'no drain while the reader does not read');
  t.true(written < total, 'the writer waits');

  const body = await readAll(inbound);
  await finished;
  t.is(body.length, total);
  for (let at = 0; at < total; at += size) if (body[at] !== (at / size) % 256 || body[at + size - 1] !== (at / size) % 256) t.fail(`wrong bytes at ${at}`);
  t.true(drains >= 1, 'drain came once the reader read');
});

// Writes 128 MiB honouring backpressure; each time write() says false it records how much it wrote.
const BIG_WRITER = [
  "const fs = require('node:fs');",
  'exports.application = (req, res) => {',
  '  const total = 128 * 1024 * 1024;',
  '  const chunk = Buffer.alloc(64 * 1024, 120);',
  '  const log = new URL(req.url, "http://x").searchParams.get("log");',
  '  let written = 0;',
  "  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });",
  '  const pump = () => {',
  '    while (written < total) {',
  '      written += chunk.length;',
  '      if (written === total) { res.end(chunk); return; }',
  "      if (!res.write(chunk)) { fs.appendFileSync(log, written + '\\n'); res.once('drain', pump); return; }",
  '    }',
  '  };',
  '  pump();',
  '};',
  '',
].join('\n');

test('isolate: a slow reader of a 128 MiB answer holds the script back (write() false, then drain), so the proxy never holds the answer', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'big.cjs': BIG_WRITER });
  const proxy = await startProxy(t, { plugins: { scriptalias: { scriptAlias: [{ url: '/big', path: 'big.cjs', applicationGroup: 'bodies' }] } } }, dir);
  const log = path.join(dir, 'blocked.log');
  const writtenNow = (): number => {
    if (!existsSync(log)) return 0;
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    return Number(lines[lines.length - 1]);
  };
  const { port } = new URL(proxy.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.write(`GET /big?log=${encodeURIComponent(log)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  // The client reads nothing until the script has had to wait once: the whole path is full.
  socket.pause();
  const firstBlock = await waitFor('the script to wait for drain', () => writtenNow() || undefined);
  let received = 0;
  let lead = firstBlock;
  const done = new Promise<void>((resolve) => socket.once('close', resolve));
  socket.on('data', (c: Buffer) => {
    received += c.length;
    lead = Math.max(lead, writtenNow() - received);
    // A slow reader: one chunk per turn of the event loop, after the proxy had its say.
    socket.pause();
    setImmediate(() => socket.resume());
  });
  socket.resume();
  await done;
  const blocks = readFileSync(log, 'utf8').trim().split('\n').length;
  t.log(`script waited for drain ${blocks} times; at most ${(lead / MiB).toFixed(1)} MiB between what it wrote and what the client had`);
  t.true(received > 128 * MiB, 'the whole answer arrived');
  t.true(blocks >= 2, 'drain came and the script went on');
  // At most one stream window, the kernel buffers of both loopback ends (this reader's receive buffer
  // may autotune up to net.ipv4.tcp_rmem's maximum, 32 MiB on Debian, plus 4 MiB of send buffer) and a
  // few high-water marks. Without the credit the script runs ~100 MiB ahead.
  t.true(lead < 40 * MiB, `the script ran ${(lead / MiB).toFixed(1)} MiB ahead of the client`);
});

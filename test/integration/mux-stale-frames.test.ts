// Frames for a stream the worker end already closed (src/protocol/mux.ts, #streamFor), and the session
// token a JS realm requires in every request head (mux.ts, introduce). When a script
// destroys its request mid-upload, the proxy's next DATA frames for that stream are still on their way.
// Taken as a new stream, their bytes (the client's request body) were parsed as HTTP requests, each with
// whatever job header the client wrote into the body: any script file run in the realm. Found by hand
// against a real pool (a body of CRLF runs and forged requests, 1 try in 20 ran the forged script); here
// the same order of frames is written on purpose, so the test does not depend on the race.
import test from 'ava';
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { FrameType, MuxSession, StreamIds, isNewerStreamId, type MuxStream } from '../../src/protocol/mux.js';
import { portTransport } from '../../src/protocol/mux-transport.js';
import { encodeJob, type ScriptJob } from '../../src/protocol/job.js';
import { createScriptServer } from '../../src/worker/script-server.js';
import { JOB_HEADER } from '../../src/constants.js';
import { tempDir, writeTree } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';

function header(id: number, type: number, n: number): Buffer {
  const bytes = Buffer.alloc(9);
  bytes.writeUInt32BE(id, 0);
  bytes[4] = type;
  bytes.writeUInt32BE(n, 5);
  return bytes;
}

function dataFrame(id: number, text: string): Buffer {
  const payload = Buffer.from(text, 'latin1');
  return Buffer.concat([header(id, FrameType.Data, payload.length), payload]);
}

/** The Hello frames an opening end sends first (mux.ts, introduce): the token in four 32-bit words. */
function hello(token: string): Buffer {
  return Buffer.concat([0, 1, 2, 3].map((i) => header(i, FrameType.Hello, parseInt(token.slice(i * 8, i * 8 + 8), 16))));
}
const TOKEN = '0123456789abcdef00112233445566ff';

interface Frame { readonly id: number; readonly type: number; readonly payload: Buffer }

/** The whole frames at the start of `bytes` (only DATA has a payload), and what is left after them. */
function splitFrames(bytes: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (bytes.length - at >= 9) {
    const type = bytes[at + 4]!;
    const n = type === FrameType.Data ? bytes.readUInt32BE(at + 5) : 0;
    if (bytes.length - at < 9 + n) break;
    frames.push({ id: bytes.readUInt32BE(at), type, payload: bytes.subarray(at + 9, at + 9 + n) });
    at += 9 + n;
  }
  return { frames, rest: bytes.subarray(at) };
}

/** The frames a raw connection receives, in order. */
function framesOf(socket: net.Socket): Frame[] {
  const frames: Frame[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const split = splitFrames(Buffer.concat([buffered, chunk]));
    frames.push(...split.frames);
    buffered = split.rest;
  });
  return frames;
}

test('stream ids compare modulo 2^32: after the wrap-around to 1 an id is still newer', (t) => {
  t.true(isNewerStreamId(2, 1));
  t.true(isNewerStreamId(1, 0xffffffff));
  t.true(isNewerStreamId(0x7fffffff, 0));
  t.false(isNewerStreamId(1, 1));
  t.false(isNewerStreamId(1, 2));
  t.false(isNewerStreamId(0xfffffffe, 3));
});

test('the opening end wraps its ids around to 1 and skips the ones still in use', (t) => {
  const ids = new StreamIds(0xfffffffe);
  const inUse = new Set([1, 3]); // e.g. streams kept idle for reuse since the connection opened
  const taken: number[] = [];
  for (let i = 0; i < 4; i++) {
    const id = ids.take((candidate) => inUse.has(candidate));
    inUse.add(id);
    taken.push(id);
  }
  t.deepEqual(taken, [0xfffffffe, 0xffffffff, 2, 4]);
  // Each one newer than the one before, as the accepting end requires.
  for (let i = 1; i < taken.length; i++) t.true(isNewerStreamId(taken[i]!, taken[i - 1]!));
});

test('a DATA frame for a stream the accepting end closed opens no stream; newer ids do, across the wrap-around', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const opened: MuxStream[] = [];
  const accepting = new MuxSession(portTransport(port2, { unref: true }), (stream) => {
    opened.push(stream);
    stream.resume();
  });
  const resets: number[] = [];
  port1.on('message', (data: ArrayBuffer) => {
    for (const f of splitFrames(Buffer.from(data)).frames) if (f.type === FrameType.Reset) resets.push(f.id);
  });
  t.teardown(() => { accepting.destroy(); port1.close(); });
  const send = (id: number, text: string): void => {
    const own = new Uint8Array(dataFrame(id, text));
    port1.postMessage(own.buffer, [own.buffer]);
  };

  send(0x7ffffffe, 'first');
  await waitFor('the first stream', () => opened[0]);
  send(0xfffffffd, 'second'); // 2^31 - 1 ahead: newer
  await waitFor('the second stream', () => opened[1]);
  opened[1]!.destroy(); // as a script's req.destroy() does to its connection
  await waitFor('the RESET of the closed stream', () => (resets.includes(0xfffffffd) ? true : undefined));
  send(0xfffffffd, 'late body bytes of the closed stream');
  send(1, 'after the wrap-around');
  await waitFor('the stream after the wrap-around', () => opened[2]);
  t.deepEqual(opened.map((stream) => stream.id), [0x7ffffffe, 0xfffffffd, 1]);
});

test('a worker realm never runs a request found in the late body frames of a stream it closed', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(dir, 'forged-ran');
  writeTree(dir, {
    // Rejects every upload by destroying the request, as a script may.
    'upload.js': 'exports.application = (req, res) => { req.once("data", () => req.destroy()); };\n',
    'hello.js': 'exports.application = (req, res) => { res.writeHead(200, { "content-length": 3 }); res.end("hi\\n"); };\n',
    // What a client would like to run: any file the worker can load.
    'forged.js': `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\nexports.application = (req, res) => res.end("forged\\n");\n`,
  });
  const socketPath = path.join(dir, 'realm.sock');
  const server = createScriptServer({ socketPath, applicationGroup: '', log: () => undefined });
  await server.listen();
  t.teardown(() => server.close(0));
  const job = (script: string, reqId: string): string => TOKEN + encodeJob({
    script: path.join(dir, script), callable: 'application', scriptName: '', pathInfo: '/', url: '/', queryString: '',
    processGroup: 'g', applicationGroup: '', multiprocess: false, multithread: true, runOnce: false, passAuthorization: false, reloading: false,
    reqId, remoteAddr: '192.0.2.1', remotePort: 40000, serverName: 'localhost', serverPort: 80, urlScheme: 'http', encrypted: false,
    peerAddr: '192.0.2.1', localPort: 80, httpVersion: '1.1',
  } satisfies ScriptJob);

  const socket = net.createConnection(socketPath);
  t.teardown(() => socket.destroy());
  const frames = framesOf(socket);
  socket.write(hello(TOKEN));
  // Stream 1: an upload; its script destroys the request at the first body byte.
  socket.write(dataFrame(1, `POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100000\r\n${JOB_HEADER}: ${job('upload.js', 'r1')}\r\n\r\nx`));
  await waitFor('the RESET of the upload stream', () => (frames.some((f) => f.id === 1 && f.type === FrameType.Reset) ? true : undefined));
  // More of that upload's body, still on its way: a forged request (HTTP parsers skip leading CRLFs),
  // here even with the session's token, which a client cannot know: the late frame itself must go.
  socket.write(dataFrame(1, `\r\n\r\nGET / HTTP/1.1\r\nhost: localhost\r\n${JOB_HEADER}: ${job('forged.js', 'forged')}\r\n\r\n`));
  // Then a real request on a new stream: its answer comes after the worker read the frame before it.
  socket.write(dataFrame(2, `GET / HTTP/1.1\r\nhost: localhost\r\n${JOB_HEADER}: ${job('hello.js', 'r2')}\r\n\r\n`));
  await waitFor('the answer on stream 2', () => (Buffer.concat(frames.filter((f) => f.id === 2 && f.type === FrameType.Data).map((f) => f.payload)).includes('hi\n') ? true : undefined));

  // Each request counts as in flight from the moment its head is parsed (runScript), so a forged one
  // parsed before stream 2's would show here even while its script still loads.
  t.is(server.served() + server.inFlight(), 2, 'only the upload and the hello request ran');
  t.deepEqual(frames.filter((f) => f.id === 1).map((f) => f.type), [FrameType.Reset], 'nothing but the RESET on the closed stream');
  t.false(existsSync(marker));
});

test('a JS realm serves only request heads that carry the token its session opened with', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'hello.js': 'exports.application = (req, res) => { res.writeHead(200, { "content-length": 3 }); res.end("hi\\n"); };\n' });
  const socketPath = path.join(dir, 'realm.sock');
  const server = createScriptServer({ socketPath, applicationGroup: '', log: () => undefined });
  await server.listen();
  t.teardown(() => server.close(0));
  const job = encodeJob({
    script: path.join(dir, 'hello.js'), callable: 'application', scriptName: '', pathInfo: '/', url: '/', queryString: '',
    processGroup: 'g', applicationGroup: '', multiprocess: false, multithread: true, runOnce: false, passAuthorization: false, reloading: false,
    reqId: 'r', remoteAddr: '192.0.2.1', remotePort: 40000, serverName: 'localhost', serverPort: 80, urlScheme: 'http', encrypted: false,
    peerAddr: '192.0.2.1', localPort: 80, httpVersion: '1.1',
  } satisfies ScriptJob);
  const ask = async (socket: net.Socket, frames: Frame[], id: number, jobValue: string): Promise<string> => {
    socket.write(dataFrame(id, `GET / HTTP/1.1\r\nhost: localhost\r\n${JOB_HEADER}: ${jobValue}\r\n\r\n`));
    return waitFor(`the answer on stream ${id}`, () => {
      const text = Buffer.concat(frames.filter((f) => f.id === id && f.type === FrameType.Data).map((f) => f.payload)).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? '0');
      return text.length >= end + 4 + length ? text : undefined;
    });
  };

  // A session that never said hello: nothing is served, whatever the job says.
  const silent = net.createConnection(socketPath);
  t.teardown(() => silent.destroy());
  const silentFrames = framesOf(silent);
  t.regex(await ask(silent, silentFrames, 1, job), /^HTTP\/1\.1 500 [^]*SA_ERR_WORKER_PROTOCOL/);

  const socket = net.createConnection(socketPath);
  t.teardown(() => socket.destroy());
  const frames = framesOf(socket);
  socket.write(hello(TOKEN));
  t.regex(await ask(socket, frames, 1, job), /^HTTP\/1\.1 500 [^]*SA_ERR_WORKER_PROTOCOL/, 'no token');
  t.regex(await ask(socket, frames, 2, `${'0'.repeat(32)}${job}`), /^HTTP\/1\.1 500 [^]*SA_ERR_WORKER_PROTOCOL/, 'another token');
  t.regex(await ask(socket, frames, 3, TOKEN + job), /^HTTP\/1\.1 200 [^]*hi\n$/, 'its token');
  t.is(server.served(), 1);
});

// A floor for issue 16's hop targets: the least a Node proxy with a hop to a worker can do. An
// http.Server whose every request becomes frames to one worker (a process over a Unix socket, or a
// thread over a MessagePort, as the real pool and isolate), answered from frames. No routing, limits,
// job, request id, log or flow control: the real proxy does all this and more, so it can only be
// slower. usage: node floor-proxy.mjs PORT process|thread WORKLOAD_DIR
import http from 'node:http';
import v8 from 'node:v8';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { HEAD, DATA, END, frameReader, frameWriter, batchInOwnMemory, writeBatch } from './frames.mjs';

const [port, mode, workloadDir] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
// As `scriptalias serve` sets it for its proxy (plugin/heap-growth.ts): the same V8 for both.
v8.setFlagsFromString('--heap-growing-percent=300');
const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'floor-worker.mjs');
const answers = new Map();
let nextId = 1;

const onAnswer = frameReader((id, type, payload) => {
  const res = answers.get(id);
  if (!res) return;
  if (type === HEAD) {
    const [status, contentType, length] = payload.toString('latin1').split('\0');
    res.writeHead(Number(status), { 'Content-Type': contentType, 'Content-Length': length });
  } else if (type === DATA) res.write(payload);
  else {
    answers.delete(id);
    res.end();
  }
});

function serve(send) {
  // Each hop batches the way it measured faster (frames.mjs).
  const frame = frameWriter(send, mode === 'thread' ? 'turn' : 'callback');
  http.createServer((req, res) => {
    const id = nextId++;
    answers.set(id, res);
    frame(id, HEAD, Buffer.from(`${req.method}\0${req.url}\0${req.headers['content-length'] ?? ''}`, 'latin1'));
    if (req.method === 'GET' || req.method === 'HEAD') return;
    req.on('data', (chunk) => frame(id, DATA, chunk));
    req.on('end', () => frame(id, END));
  }).listen(port, '127.0.0.1');
}

if (mode === 'thread') {
  const worker = new Worker(workerFile, { workerData: { workloadDir } });
  worker.on('message', (buffer) => onAnswer(Buffer.from(buffer)));
  serve((pieces, bytes) => { const buffer = batchInOwnMemory(pieces, bytes); worker.postMessage(buffer, [buffer]); });
} else {
  const socketPath = path.join(os.tmpdir(), `floor-${process.pid}.sock`);
  const child = fork(workerFile, [socketPath, workloadDir]);
  process.on('exit', () => child.kill());
  child.once('message', () => {
    const link = net.createConnection(socketPath, () => serve((pieces, bytes) => writeBatch(link, pieces, bytes)));
    link.on('data', onAnswer);
  });
}
process.on('SIGTERM', () => process.exit(0));

// The floors' worker (a process on a Unix socket, or a thread on its MessagePort): answers the bench's
// workloads (the same bytes and headers as workloads/app.js) straight from frames, with no HTTP parser,
// no IncomingMessage and no ServerResponse: the least a worker can do per request.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HEAD, DATA, END, frameReader, frameWriter, batchInOwnMemory, writeBatch } from './frames.mjs';

function workloads(workloadDir) {
  const doc = JSON.parse(fs.readFileSync(path.join(workloadDir, 'doc.json'), 'utf8'));
  const hello = Buffer.from('Hello, World!\n');
  const chunk = Buffer.alloc(65536);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 255;
  const head = (status, type, length) => Buffer.from(`${status}\0${type}\0${length}`, 'latin1');
  /** One link: answers each request head; an echo stream sends its body back as it comes. */
  return (send) => {
    const echoing = new Set();
    return frameReader((id, type, payload) => {
      if (type === DATA) { if (echoing.has(id)) send(id, DATA, payload); return; }
      if (type === END) { if (echoing.delete(id)) send(id, END); return; }
      const [, url, length] = payload.toString('latin1').split('\0');
      switch (url) {
        case '/hello':
          send(id, HEAD, head(200, 'text/plain', hello.length));
          send(id, DATA, hello);
          send(id, END);
          return;
        case '/json':
        case '/jsonraw': {
          const body = Buffer.from(JSON.stringify(doc) + '\n');
          send(id, HEAD, head(200, 'application/json', body.length));
          send(id, DATA, body);
          send(id, END);
          return;
        }
        case '/big':
          send(id, HEAD, head(200, 'application/octet-stream', chunk.length * 16));
          for (let i = 0; i < 16; i++) send(id, DATA, chunk);
          send(id, END);
          return;
        case '/echo':
          send(id, HEAD, head(200, 'application/octet-stream', length));
          echoing.add(id);
          return;
        default:
          send(id, HEAD, head(404, 'text/plain', 10));
          send(id, DATA, Buffer.from('not found\n'));
          send(id, END);
      }
    });
  };
}

if (!isMainThread) {
  const serve = workloads(workerData.workloadDir);
  const onData = serve(frameWriter((pieces, bytes) => { const buffer = batchInOwnMemory(pieces, bytes); parentPort.postMessage(buffer, [buffer]); }));
  parentPort.on('message', (buffer) => onData(Buffer.from(buffer)));
} else {
  const [socketPath, workloadDir] = process.argv.slice(2);
  const serve = workloads(workloadDir);
  fs.rmSync(socketPath, { force: true });
  net.createServer((socket) => socket.on('data', serve(frameWriter((pieces, bytes) => writeBatch(socket, pieces, bytes)))))
    .listen(socketPath, () => process.send('ready'));
}

// The inline executor's road for HTTP/2 requests (docs/http2.md). A script gets Node's HTTP/1
// IncomingMessage/ServerResponse in every executor, never an Http2ServerRequest (Express swaps the
// prototypes and then crashes on the h2 ones). Worker realms get that for free (the hop is HTTP/1.1);
// inline has no hop, so an h2 request takes one in memory: the HTTP bridge (protocol/http-bridge.ts,
// the same code the pools use: backpressure, deadline, h2 answer rules) writes its HTTP/1.1 form into
// one end of an in-memory pair whose other end is a connection of an internal http.Server (never
// listening), which runs the script on the proxy's main thread with genuine objects.
import http from 'node:http';
import { Duplex } from 'node:stream';
import type { StreamPool } from '../protocol/connection-pool.js';
import { decodeJob, type ScriptJob } from '../protocol/job.js';
import { JOB_HEADER } from '../constants.js';
import { sendError } from '../http-error.js';

/** One end of an in-memory byte pipe: what one end writes, the other reads, with backpressure
 *  (a write completes when the reader takes it); destroying one end destroys the other. */
class PipeEnd extends Duplex {
  peer!: PipeEnd;
  #waiting: (() => void) | null = null;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.peer.destroyed) { callback(new Error('pipe closed')); return; }
    if (this.peer.push(chunk)) callback();
    else this.peer.#waiting = callback;
  }

  override _read(): void {
    const waiting = this.#waiting;
    if (waiting) { this.#waiting = null; waiting(); }
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#waiting = null;
    const waiting = this.peer.#waiting;
    this.peer.#waiting = null;
    waiting?.();
    if (!this.peer.destroyed) this.peer.destroy();
    callback(err);
  }
}

function pipePair(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export type RunJob = (job: ScriptJob, req: http.IncomingMessage, res: http.ServerResponse) => void;

const noop = (): void => undefined;

/**
 * A StreamPool for the bridge whose streams lead to an in-process http.Server running `run`.
 * Kept-alive pairs are reused (LIFO), as the pools reuse their worker connections.
 */
export function inMemoryScriptPool(run: RunJob): StreamPool {
  const idle: Duplex[] = [];
  const all = new Set<Duplex>();
  let closed = false;
  const server = http.createServer((req, res) => {
    // A late call of a script whose request was cut (client reset, deadline) must not become an
    // unheard 'error' event: that would end the proxy.
    res.on('error', noop);
    req.on('error', noop);
    let job: ScriptJob;
    try {
      job = decodeJob(String(req.headers[JOB_HEADER]));
    } catch {
      sendError(res, 'SA_ERR_WORKER_PROTOCOL', 'unknown');
      return;
    }
    run(job, req, res);
  });
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.on('clientError', (_err, socket: Duplex) => socket.destroy());
  return {
    socketPath: '(in memory)',
    acquire() {
      for (;;) {
        const stream = idle.pop();
        if (!stream) break;
        if (!stream.destroyed) return stream;
      }
      const [client, serverSide] = pipePair();
      all.add(client);
      client.once('close', () => all.delete(client));
      server.emit('connection', serverSide);
      return client;
    },
    release(stream) {
      if (closed || stream.destroyed) stream.destroy();
      else idle.push(stream);
    },
    destroy() {
      closed = true;
      idle.length = 0;
      for (const stream of all) stream.destroy();
    },
  };
}

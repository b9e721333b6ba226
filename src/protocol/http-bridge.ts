// The proxy side of the worker wire protocol: one request to a realm's Unix socket as plain
// keep-alive HTTP/1.1, and its answer back to the client, with backpressure both ways.
// Hand-rolled on a pooled byte stream (connection-pool.ts) instead of http.request: the Node HTTP client machinery
// (ClientRequest, Agent, IncomingMessage, pipe) cost ~40 µs per request on the proxy's busy core
// (bench: the pool path ran no faster than redbird -> node). The worker side is a real HTTP server.
// Failures: connection lost before the answer → 502, past timeoutMs → 504; once the answer started,
// the client connection is cut instead. Never throws.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScriptJob } from './job.js';
import { encodeJob } from './job.js';
import { JOB_HEADER } from '../constants.js';
import { sendError } from '../http-error.js';
import { errObject, type Logger } from '../log.js';
import type { StreamPool } from './connection-pool.js';
import { clientGone, isCompatHttp2, http2HasBody, writeHttp2Head } from './h2.js';
import { encodeWsgiHead, decodeWsgiAnswerHead } from './wsgi-head.js';
import type { MuxStream } from './mux.js';

export interface ForwardTarget {
  readonly pool: StreamPool;
}

export type ForwardOutcome = 'ok' | 'crashed' | 'timeout' | 'client-aborted';

/**
 * Which error a request whose worker connection broke before an answer gets, when the caller can
 * tell better than 502 (an isolate killed by its heap limit: 503). May wait a little for the cause.
 */
export type LostAnswer = () => Promise<'SA_ERR_SCRIPT_CRASHED' | 'SA_ERR_POOL_UNAVAILABLE'>;

/** Request headers never forwarded: hop-by-hop, proxy credentials, and Expect (we answer 100-continue). */
const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'expect', 'content-length', JOB_HEADER]);
/** The largest head either side of a hop reads (the CPython worker keeps a copy: wsgi_host/protocol.py). */
export const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** The exchange a stream currently serves: its listeners are attached once, not per request. */
const kExchange = Symbol('exchange');
type BridgeStream = MuxStream & { [kExchange]?: Exchange | null };

function bind(stream: BridgeStream, exchange: Exchange): void {
  if (!(kExchange in stream)) {
    stream.on('data', (chunk: Buffer) => stream[kExchange]?.onData(chunk));
    stream.on('error', (err: Error) => stream[kExchange]?.onBroken(err));
    stream.on('close', () => stream[kExchange]?.onBroken());
  }
  stream[kExchange] = exchange;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer' | 'until-close' | 'done';

class Exchange {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #job: ScriptJob;
  readonly #pool: StreamPool;
  readonly #log: Logger;
  readonly #resolve: (outcome: ForwardOutcome) => void;
  readonly #socket: BridgeStream;
  #state: State = 'head';
  #head: Buffer | null = null;
  #remaining = 0;
  #line = '';
  #keepAlive = true;
  #requestSent = false;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;
  #paused = false;
  readonly #h2: boolean;
  readonly #lost: LostAnswer | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, job: ScriptJob, pool: StreamPool, log: Logger, resolve: (o: ForwardOutcome) => void, lost?: LostAnswer) {
    this.#req = req;
    this.#res = res;
    this.#job = job;
    this.#pool = pool;
    this.#log = log;
    this.#resolve = resolve;
    this.#socket = pool.acquire();
    this.#h2 = isCompatHttp2(req);
    this.#lost = lost;
  }

  start(timeoutMs: number): void {
    bind(this.#socket, this);
    if (clientGone(this.#req, this.#res)) {
      // Reset while queued or while the executor started: the slot goes back at once.
      this.#state = 'done';
      this.#pool.release(this.#socket);
      this.#settle('client-aborted');
      return;
    }
    this.#res.on('close', this.#onClientClose);
    if (timeoutMs > 0) {
      this.#timer = setTimeout(this.#onTimeout, timeoutMs);
      this.#timer.unref();
    }
    this.#sendRequest();
  }

  #sendRequest(): void {
    const req = this.#req;
    const raw = req.rawHeaders;
    const length = req.headers['content-length'];
    const chunked = length === undefined && (this.#h2 ? http2HasBody(req) : req.headers['transfer-encoding'] !== undefined);
    const socket = this.#socket;
    if (this.#pool.headForm === 'wsgi') {
      const forwarded: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const lower = raw[i]!.toLowerCase();
        if (lower.charCodeAt(0) === 58 /* : */ || DROP_REQUEST.has(lower)) continue;
        forwarded.push(raw[i]!, raw[i + 1]!);
      }
      socket.write(encodeWsgiHead(req, this.#job, forwarded, length, chunked));
    } else {
      let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < raw.length; i += 2) {
        const lower = raw[i]!.toLowerCase();
        // h2 pseudo-headers (:method, :path, :authority → Host already) are not HTTP/1.1 headers.
        if (lower.charCodeAt(0) === 58 /* : */) continue;
        if (DROP_REQUEST.has(lower) || (lower === 'authorization' && !this.#job.passAuthorization)) continue;
        head += `${raw[i]}: ${raw[i + 1]}\r\n`;
      }
      if (length !== undefined) head += `content-length: ${length}\r\n`;
      else if (chunked) head += 'transfer-encoding: chunked\r\n';
      // The session's token first: the realm serves no head without it (mux.ts, introduce).
      head += `${JOB_HEADER}: ${socket.sessionToken ?? ''}${encodeJob(this.#job)}\r\n\r\n`;
      socket.write(head, 'latin1');
    }
    if ((length === undefined || length === '0') && !chunked) {
      this.#requestSent = true;
      return;
    }
    const onDrain = (): void => { req.resume(); };
    socket.on('drain', onDrain);
    // A body cut short (limitRequestBody, a client gone mid-body) leaves the worker mid-request: drop that connection.
    req.once('error', () => { if (!this.#requestSent) this.#abort('client-aborted', null); });
    req.on('data', (chunk: Buffer) => {
      if (this.#state === 'done') return;
      let ok: boolean;
      if (chunked) {
        // Size line, data and CRLF corked: one frame with the chunk as it is, not three.
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write(CRLF);
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) req.pause();
    });
    req.on('end', () => {
      socket.removeListener('drain', onDrain);
      if (chunked && this.#state !== 'done') socket.write(LAST_CHUNK);
      this.#requestSent = true;
    });
  }

  onData(chunk: Buffer): void {
    let data: Buffer = chunk;
    if (this.#state === 'head') {
      const buffered: Buffer = this.#head ? Buffer.concat([this.#head, chunk]) : chunk;
      let started: boolean;
      let rest: number;
      if (this.#pool.headForm === 'wsgi') {
        // u32 LE length, then the status line and header pairs, NUL-separated (wsgi-head.ts).
        const size = buffered.length >= 4 ? buffered.readUInt32LE(0) : 0;
        if (size > MAX_HEAD_BYTES) { this.#fail('answer head too large'); return; }
        if (buffered.length < 4 || buffered.length < 4 + size) { this.#head = buffered; return; }
        rest = 4 + size;
        const fields = decodeWsgiAnswerHead(buffered, 4, rest);
        started = this.#startAnswer(fields[0]!, fields, 1, 2);
      } else {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffered.length > MAX_HEAD_BYTES) this.#fail('answer head too large');
          else this.#head = buffered;
          return;
        }
        rest = end + 4;
        const lines = buffered.toString('latin1', 0, end).split('\r\n');
        // "HTTP/1.1 200 OK" → "200 OK"; header lines split at their colon below.
        started = this.#startAnswer(lines[0]!.slice(9), lines, 1, 1);
      }
      this.#head = null;
      if (!started) return;
      data = buffered.subarray(rest);
    }
    this.#body(data);
  }

  /**
   * Writes the answer's status and headers to the client. `statusLine` is "200 OK"; the headers are
   * fields[from…] as "Name: value" lines (step 1) or as name, value pairs (step 2).
   */
  #startAnswer(statusLine: string, fields: readonly string[], from: number, step: 1 | 2): boolean {
    const status = Number(statusLine.slice(0, 3));
    if (!(status >= 200 && status < 600)) {
      this.#fail(`bad status line from worker: ${statusLine}`);
      return false;
    }
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    for (let i = from; i < fields.length; i += step) {
      let name: string;
      let value: string;
      if (step === 2) {
        name = fields[i]!;
        value = (fields[i + 1] ?? '').trim();
      } else {
        const line = fields[i]!;
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        name = line.slice(0, colon);
        value = line.slice(colon + 1).trim();
      }
      const lower = name.toLowerCase();
      if (lower === 'content-length') length = Number(value);
      else if (lower === 'transfer-encoding') { chunked = /chunked/i.test(value); continue; }
      else if (lower === 'connection') { if (/close/i.test(value)) this.#keepAlive = false; continue; }
      else if (lower === 'keep-alive') continue;
      headers.push(name, value);
    }
    const res = this.#res;
    if (this.#h2) writeHttp2Head(res, status, headers);
    else res.writeHead(status, statusLine.slice(4), headers);
    if (this.#req.method === 'HEAD' || status === 204 || status === 304) this.#complete();
    else if (chunked) this.#state = 'chunk-size';
    else if (length >= 0) {
      this.#remaining = length;
      this.#state = 'length';
      if (length === 0) this.#complete();
    } else {
      this.#keepAlive = false;
      this.#state = 'until-close';
    }
    return true;
  }

  /** Passes body bytes through, decoding chunked framing; pauses the worker when the client is slow. */
  #body(data: Buffer): void {
    let offset = 0;
    while (offset < data.length && this.#state !== 'done' && this.#state !== 'head') {
      switch (this.#state) {
        case 'length': {
          const take = Math.min(this.#remaining, data.length - offset);
          const piece = offset === 0 && take === data.length ? data : data.subarray(offset, offset + take);
          offset += take;
          this.#remaining -= take;
          // The last piece goes with end(): head and body leave in one write.
          if (this.#remaining === 0) this.#complete(piece);
          else this.#write(piece);
          break;
        }
        case 'until-close':
          this.#write(offset === 0 ? data : data.subarray(offset));
          offset = data.length;
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailer': {
          const nl = data.indexOf(10, offset);
          const end = nl < 0 ? data.length : nl + 1;
          this.#line += data.toString('latin1', offset, end);
          offset = end;
          if (nl < 0) break;
          const line = this.#line.trim();
          this.#line = '';
          if (this.#state === 'chunk-end') this.#state = 'chunk-size';
          else if (this.#state === 'trailer') { if (line === '') this.#complete(); }
          else {
            const size = parseInt(line, 16);
            if (Number.isNaN(size)) { this.#fail('bad chunk size from worker'); return; }
            if (size === 0) this.#state = 'trailer';
            else { this.#remaining = size; this.#state = 'chunk-data'; }
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, data.length - offset);
          this.#write(data.subarray(offset, offset + take));
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'chunk-end';
          break;
        }
      }
    }
    if (offset < data.length && this.#state === 'done') this.#keepAlive = false; // stray bytes: do not reuse
  }

  #write(data: Buffer): void {
    if (data.length === 0) return;
    if (!this.#res.write(data) && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
      this.#res.once('drain', this.#onClientDrain);
    }
  }

  readonly #onClientDrain = (): void => {
    this.#paused = false;
    if (this.#state !== 'done') this.#socket.resume();
  };

  #complete(last?: Buffer): void {
    this.#state = 'done';
    if (last !== undefined && last.length > 0) this.#res.end(last);
    else this.#res.end();
    this.#detach();
    // Reuse the connection only when both directions are whole (a worker may answer before it read
    // the whole request body; that connection is mid-request and must go).
    if (this.#keepAlive && this.#requestSent) this.#pool.release(this.#socket);
    else {
      this.#socket.destroy();
      if (!this.#requestSent) this.#req.resume();
    }
    this.#settle('ok');
  }

  #detach(): void {
    const socket = this.#socket;
    // A connection paused for a slow client must flow again before anyone else uses it.
    if (this.#paused) {
      this.#paused = false;
      this.#res.removeListener('drain', this.#onClientDrain);
      socket.resume();
    }
    socket[kExchange] = null;
    this.#res.removeListener('close', this.#onClientClose);
    if (this.#timer) clearTimeout(this.#timer);
  }

  #fail(reason: string): void {
    this.#log.error({ code: 'SA_ERR_WORKER_PROTOCOL', reqId: this.#job.reqId, reason }, 'bad answer from worker');
    this.#abort('crashed', 'SA_ERR_SCRIPT_CRASHED');
  }

  #abort(outcome: ForwardOutcome, code: 'SA_ERR_SCRIPT_CRASHED' | 'SA_ERR_SCRIPT_TIMEOUT' | null): void {
    if (this.#state === 'done') return;
    const wasUntilClose = this.#state === 'until-close';
    this.#state = 'done';
    this.#detach();
    this.#socket.destroy();
    if (wasUntilClose && outcome === 'crashed') {
      // An answer without length or chunking ends when the worker closes: that close is its end.
      this.#res.end();
      this.#settle('ok');
      return;
    }
    if (code && !this.#res.headersSent) sendError(this.#res, code, this.#job.reqId);
    else if (!this.#res.writableEnded) this.#res.destroy();
    this.#settle(outcome);
  }

  onBroken(err?: Error): void {
    if (this.#state === 'done') return;
    if (this.#state !== 'until-close') {
      this.#log.error({ code: 'SA_ERR_SCRIPT_CRASHED', reqId: this.#job.reqId, err: errObject(err ?? 'Error: connection closed') }, 'worker connection lost');
    }
    if (this.#lost && this.#state !== 'until-close' && !this.#res.headersSent) {
      this.#state = 'done';
      this.#detach();
      this.#socket.destroy();
      const reqId = this.#job.reqId;
      void this.#lost().catch(() => 'SA_ERR_SCRIPT_CRASHED' as const).then((code) => {
        sendError(this.#res, code, reqId);
        this.#settle('crashed');
      });
      return;
    }
    this.#abort('crashed', 'SA_ERR_SCRIPT_CRASHED');
  }

  readonly #onClientClose = (): void => {
    // An h2 response says finished once its stream closed, also by a client's RST_STREAM: only our
    // own state says whether the answer went out whole.
    if (this.#state === 'done' || (!this.#h2 && this.#res.writableFinished)) return;
    this.#abort('client-aborted', null);
  };

  readonly #onTimeout = (): void => {
    if (this.#state === 'done') return;
    this.#log.error({ code: 'SA_ERR_SCRIPT_TIMEOUT', reqId: this.#job.reqId, script: this.#job.script }, 'request timed out');
    this.#abort('timeout', 'SA_ERR_SCRIPT_TIMEOUT');
  };

  #settle(outcome: ForwardOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(outcome);
  }
}

export function forwardRequest(req: IncomingMessage, res: ServerResponse, job: ScriptJob, target: ForwardTarget,
  options: { readonly timeoutMs: number; readonly log: Logger; readonly lost?: LostAnswer }, onDone: (outcome: ForwardOutcome) => void): void {
  // A callback, not a promise: no microtask hop between an answer and the next queued request.
  new Exchange(req, res, job, target.pool, options.log, onDone, options.lost).start(options.timeoutMs);
}

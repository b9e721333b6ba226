// An HTTP/2 stream the plugin takes, as Node's own HTTP/1 IncomingMessage/ServerResponse, built
// straight from the ServerHttp2Stream: Node's compatibility Http2ServerRequest/Response are never
// made for it (docs/http2.md). Scripts (Express swaps these objects' prototypes for its HTTP/1 ones),
// the access log and the pool bridge see what they see on HTTP/1.1, with httpVersion '2.0'.
// - the request: method, url, headers without pseudo-headers (`:authority` → Host when none came), a
//   body without Content-Length marked chunked (its HTTP/1.1 meaning), the body pushed with
//   backpressure (the stream pauses while the reader does not read);
// - the response: its head becomes the stream's HEADERS (storeHttp2Head: the headers Node's
//   _storeHeader is given, validated as Node does, no status message, no HTTP/1-only header; no HTTP/1
//   text head is built); body bytes go straight to the stream (writeToStream stands in for
//   _writeRaw; backpressure: the stream's write()/'drain'), and end() ends the stream with its last
//   chunk in one go; 'finish' when the stream has finished;
// - the socket is a stand-in that is never written: it tells the connection's facts; the stream's
//   close closes the response; destroyed before the answer ended (res.destroy()), it resets the
//   stream;
// - a stream closed before the answer finished (a reset) aborts the request.
// Per request: no closure, every listener is shared and finds its exchange through the stream.
// This leans on ServerResponse internals (_storeHeader, _writeRaw, _header, _headerSent,
// chunkedEncoding, _hasBody, _contentLength, kOutHeaders) and IncomingMessage#_addHeaderLines, stable
// for years and read by Express itself; the stand-ins are own properties, so they stay when Express
// swaps the prototypes.
import http2 from 'node:http2';
import http, { validateHeaderName, validateHeaderValue, type IncomingMessage, type ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import { addHttp2Header } from './h2.js';
import { kTellsConnection } from '../script/request-shape.js';

const kSocket = Symbol('http1 socket of an h2 stream');
type TakenStream = ServerHttp2Stream & { [kSocket]?: StreamSocket };

const noop = (): void => undefined;

/** The client connection's facts, read once per h2 session (through session.socket, a Proxy). */
interface ConnectionFacts {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
}
const kFacts = Symbol('connection facts');
const NO_FACTS: ConnectionFacts = { remoteAddress: undefined, remotePort: undefined, remoteFamily: undefined, localAddress: undefined, localPort: undefined };

function factsOf(stream: ServerHttp2Stream): ConnectionFacts {
  const session = stream.session as (ServerHttp2Stream['session'] & { [kFacts]?: ConnectionFacts }) | undefined;
  if (!session) return NO_FACTS;
  let facts = session[kFacts];
  if (facts === undefined) {
    const tls = session.socket as TLSSocket;
    facts = { remoteAddress: tls.remoteAddress, remotePort: tls.remotePort, remoteFamily: tls.remoteFamily, localAddress: tls.localAddress, localPort: tls.localPort };
    session[kFacts] = facts;
  }
  return facts;
}

/** What the script's request and response have as their socket: the client connection's facts; the
 *  response writes to the stream itself. */
export class StreamSocket extends Writable {
  readonly stream: ServerHttp2Stream;
  readonly req: IncomingMessage;
  res!: ServerResponse;
  /** res.end() is running: its body chunk is held to go with the stream's end. */
  ending = false;
  held: Buffer | string | undefined = undefined;
  heldEncoding: BufferEncoding | undefined = undefined;
  /** res.end()'s own completion callback: called when the stream has finished (emits 'finish'). */
  onFinish: (() => void) | undefined = undefined;
  /** The stream finished: every byte of the answer went out. */
  answered = false;
  #drainHeard = false;
  readonly encrypted = true;
  readonly [kTellsConnection] = true;
  readonly #facts: ConnectionFacts;

  constructor(stream: ServerHttp2Stream) {
    super();
    this.stream = stream;
    this.#facts = factsOf(stream);
    this.req = new http.IncomingMessage(this as never);
  }

  get remoteAddress(): string | undefined { return this.#facts.remoteAddress; }
  get remotePort(): number | undefined { return this.#facts.remotePort; }
  get remoteFamily(): string | undefined { return this.#facts.remoteFamily; }
  get localAddress(): string | undefined { return this.#facts.localAddress; }
  get localPort(): number | undefined { return this.#facts.localPort; }
  get alpnProtocol(): string { return 'h2'; }

  // The TLS connection's own answers (a client certificate, the cipher), which an inline script over
  // HTTP/1.1 gets from its TLSSocket: asked of the session's socket (a proxy that allows reading).
  #tls(): TLSSocket | undefined { return this.stream.session?.socket as TLSSocket | undefined; }
  get authorized(): boolean { return this.#tls()?.authorized ?? false; }
  get authorizationError(): Error | undefined { return this.#tls()?.authorizationError; }
  get servername(): string | false | undefined { return (this.#tls() as { servername?: string | false } | undefined)?.servername; }
  getPeerCertificate(detailed?: boolean): ReturnType<TLSSocket['getPeerCertificate']> | object {
    return this.#tls()?.getPeerCertificate(detailed as true) ?? {};
  }
  getCipher(): ReturnType<TLSSocket['getCipher']> | undefined { return this.#tls()?.getCipher(); }
  getProtocol(): string | null { return this.#tls()?.getProtocol() ?? null; }

  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    callback(); // nothing writes here (writeToStream): whatever does is dropped, as h2 has no raw bytes
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // Destroyed before the answer ended (res.destroy(), a cut-off hop): the client must hear it.
    const stream = this.stream;
    if (!stream.destroyed) {
      // destroy(err), not close(code): close() ends the writable side first, so the client would see
      // a whole answer, then a reset of a stream it already took as complete.
      if (!stream.writableEnded) stream.destroy(err ?? new Error('the answer was cut off'));
      // Answered, and the rest of the body is not wanted (limitRequestBody's 413): RST_STREAM
      // NO_ERROR once the answer is out tells the client to stop sending (RFC 9113 §8.1).
      else if (!this.req.complete) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    }
    callback(); // its error went to the stream: nobody listens to a stand-in's 'error'
  }

  /** The stream's write() said "full": the response's 'drain' follows the stream's. */
  awaitDrain(): void {
    if (this.#drainHeard) return;
    this.#drainHeard = true;
    this.stream.once('drain', onStreamDrain);
  }

  drained(): void {
    this.#drainHeard = false;
    this.res.emit('drain');
  }

  // Reading this connection: the stream (limitRequestBody pauses it).
  pause(): this { this.stream.pause(); return this; }
  resume(): this { this.stream.resume(); return this; }
  isPaused(): boolean { return this.stream.isPaused(); }

  // What http code may call on a connection: nothing to do here.
  setTimeout(): this { return this; }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
}

interface ResponseInternals {
  statusCode: number;
  sendDate: boolean;
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  _contentLength: number | null;
  _removedContLen: boolean;
  chunkedEncoding: boolean;
  socket: StreamSocket | null;
  _storeHeader(firstLine: string, headers: unknown): void;
}

const CONTENT_LENGTH = 1;
const TRANSFER_ENCODING = 2;
const TRAILER = 4;

/** One response header into the h2 header object (lower-case name, repeats as an array); returns
 *  which of the headers the length rules care about it is. */
function put(out: OutgoingHttpHeaders, name: string, value: unknown, validate: boolean): number {
  if (validate) validateHeaderName(name);
  const lower = name.toLowerCase();
  const flag = lower === 'content-length' ? CONTENT_LENGTH : lower === 'transfer-encoding' ? TRANSFER_ENCODING : lower === 'trailer' ? TRAILER : 0;
  if (Array.isArray(value)) {
    for (const one of value as unknown[]) add(out, name, lower, one, validate);
  } else add(out, name, lower, value, validate);
  return flag;
}

function add(out: OutgoingHttpHeaders, name: string, lower: string, value: unknown, validate: boolean): void {
  if (validate) validateHeaderValue(name, value as string);
  addHttp2Header(out, lower, typeof value === 'string' ? value : String(value));
}

const RESPOND = { endStream: false, waitForTrailers: false };
const RESPOND_NO_DATE = { endStream: false, waitForTrailers: false, sendDate: false };

/**
 * Stands in for ServerResponse#_storeHeader (called by writeHead with what it was given, or the
 * response's header map): the same headers, validated as Node does, go out as the stream's HEADERS.
 * Node's h2 layer adds `date` and ends the stream itself on HEAD, 204, 205 and 304.
 */
function storeHttp2Head(this: ResponseInternals, firstLine: string, given: unknown): void {
  const out: OutgoingHttpHeaders = { ':status': this.statusCode };
  let flags = 0;
  if (given) {
    if (given === outHeadersOf(this)) {
      for (const key in given as Record<string, [string, unknown]>) {
        const entry = (given as Record<string, [string, unknown]>)[key]!;
        flags |= put(out, entry[0], entry[1], false);
      }
    } else if (Array.isArray(given)) {
      if (given.length > 0 && Array.isArray(given[0])) {
        for (const entry of given as Array<[string, unknown]>) flags |= put(out, entry[0], entry[1], true);
      } else {
        if (given.length % 2 !== 0) throw Object.assign(new TypeError('The argument \'headers\' is invalid'), { code: 'ERR_INVALID_ARG_VALUE' });
        for (let i = 0; i < given.length; i += 2) flags |= put(out, given[i] as string, given[i + 1], true);
      }
    } else {
      for (const key in given as Record<string, unknown>) {
        if (Object.hasOwn(given as object, key)) flags |= put(out, key, (given as Record<string, unknown>)[key], true);
      }
    }
  }
  // A single-chunk answer (res.end(body) with no length set): Node's HTTP/1.1 rule, a Content-Length.
  if ((flags & (CONTENT_LENGTH | TRANSFER_ENCODING | TRAILER)) === 0 && this._hasBody && !this._removedContLen && typeof this._contentLength === 'number') {
    out['content-length'] = this._contentLength;
  }
  this._header = firstLine;       // headersSent; never written as bytes
  this._headerSent = true;
  this.chunkedEncoding = false;   // body bytes go out as they are (h2 frames them)
  const stream = this.socket?.stream;
  if (!stream || stream.headersSent || stream.destroyed || stream.closed) return;
  try {
    stream.respond(out, this.sendDate ? RESPOND : RESPOND_NO_DATE);
  } catch (err) {
    // What HTTP/1 allows and h2 does not (a final status outside 200–599): this stream is reset,
    // never an exception in whoever wrote the head (the pool bridge, a script's callback).
    stream.destroy(err as Error);
  }
}

// ServerResponse keeps its header map (what setHeader filled) under Node's kOutHeaders symbol.
let kOutHeaders: symbol | null = null;
function outHeadersOf(res: object): unknown {
  kOutHeaders ??= Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders') ?? Symbol('none');
  return (res as Record<symbol, unknown>)[kOutHeaders];
}

// Shared listeners (`this` is the emitter); each finds its exchange through the stream.
function onStreamData(this: TakenStream, chunk: Buffer): void {
  const req = this[kSocket]!.req;
  if (req.destroyed) return; // nobody reads any more: dropped, the stream flows to its end
  if (!req.push(chunk)) this.pause();
}
function onStreamEnd(this: TakenStream): void {
  const req = this[kSocket]!.req;
  req.complete = true;
  req.push(null);
}
function onStreamClose(this: TakenStream): void {
  const socket = this[kSocket];
  if (socket === undefined) return;
  // Node frees the stream's native half later (a queued callback), and its JS object lives until
  // then: cut its link to this exchange now, as Node's compat layer does (stream[kResponse] =
  // undefined), or the request's objects live on with it. Under h2load: 2.9 → 2.2 ms per
  // young-generation GC, 2.2 → 1.3 MB promoted by each.
  this[kSocket] = undefined;
  if (socket.answered) {
    // The answer went out whole: the response closes as Node's HTTP server closes one after its
    // 'finish' (counters and on-finished hear it); the stand-in socket is simply dropped.
    const res = socket.res as ServerResponse & { _closed?: boolean };
    if (res._closed !== true) {
      res._closed = true;
      res.destroyed = true;
      res.emit('close');
    }
    return;
  }
  // The client reset the stream or the connection went before the answer finished: the script's
  // request is aborted, and the socket's end closes the response (assignSocket's listener).
  if (!socket.req.destroyed) socket.req.destroy();
  if (!socket.destroyed) socket.destroy();
}
function onStreamFinish(this: TakenStream): void {
  const socket = this[kSocket]!;
  socket.answered = true;
  // A body the script did not read is discarded, as Node's HTTP server does.
  if (!socket.req.complete) this.resume();
  const done = socket.onFinish;
  socket.onFinish = undefined;
  done?.();
}
function onStreamDrain(this: TakenStream): void {
  this[kSocket]!.drained();
}
function endAtOnce(this: IncomingMessage): void {
  this.push(null);
}
function readStream(this: IncomingMessage): void {
  (this.socket as unknown as StreamSocket).stream.resume();
}

type Callback = (err?: Error | null) => void;
type ResponseWithSocket = ServerResponse & { socket: StreamSocket | null; _headerSent: boolean };

/**
 * Stands in for OutgoingMessage#_writeRaw: body bytes to the stream. While end() runs, its chunk is
 * held and its final empty write's callback (which emits 'finish') waits for the stream's finish.
 */
function writeToStream(this: ResponseWithSocket, data: Buffer | string, encoding?: BufferEncoding | Callback | null, callback?: Callback): boolean {
  if (typeof encoding === 'function') { callback = encoding; encoding = null; }
  const socket = this.socket;
  const stream = socket?.stream;
  if (!socket || !stream || stream.destroyed) return false; // as on a destroyed connection
  if (!this._headerSent) {
    // An informational head as HTTP/1.1 text (100 Continue, 103 Early Hints): not for an h2 stream.
    if (callback) process.nextTick(callback);
    return true;
  }
  if (socket.ending) {
    if (data.length > 0) {
      socket.held = data;
      socket.heldEncoding = encoding ?? undefined;
    }
    if (callback) socket.onFinish = callback as () => void;
    return true;
  }
  if (stream.writableEnded) {
    // Node ended it at the head (HEAD, 204, 304): no body goes out.
    if (callback) { if (stream.writableFinished) process.nextTick(callback); else socket.onFinish = callback as () => void; }
    return true;
  }
  if (data.length === 0) {
    if (callback) process.nextTick(callback);
    return true;
  }
  const ok = encoding ? stream.write(data, encoding, callback) : stream.write(data, callback);
  if (!ok) socket.awaitDrain();
  return ok;
}

const end = http.ServerResponse.prototype.end as (this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) => ServerResponse;

/** res.end(): Node's own, then the stream ends with the held last chunk (head + body + END_STREAM
 *  leave together when the head was not sent before). */
function endResponse(this: ResponseWithSocket, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
  const socket = this.socket;
  if (!socket || this.finished) return end.call(this, chunk, encoding, cb);
  socket.ending = true;
  try {
    end.call(this, chunk, encoding, cb);
  } finally {
    socket.ending = false;
  }
  const stream = socket.stream;
  const last = socket.held;
  socket.held = undefined;
  if (!stream.destroyed && !stream.writableEnded) {
    stream.on('finish', onStreamFinish);
    if (last === undefined) stream.end();
    else if (socket.heldEncoding) stream.end(last, socket.heldEncoding);
    else stream.end(last);
  } else if (!stream.destroyed) {
    // Node ended it at the head (HEAD, 204, 304).
    if (stream.writableFinished) onStreamFinish.call(stream as TakenStream);
    else stream.on('finish', onStreamFinish);
  }
  return this;
}

/** Builds the HTTP/1 request and response of one h2 stream (`headers`, `rawHeaders`: its 'stream' event's). */
export function http1Exchange(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: readonly string[]): { req: IncomingMessage; res: ServerResponse } {
  const socket = new StreamSocket(stream);
  const req = socket.req;
  req.method = headers[':method'] ?? 'GET';
  req.url = headers[':path'] ?? '/';
  req.httpVersion = '2.0';
  req.httpVersionMajor = 2;
  req.httpVersionMinor = 0;
  // Pseudo-headers come first (RFC 9113 §8.3; nghttp2 refuses a stream where they do not).
  let first = 0;
  while (first < rawHeaders.length && rawHeaders[first]!.charCodeAt(0) === 58 /* : */) first += 2;
  const raw = rawHeaders.slice(first);
  const authority = headers[':authority'];
  if (headers.host === undefined && typeof authority === 'string' && authority !== '') raw.push('Host', authority);
  const hasBody = !stream.endAfterHeaders;
  // A body without Content-Length is, in HTTP/1.1 terms, chunked: say so, as the worker hop does, so
  // body parsers (type-is: hasBody) see it.
  if (hasBody && headers['content-length'] === undefined) raw.push('transfer-encoding', 'chunked');
  // req.headers is then built by Node's HTTP/1 rules (repeats joined, Set-Cookie an array, one
  // Content-Type), when first read.
  (req as IncomingMessage & { _addHeaderLines(raw: string[], n: number): void })._addHeaderLines(raw, raw.length);
  // No 'error' listener on req: an IncomingMessage destroyed with an error emits it only when heard.
  const taken = stream as TakenStream;
  taken[kSocket] = socket;
  if (hasBody) {
    req._read = readStream;
    taken.on('data', onStreamData);
    taken.on('end', onStreamEnd);
  } else {
    // No body: its end is pushed when someone reads (no tick scheduled for a request nobody reads).
    req.complete = true;
    req._read = endAtOnce;
  }
  taken.on('error', noop); // a reset or a protocol error: 'close' follows, and says it
  taken.on('close', onStreamClose);

  const res = new http.ServerResponse(req);
  socket.res = res;
  res.on('error', noop);
  // Own properties: they stay when Express swaps the response's prototype for its own.
  const own = res as unknown as ResponseInternals & { _writeRaw: typeof writeToStream; end: typeof endResponse };
  own._storeHeader = storeHttp2Head;
  own._writeRaw = writeToStream;
  own.end = endResponse;
  res.assignSocket(socket as never);
  return { req, res };
}

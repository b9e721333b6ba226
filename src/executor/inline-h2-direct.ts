// The inline executor's road for HTTP/2 requests (docs/http2.md): a script gets Node's own HTTP/1
// IncomingMessage/ServerResponse (Express swaps their prototypes; on Node's Http2ServerRequest it
// crashes), built directly around the h2 stream, with no HTTP/1.1 bytes parsed on either side:
// - the request: an IncomingMessage filled from the h2 request (pseudo-headers left out, body pushed
//   with backpressure, httpVersion '2.0');
// - the response: a ServerResponse whose head, once Node has built it (_storeHeader), becomes the h2
//   response's HEADERS (no status message, no HTTP/1-only headers) and is never written as bytes;
//   its socket is a Writable that passes body bytes to the h2 response with backpressure.
// This leans on ServerResponse internals (_storeHeader, _header, _headerSent, chunkedEncoding) that
// have been stable for years and that Express itself reads (res._header); a test covers it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { http2HasBody, writeHttp2Head } from '../protocol/h2.js';

type Run = (req: IncomingMessage, res: ServerResponse) => void;

const noop = (): void => undefined;

/** What the script's ServerResponse writes to: body bytes only (the head went out as h2 HEADERS). */
class Http2BodySink extends Writable {
  readonly #out: ServerResponse;

  constructor(out: ServerResponse) {
    super({ decodeStrings: true });
    this.#out = out;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const out = this.#out;
    if (out.writableEnded || out.destroyed) { callback(); return; }
    if (out.write(chunk)) callback();
    else out.once('drain', () => callback());
  }

  // What http code may call on a connection: nothing to do here.
  setTimeout(): this { return this; }
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
}

interface ResponseInternals {
  _header: string | null;
  _headerSent: boolean;
  chunkedEncoding: boolean;
  _storeHeader(firstLine: string, headers: unknown): void;
}

/** Parses Node's own HTTP/1.1 head (status line + headers) of the script's answer. */
function headOf(text: string): { status: number; flat: string[] } {
  const lines = text.split('\r\n');
  const status = Number(lines[0]!.slice(9, 12));
  const flat: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon > 0) flat.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { status, flat };
}

/** Runs `run` with HTTP/1 objects for one h2 request (h2req/h2res: Node's compatibility objects). */
export function runOverHttp2(h2req: IncomingMessage, h2res: ServerResponse, run: Run): void {
  const sink = new Http2BodySink(h2res);
  sink.on('error', noop);
  const req = new http.IncomingMessage(sink as never);
  req.method = h2req.method;
  req.url = h2req.url;
  req.httpVersion = '2.0';
  req.httpVersionMajor = 2;
  req.httpVersionMinor = 0;
  const raw: string[] = [];
  const source = h2req.rawHeaders;
  for (let i = 0; i < source.length; i += 2) {
    if (source[i]!.charCodeAt(0) !== 58 /* : */) raw.push(source[i]!, source[i + 1]!);
  }
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(h2req.headers)) if (name.charCodeAt(0) !== 58) headers[name] = value;
  // A body without Content-Length is, in HTTP/1.1 terms, chunked: say so, as the worker hop does, so
  // body parsers (type-is: hasBody) see it.
  if (headers['content-length'] === undefined && http2HasBody(h2req)) {
    headers['transfer-encoding'] = 'chunked';
    raw.push('transfer-encoding', 'chunked');
  }
  req.rawHeaders = raw;
  req.headers = headers as http.IncomingHttpHeaders;
  req.on('error', noop);
  // The body, with backpressure: the h2 stream pauses while the script does not read.
  req._read = () => { h2req.resume(); };
  h2req.on('data', (chunk: Buffer) => { if (!req.push(chunk)) h2req.pause(); });
  h2req.on('end', () => { req.complete = true; req.push(null); });

  const res = new http.ServerResponse(req);
  res.on('error', noop);
  const internals = res as unknown as ResponseInternals;
  const storeHeader = internals._storeHeader;
  internals._storeHeader = function storeHttp2Head(this: ResponseInternals, firstLine: string, given: unknown): void {
    storeHeader.call(this, firstLine, given);
    const { status, flat } = headOf(this._header ?? '');
    if (!h2res.headersSent && !h2res.writableEnded) writeHttp2Head(h2res, status, flat);
    this._headerSent = true;        // the HTTP/1.1 head is never written as bytes
    this.chunkedEncoding = false;   // body bytes go out as they are (h2 frames them)
  };
  res.assignSocket(sink as never);
  sink.on('drain', () => res.emit('drain'));
  res.once('finish', () => {
    if (!h2res.writableEnded) h2res.end();
    // A body the script did not read is discarded, as Node's HTTP server does.
    if (!req.complete) h2req.resume();
    // → res 'close' (assignSocket's listener): counters and on-finished see the end. end(), not
    // destroy(): res.end() left a corked empty write that destroy() would fail with a new Error
    // (5 % of an h2 request's CPU in a profile).
    sink.end();
  });
  // The client reset the stream or the connection went: the script's request is aborted.
  h2res.once('close', () => {
    if (res.writableFinished) return;
    if (!req.destroyed) req.destroy();
    if (!sink.destroyed) sink.destroy();
  });
  run(req, res);
}

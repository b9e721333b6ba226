// One record per request, opened as it arrives when the access log or a metrics listener wants it,
// filled in once by whoever learns a fact (runtime: vhost, alias, groups, request id, client;
// executors: the worker pid; the redbird adapter: the route's target), and read once when the
// response ends: the access log writes its line and the runtime's 'request' event (metrics) fires,
// from one 'close' listener. Without a record (both off) noting a fact is one property miss.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RuntimeEvents } from '../runtime/events.js';

/** Where a finished request goes: the access log (src/ops/access-log.ts) implements it. */
export interface RequestLine {
  write(record: RequestRecord, req: IncomingMessage, res: ServerResponse, ms: number): void;
}

type Write = ServerResponse['write'];
type End = ServerResponse['end'];

export class RequestRecord {
  /** performance.now() at arrival: duration runs from the first byte in to the last byte out. */
  readonly start = performance.now();
  /** The URL as received (before anything rewrites req.url). */
  readonly url: string;
  /** Body bytes the handler wrote (headers excluded), as Apache's %b counts them. */
  bytes = 0;
  reqId: string | undefined = undefined;
  /** The matched context's ServerName. */
  vhost: string | undefined = undefined;
  /** The alias URL-path that took the request (SCRIPT_NAME for scripts). */
  alias: string | undefined = undefined;
  processGroup: string | undefined = undefined;
  applicationGroup: string | undefined = undefined;
  /** The process that ran the script: a pool worker, or the proxy for inline/isolate. */
  workerPid: number | undefined = undefined;
  /** Client address after the trusted-proxy rules (unset: the socket's address). */
  client: string | undefined = undefined;
  /** For requests redbird proxied: the route's target URL. */
  target: string | undefined = undefined;
  /** The process group metrics count it under ('' for %{GLOBAL}, static files, redirects, refusals);
   *  null while the plugin has not answered it (redbird's routes: not counted). */
  metricsGroup: string | null = null;
  /** res.write / res.end as they were before counting wrapped them. */
  readonly write: Write;
  readonly end: End;

  /** Where the record goes when the response ends (kept here so one shared listener serves all). */
  readonly req: IncomingMessage;
  readonly line: RequestLine | null;
  readonly events: RuntimeEvents;

  constructor(req: IncomingMessage, res: ServerResponse, line: RequestLine | null, events: RuntimeEvents) {
    this.url = req.url ?? '';
    this.write = res.write;
    this.end = res.end;
    this.req = req;
    this.line = line;
    this.events = events;
  }
}

const RECORD = Symbol('scriptalias.requestRecord');
type Tracked = ServerResponse & { [RECORD]?: RequestRecord };

/** The record of a request, when one is kept. */
export function recordOf(res: ServerResponse): RequestRecord | undefined {
  return (res as Tracked)[RECORD];
}

/**
 * Opens the record of a request and, when its response ends (finished or cut off), hands it to the
 * access log (when there is one) and emits the runtime's 'request' event (when the plugin answered it).
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse, line: RequestLine | null, events: RuntimeEvents): RequestRecord {
  const record = new RequestRecord(req, res, line, events);
  (res as Tracked)[RECORD] = record;
  // Shared functions, no closure per request (this runs on every request): they find their record
  // on the response.
  res.write = countingWrite as Write;
  res.end = countingEnd as End;
  res.on('close', closeRecord);
  return record;
}

function closeRecord(this: Tracked): void {
  const record = this[RECORD]!;
  const ms = performance.now() - record.start;
  record.line?.write(record, record.req, this, ms);
  const events = record.events;
  if (record.metricsGroup !== null && events.listenerCount('request') > 0) {
    events.emit('request', { vhost: record.vhost ?? '', group: record.metricsGroup, code: this.statusCode, seconds: ms / 1000 });
  }
}

function countingWrite(this: Tracked, chunk: unknown, encoding?: unknown): boolean {
  const record = this[RECORD]!;
  record.bytes += sizeOf(chunk, encoding);
  // `arguments` as it came: no array built per call.
  return (record.write as (...args: unknown[]) => boolean).apply(this, arguments as unknown as unknown[]);
}

function countingEnd(this: Tracked, chunk?: unknown, encoding?: unknown): ServerResponse {
  const record = this[RECORD]!;
  record.bytes += sizeOf(chunk, encoding);
  return (record.end as (...args: unknown[]) => ServerResponse).apply(this, arguments as unknown as unknown[]);
}

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return chunk.length === 0 ? 0 : Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

// The access log: one line per request, written when its response ends (finished or aborted).
// JSON (pino; default: the proxy's own logger at info) or Apache's Combined Log Format, to stdout
// or a file that reopen() (SIGUSR1, logrotate's postrotate) opens afresh. Fed by the request record
// the runtime, executors and redbird adapter fill in; it never calls back into them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, destination, stdTimeFunctions } from 'pino';
import type { Logger } from '../log.js';
import type { ResolvedAccessLog } from '../config/types.js';
import { openRecord, type RequestRecord } from './request-record.js';

type Destination = ReturnType<typeof destination>;

/** One finished request, as both formats see it. */
interface Entry {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: string;
  readonly record: RequestRecord;
  readonly ms: number;
  readonly bytes: number;
  readonly aborted: boolean;
}

export class AccessLog {
  readonly #config: ResolvedAccessLog;
  readonly #dest: Destination | null;
  readonly #write: (entry: Entry) => void;
  #closed = false;

  private constructor(config: ResolvedAccessLog, log: Logger) {
    this.#config = config;
    // Async (sonic-boom buffers and writes in the background): the cost per request stays small.
    // JSON to stdout is the proxy's log at info: off when that log is quieter than info.
    const quiet = config.path === null && config.format === 'json' && !log.isLevelEnabled('info');
    this.#dest = quiet ? null : config.path !== null ? destination({ dest: config.path, sync: false, mkdir: true }) : destination({ dest: 1, sync: false });
    const dest = this.#dest;
    if (dest === null) {
      this.#write = () => undefined;
    } else if (config.format === 'combined') {
      this.#write = (entry) => { dest.write(combinedLine(entry)); };
    } else {
      // Not the proxy's logger itself: its stdout writes are synchronous, one syscall a line; this
      // one buffers while a write is under way (the same fields and level, a fraction of the cost).
      const logger = config.path !== null ? pino({ base: null, timestamp: stdTimeFunctions.isoTime }, dest)
        : pino({ name: (log.bindings().name as string | undefined) ?? 'scriptalias', level: 'info' }, dest);
      this.#write = (entry) => logger.info(jsonFields(entry), 'access');
    }
  }

  /** null when the config turns the access log off. */
  static create(config: ResolvedAccessLog | null, log: Logger): AccessLog | null {
    return config ? new AccessLog(config, log) : null;
  }

  /** True when `other` would write the same log the same way (a reload keeps this one). */
  sameAs(other: ResolvedAccessLog | null): boolean {
    return other !== null && other.format === this.#config.format && other.path === this.#config.path;
  }

  /** Starts timing a request at its arrival and writes its line when the response ends. */
  begin(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const url = req.url ?? '';
    const record = openRecord(res);
    let bytes = 0;
    // Body bytes as Apache's %b counts them: what the handler wrote, headers excluded.
    const write = res.write;
    const end = res.end;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      bytes += sizeOf(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      bytes += sizeOf(chunk, rest[0]);
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
    res.once('close', () => {
      if (this.#closed) return;
      const noBody = req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      this.#write({ req, res, url, record, ms: performance.now() - start, bytes: noBody ? 0 : bytes, aborted: !res.writableFinished });
    });
  }

  /** Opens the file again by its name (after logrotate moved it); stdout: nothing to do. */
  reopen(): void {
    if (this.#config.path !== null) this.#dest?.reopen();
  }

  /** Writes out what is buffered and closes the file. Lines of requests still running are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const dest = this.#dest;
    if (!dest) return;
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.once('error', () => resolve());
      // stdout stays open for the rest of the process: only write out what is buffered.
      if (this.#config.path === null) { dest.flush(() => resolve()); return; }
      dest.end();
    });
  }
}

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

function jsonFields(e: Entry): Record<string, unknown> {
  const r = e.record;
  return {
    method: e.req.method, path: e.url, status: e.res.statusCode, bytes: e.bytes, ms: Math.round(e.ms * 1000) / 1000,
    vhost: r.vhost, alias: r.alias, group: r.processGroup, appGroup: r.applicationGroup, workerPid: r.workerPid,
    target: r.target, reqId: r.reqId, client: r.client ?? e.req.socket.remoteAddress,
    ...(e.aborted ? { aborted: true } : {}),
  };
}

// --- Apache's Combined Log Format: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" ---

function combinedLine(e: Entry): string {
  const { req, res } = e;
  const client = e.record.client ?? req.socket.remoteAddress ?? '-';
  const requestLine = `${req.method ?? '-'} ${e.url} HTTP/${req.httpVersion}`;
  const referer = header(req, 'referer');
  const agent = header(req, 'user-agent');
  return `${client} - - ${apacheTime()} "${escapeLogItem(requestLine)}" ${res.statusCode} ${e.bytes === 0 ? '-' : e.bytes}`
    + ` "${referer === undefined ? '-' : escapeLogItem(referer)}" "${agent === undefined ? '-' : escapeLogItem(agent)}"\n`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let timeSecond = -1;
let timeText = '';

/** %t: [10/Oct/2000:13:55:36 -0700], local time; formatted once per second. */
export function apacheTime(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second === timeSecond) return timeText;
  const d = new Date(second * 1000);
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const two = (n: number): string => String(n).padStart(2, '0');
  timeText = `[${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} `
    + `${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}]`;
  timeSecond = second;
  return timeText;
}

const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
const NAMED: Readonly<Record<number, string>> = { 0x08: '\\b', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x22: '\\"', 0x5c: '\\\\' };

/**
 * Apache's ap_escape_logitem: `"` and `\` get a backslash, \b \n \r \t \v their C escapes, every
 * other byte that is not printable ASCII (controls, DEL, 0x80 and up) becomes \xhh. Header and URL
 * strings from node are latin-1 (one char per byte); a wider char is escaped byte by byte of its UTF-8.
 */
export function escapeLogItem(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) { out += ch; continue; }
    const named = NAMED[code];
    if (named !== undefined) { out += named; continue; }
    const bytes = code <= 0xff ? [code] : [...Buffer.from(ch, 'utf8')];
    for (const b of bytes) out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out;
}

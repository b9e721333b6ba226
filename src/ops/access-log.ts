// The access log: one line per request, written when its response ends (finished or aborted).
// JSON (the fields and layout of a pino line at info) or Apache's Combined Log Format, to stdout
// (beside the proxy's own log) or a file that reopen() (SIGUSR1, logrotate's postrotate) opens afresh. Fed by the request record (src/ops/request-record.ts); it never calls back.
//
// Cost is the point of this module's shape (bench/README.md "Access log cost"): lines are built by
// hand (no logger per line), encoded straight into one buffer, and the buffer goes to a sonic-boom
// destination every FLUSH_MS or when full: a busy proxy makes a few hundred writes a second instead
// of one per request, and no string is encoded twice.
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import { destination } from 'pino';
import type { Logger } from '../log.js';
import type { ResolvedAccessLog } from '../config/types.js';
import type { RequestLine, RequestRecord } from './request-record.js';

type Destination = ReturnType<typeof destination>;
type Format = (record: RequestRecord, req: IncomingMessage, res: ServerResponse, ms: number) => string;

/** Lines wait at most this long (a tail -f sees them this late at the most)… */
const FLUSH_MS = 100;
/** …or until the buffer of this many bytes is full. */
const BUFFER_BYTES = 64 * 1024;

export class AccessLog implements RequestLine {
  readonly #config: ResolvedAccessLog;
  readonly #dest: Destination;
  readonly #format: Format;
  #buf = Buffer.allocUnsafe(BUFFER_BYTES);
  #used = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(config: ResolvedAccessLog, log: Logger) {
    this.#config = config;
    // A file is this log's alone: written in the background. stdout is shared with the proxy's own
    // log, which writes there synchronously from this thread: so does this one, or a line of the
    // other could land inside a 64 KiB write that a pipe takes in pieces (the cost measured the same).
    this.#dest = config.path !== null ? destination({ dest: config.path, sync: false, mkdir: true, contentMode: 'buffer' })
      : destination({ dest: 1, sync: true, contentMode: 'buffer' });
    const quoted = new Quoted();
    if (config.format === 'combined') {
      this.#format = combinedLine;
    } else if (config.path !== null) {
      // As pino({ base: null, timestamp: isoTime }) writes it.
      this.#format = (record, req, res, ms) => `{"level":30,"time":"${isoNow()}",${jsonFields(quoted, record, req, res, ms)}`;
    } else {
      // As the proxy's own logger (pino, name, pid, hostname) writes a line at info.
      const name = (log.bindings().name as string | undefined) ?? 'scriptalias';
      const bindings = `,"pid":${process.pid},"hostname":${JSON.stringify(os.hostname())},"name":${JSON.stringify(name)},`;
      this.#format = (record, req, res, ms) => `{"level":30,"time":${epochNow()}${bindings}${jsonFields(quoted, record, req, res, ms)}`;
    }
  }

  /** null when the config turns the access log off, or when its JSON lines would go to the proxy's
   *  log (stdout) while that is quieter than info. */
  static create(config: ResolvedAccessLog | null, log: Logger): AccessLog | null {
    if (config === null) return null;
    if (config.path === null && config.format === 'json' && !log.isLevelEnabled('info')) return null;
    return new AccessLog(config, log);
  }

  /** True when `other` would write the same log the same way (a reload keeps this one). */
  sameAs(other: ResolvedAccessLog | null): boolean {
    return other !== null && other.format === this.#config.format && other.path === this.#config.path;
  }

  /** The line of a request whose response has ended. */
  write(record: RequestRecord, req: IncomingMessage, res: ServerResponse, ms: number): void {
    if (this.#closed) return;
    const line = this.#format(record, req, res, ms);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: flush first when the line might not fit.
    if (this.#used + line.length * 3 > BUFFER_BYTES) {
      this.#flush();
      if (line.length * 3 > BUFFER_BYTES) { this.#dest.write(Buffer.from(line) as unknown as string); return; }
    }
    this.#used += this.#buf.write(line, this.#used);
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  #flush(): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    if (this.#used === 0) return;
    // sonic-boom keeps the bytes until they are written: the next lines go to a fresh buffer. In
    // contentMode 'buffer' its write() takes a Buffer (its typings only know strings).
    this.#dest.write(this.#buf.subarray(0, this.#used) as unknown as string);
    this.#buf = Buffer.allocUnsafe(BUFFER_BYTES);
    this.#used = 0;
  }

  /** Opens the file again by its name (after logrotate moved it); stdout: nothing to do. */
  reopen(): void {
    if (this.#config.path === null) return;
    this.#flush(); // lines so far belong to the old file
    this.#dest.reopen();
  }

  /** Writes out what is gathered and closes the file. Lines of requests still running are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    const dest = this.#dest;
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.once('error', () => resolve());
      // stdout stays open for the rest of the process: only write out what is buffered.
      if (this.#config.path === null) { dest.flush(() => resolve()); return; }
      dest.end();
    });
  }
}

/** The current time as text, formatted once per millisecond (a busy proxy logs many lines per ms). */
function textPerMillisecond(format: (now: number) => string): () => string {
  let last = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== last) { last = now; text = format(now); }
    return text;
  };
}

/** pino's isoTime. */
const isoNow = textPerMillisecond((now) => new Date(now).toISOString());
/** pino's epoch time (a 13-digit number is not a small integer: its conversion to text is the slow one). */
const epochNow = textPerMillisecond(String);

/** A duration in ms with at most 3 decimals, as `Math.round(ms * 1000) / 1000` prints, built from
 *  small integers (their text is cached by V8; a fraction's is computed every time). */
export function millisText(ms: number): string {
  const micros = Math.round(ms * 1000);
  const whole = Math.floor(micros / 1000);
  const frac = micros - whole * 1000;
  if (frac === 0) return String(whole);
  if (frac % 100 === 0) return `${whole}.${frac / 100}`;
  if (frac % 10 === 0) return `${whole}.${frac < 100 ? '0' : ''}${frac / 10}`;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** Body bytes as Apache's %b counts them: none for HEAD, 204 and 304. */
function bodyBytes(record: RequestRecord, req: IncomingMessage, res: ServerResponse): number {
  return req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304 ? 0 : record.bytes;
}

/**
 * The fields after pino's level/time/bindings, in pino's order; unset ones left out as pino does.
 * Strings are JSON-escaped (the path comes from the client); the few that come from the config
 * (method, vhost, alias, groups) are escaped once and remembered in `quoted`.
 */
function jsonFields(quoted: Quoted, r: RequestRecord, req: IncomingMessage, res: ServerResponse, ms: number): string {
  let s = req.method === undefined ? '' : `"method":${quoted.get(req.method)},`;
  s += `"path":${JSON.stringify(r.url)},"status":${res.statusCode},"bytes":${bodyBytes(r, req, res)},"ms":${millisText(ms)}`;
  if (r.vhost !== undefined) s += `,"vhost":${quoted.get(r.vhost)}`;
  if (r.alias !== undefined) s += `,"alias":${quoted.get(r.alias)}`;
  if (r.processGroup !== undefined) s += `,"group":${quoted.get(r.processGroup)}`;
  if (r.applicationGroup !== undefined) s += `,"appGroup":${quoted.get(r.applicationGroup)}`;
  if (r.workerPid !== undefined) s += `,"workerPid":${r.workerPid}`;
  if (r.target !== undefined) s += `,"target":${JSON.stringify(r.target)}`;
  if (r.reqId !== undefined) s += `,"reqId":${JSON.stringify(r.reqId)}`;
  const client = r.client ?? req.socket.remoteAddress;
  if (client !== undefined) s += `,"client":${JSON.stringify(client)}`;
  if (!res.writableFinished) s += ',"aborted":true';
  return s + ',"msg":"access"}\n';
}

/** JSON text of strings that repeat (config names); bounded, in case an alias matches many names. */
class Quoted {
  readonly #known = new Map<string, string>();

  get(text: string): string {
    let json = this.#known.get(text);
    if (json === undefined) {
      json = JSON.stringify(text);
      if (this.#known.size >= 1024) this.#known.clear();
      this.#known.set(text, json);
    }
    return json;
  }
}

// --- Apache's Combined Log Format: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" ---

function combinedLine(record: RequestRecord, req: IncomingMessage, res: ServerResponse): string {
  const client = record.client ?? req.socket.remoteAddress ?? '-';
  const requestLine = `${req.method ?? '-'} ${record.url} HTTP/${req.httpVersion}`;
  const referer = header(req, 'referer');
  const agent = header(req, 'user-agent');
  const bytes = bodyBytes(record, req, res);
  return `${client} - - ${apacheTime()} "${escapeLogItem(requestLine)}" ${res.statusCode} ${bytes === 0 ? '-' : bytes}`
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

// The text of an access-log line: JSON (the fields and layout of a pino line at info) or Apache's
// Combined Log Format. Pure functions of one finished request (AccessEntry); the access log's writer
// thread calls them, so none of this runs on the proxy's main thread.

/** One finished request, as the proxy's main thread hands it over (src/ops/access-ring.ts). */
export interface AccessEntry {
  /** When the response ended (the line's time): epoch ms when formatted; in the ring, the main
   *  thread's performance.now() (its clock read once per request already), which the writer thread
   *  converts (src/ops/access-log-thread.ts). */
  time: number;
  /** From the first byte in to the last byte out. */
  ms: number;
  status: number;
  /** Body bytes as Apache's %b counts them (none for HEAD, 204 and 304). */
  bytes: number;
  /** The response was cut off before it finished. */
  aborted: boolean;
  /** The process that ran the script; 0 when none did. */
  workerPid: number;
  /** Strings by slot (S_METHOD…); undefined = not known or not applicable. */
  readonly strings: (string | undefined)[];
}

// String slots, in the order the JSON line writes them.
export const S_METHOD = 0;
export const S_URL = 1;
export const S_VHOST = 2;
export const S_ALIAS = 3;
export const S_GROUP = 4;
export const S_APP_GROUP = 5;
export const S_TARGET = 6;
export const S_REQ_ID = 7;
export const S_CLIENT = 8;
// Only the combined format reads these.
export const S_HTTP_VERSION = 9;
export const S_REFERER = 10;
export const S_USER_AGENT = 11;
export const STRING_SLOTS = 12;

export function emptyEntry(): AccessEntry {
  return { time: 0, ms: 0, status: 0, bytes: 0, aborted: false, workerPid: 0, strings: new Array<string | undefined>(STRING_SLOTS).fill(undefined) };
}

export type LineFormat = (entry: AccessEntry) => string;

export interface FormatOptions {
  format: 'json' | 'combined';
  /** true: the line goes to a file of its own (pino's ISO time, no bindings); false: stdout, beside
   *  the proxy's own log, with its bindings (pid, hostname, name). */
  toFile: boolean;
  pid: number;
  hostname: string;
  name: string;
}

/** The line format for a log's options. */
export function lineFormat(options: FormatOptions): LineFormat {
  if (options.format === 'combined') return combinedLine;
  const quoted = new Quoted();
  if (options.toFile) {
    // As pino({ base: null, timestamp: isoTime }) writes it.
    const iso = textPerMillisecond((now) => new Date(now).toISOString());
    return (entry) => `{"level":30,"time":"${iso(entry.time)}",${jsonFields(quoted, entry)}`;
  }
  // As the proxy's own logger (pino, name, pid, hostname) writes a line at info.
  const bindings = `,"pid":${options.pid},"hostname":${JSON.stringify(options.hostname)},"name":${JSON.stringify(options.name)},`;
  const epoch = textPerMillisecond(String);
  return (entry) => `{"level":30,"time":${epoch(entry.time)}${bindings}${jsonFields(quoted, entry)}`;
}

/** A time's text, formatted once per millisecond (a busy proxy logs many lines per ms). */
function textPerMillisecond(format: (now: number) => string): (now: number) => string {
  let last = -1;
  let text = '';
  return (now) => {
    if (now !== last) { last = now; text = format(now); }
    return text;
  };
}

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

/**
 * The fields after pino's level/time/bindings, in pino's order; unset ones left out as pino does.
 * Strings are JSON-escaped (the path comes from the client); the few that come from the config
 * (method, vhost, alias, groups) are escaped once and remembered in `quoted`.
 */
function jsonFields(quoted: Quoted, e: AccessEntry): string {
  const s = e.strings;
  let out = s[S_METHOD] === undefined ? '' : `"method":${quoted.get(s[S_METHOD])},`;
  out += `"path":${JSON.stringify(s[S_URL] ?? '')},"status":${e.status},"bytes":${e.bytes},"ms":${millisText(e.ms)}`;
  if (s[S_VHOST] !== undefined) out += `,"vhost":${quoted.get(s[S_VHOST])}`;
  if (s[S_ALIAS] !== undefined) out += `,"alias":${quoted.get(s[S_ALIAS])}`;
  if (s[S_GROUP] !== undefined) out += `,"group":${quoted.get(s[S_GROUP])}`;
  if (s[S_APP_GROUP] !== undefined) out += `,"appGroup":${quoted.get(s[S_APP_GROUP])}`;
  if (e.workerPid !== 0) out += `,"workerPid":${e.workerPid}`;
  if (s[S_TARGET] !== undefined) out += `,"target":${JSON.stringify(s[S_TARGET])}`;
  if (s[S_REQ_ID] !== undefined) out += `,"reqId":${JSON.stringify(s[S_REQ_ID])}`;
  if (s[S_CLIENT] !== undefined) out += `,"client":${JSON.stringify(s[S_CLIENT])}`;
  if (e.aborted) out += ',"aborted":true';
  return out + ',"msg":"access"}\n';
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

function combinedLine(e: AccessEntry): string {
  const s = e.strings;
  const requestLine = `${s[S_METHOD] ?? '-'} ${s[S_URL] ?? ''} HTTP/${s[S_HTTP_VERSION] ?? '1.1'}`;
  const referer = s[S_REFERER];
  const agent = s[S_USER_AGENT];
  return `${s[S_CLIENT] ?? '-'} - - ${apacheTime(e.time)} "${escapeLogItem(requestLine)}" ${e.status} ${e.bytes === 0 ? '-' : e.bytes}`
    + ` "${referer === undefined ? '-' : escapeLogItem(referer)}" "${agent === undefined ? '-' : escapeLogItem(agent)}"\n`;
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

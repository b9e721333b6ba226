// The ScriptJob: what a worker (thread or process, JS or Python) needs to run one request,
// carried in one request header (JOB_HEADER) on the worker's local HTTP stream. The proxy always
// sets it and strips any copy a client sent, so no request can choose its own script or group.
import { forLastJob, perScript, samePlace, sameScriptSettings } from './job-memo.js';

/** Strings are runtime-ready: JS scripts get UTF-8
 *  decoded SCRIPT_NAME/PATH_INFO, Python scripts the PEP 3333 latin-1 form of the decoded bytes. */
export interface ScriptJob {
  readonly script: string;            // absolute path of the script file
  readonly callable: string;
  readonly scriptName: string;
  readonly pathInfo: string;
  /** PATH_INFO still %-encoded, plus ?query: what a JS script sees as req.url. */
  readonly url: string;
  readonly queryString: string;
  readonly processGroup: string;      // '' = %{GLOBAL}
  readonly applicationGroup: string;  // '' = %{GLOBAL}
  readonly multiprocess: boolean;
  readonly multithread: boolean;
  readonly runOnce: boolean;
  readonly passAuthorization: boolean;
  /** Check the script's mtime and reload it when it changed (scriptReloading). */
  readonly reloading: boolean;
  /** Proxy-side request id, for logs on both sides. */
  readonly reqId: string;
  /** Client address and server facts for the WSGI environ (REMOTE_ADDR, SERVER_NAME, SERVER_PORT). */
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly serverName: string;
  readonly serverPort: number;
  /** After the trusted-proxy rules (wsgi.url_scheme, req.scriptAlias.urlScheme). */
  readonly urlScheme: 'http' | 'https';
  /** The client connection itself, what a JS script's req.socket says in every realm: its TLS-ness and peer. */
  readonly encrypted: boolean;
  readonly peerAddr: string;
  readonly localPort: number;
  /** The client's protocol version, '1.1' or '2.0' (req.httpVersion, SERVER_PROTOCOL); the hop to a
   *  worker is always HTTP/1.1. Absent in jobs from older proxies: '1.1'. */
  readonly httpVersion?: string;
}

const HAS_NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;
/** Printable ASCII without `"` and `\\`: such a string is its own JSON text between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function escapeChar(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One string as ASCII-only JSON text. */
function jsonString(value: string): string {
  if (PLAIN.test(value)) return `"${value}"`;
  const json = JSON.stringify(value);
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/** The fields a script's group and alias decide, as JSON text (kept per script). */
const fixedPart = perScript(sameScriptSettings, (job) => `{"script":${jsonString(job.script)},"callable":${jsonString(job.callable)},`
  + `"processGroup":${jsonString(job.processGroup)},"applicationGroup":${jsonString(job.applicationGroup)},`
  + `"multiprocess":${job.multiprocess},"multithread":${job.multithread},"runOnce":${job.runOnce},`
  + `"passAuthorization":${job.passAuthorization},"reloading":${job.reloading}`);

/** The fields the client connection and listener decide, as JSON text (kept for the last job). */
const placePart = forLastJob(samePlace, (job) => `"remoteAddr":${jsonString(job.remoteAddr)},"serverName":${jsonString(job.serverName)},`
  + `"serverPort":${job.serverPort | 0},"urlScheme":${jsonString(job.urlScheme)},"encrypted":${job.encrypted},`
  + `"peerAddr":${jsonString(job.peerAddr)},"localPort":${job.localPort | 0}`
  + (job.httpVersion === undefined ? '' : `,"httpVersion":${jsonString(job.httpVersion)}`));

/** Wire form: JSON with every non-ASCII character escaped, so it is a valid latin-1 header value
 *  (JSON already escapes control characters, so no CR/LF). Plain JSON, not base64: both runtimes
 *  parse it directly. Written field by field, with the per-script and per-place fields kept as text:
 *  a generic JSON.stringify of the whole job and a scan of its text cost ~1.5 µs per request on the
 *  proxy's busy core (perf, JS pool hello), and every extra piece of the header is one more string
 *  to join and copy. */
export function encodeJob(job: ScriptJob): string {
  return `${fixedPart(job)},"scriptName":${jsonString(job.scriptName)},"pathInfo":${jsonString(job.pathInfo)},`
    + `"url":${jsonString(job.url)},"queryString":${jsonString(job.queryString)},"reqId":${jsonString(job.reqId)},`
    + `"remotePort":${job.remotePort | 0},${placePart(job)}}`;
}

export function decodeJob(header: string): ScriptJob {
  return JSON.parse(header) as ScriptJob;
}

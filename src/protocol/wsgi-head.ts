// The compact head of the Python hop (issue 16 item 4): the proxy has parsed the request already, so
// it sends the CPython worker the WSGI environ's string entries ready-made instead of HTTP text, and
// the worker answers with a compact head too. Frame = u32 LE byte length, then the fields joined by
// NUL: one split in C on the Python side, where uwsgi's per-pair lengths would need a Python loop
// (bench/README.md, "what a binary request head would save"). NUL occurs in no header value (llhttp
// and nghttp2 refuse it) and in no routed path (%00 answers 404); a job string that holds one is sent
// as a refused request. The environ rules are those of mod_wsgi and the worker had them before:
// header names with `_` are dropped (counted for a debug log), Authorization only with
// passAuthorization, Content-Type/Content-Length without the HTTP_ prefix.
import type { IncomingMessage } from 'node:http';
import type { ScriptJob } from './job.js';

/** Environ keys the worker removes before the application sees the environ. */
export const PRIVATE_KEYS = {
  requestId: 'scriptalias.request_id',
  chunked: 'scriptalias.chunked',
  dropped: 'scriptalias.dropped',
} as const;

/** Request headers that never become HTTP_* (hop-by-hop, proxy credentials), as the worker skipped them. */
const SKIPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authorization']);

/**
 * The request head for the CPython worker. `forwarded` are the header pairs the HTTP/1.1 form would
 * send (names as the client wrote them), `contentLength` the body's length when known, `chunked`
 * whether the body follows in chunked framing.
 */
export function encodeWsgiHead(req: IncomingMessage, job: ScriptJob, forwarded: readonly string[], contentLength: string | undefined, chunked: boolean): Buffer {
  const url = req.url ?? '/';
  const fields: string[] = [
    'REQUEST_METHOD', req.method ?? 'GET',
    'SCRIPT_NAME', job.scriptName,
    'PATH_INFO', job.pathInfo,
    'QUERY_STRING', job.queryString,
    'REQUEST_URI', url,
    'SCRIPT_FILENAME', job.script,
    'SERVER_NAME', job.serverName || 'localhost',
    'SERVER_PORT', String(job.serverPort),
    'SERVER_PROTOCOL', `HTTP/${job.httpVersion || '1.1'}`,
    'REMOTE_ADDR', job.remoteAddr,
    'REMOTE_PORT', String(job.remotePort),
    'wsgi.url_scheme', job.urlScheme,
    'wsgi.multithread', job.multithread ? '1' : '',
    'wsgi.multiprocess', job.multiprocess ? '1' : '',
    'wsgi.run_once', job.runOnce ? '1' : '',
    'mod_wsgi.process_group', job.processGroup,
    'mod_wsgi.application_group', job.applicationGroup,
    'mod_wsgi.callable_object', job.callable,
    'mod_wsgi.script_name', job.scriptName,
    'mod_wsgi.path_info', job.pathInfo,
    'mod_wsgi.script_reloading', job.reloading ? '1' : '0',
    PRIVATE_KEYS.requestId, job.reqId,
  ];
  if (job.urlScheme === 'https') fields.push('HTTPS', '1'); // as mod_wsgi passes mod_ssl's flag on
  if (chunked) fields.push(PRIVATE_KEYS.chunked, '1');
  // Repeated headers join with ', ' in arrival order, as the worker joined them from the text head.
  const joined = new Map<string, string>();
  for (let i = 0; i < forwarded.length; i += 2) {
    const name = forwarded[i]!.toLowerCase();
    const value = forwarded[i + 1]!.trim();
    const seen = joined.get(name);
    joined.set(name, seen === undefined ? value : `${seen}, ${value}`);
  }
  if (contentLength !== undefined) joined.set('content-length', contentLength);
  let dropped = 0;
  for (const [name, value] of joined) {
    if (name.includes('_')) {
      // X_Forwarded_For would become HTTP_X_FORWARDED_FOR too: never let a client spoof a CGI name a
      // front proxy sets (Apache 2.4 and gunicorn drop these names as well).
      dropped++;
      continue;
    }
    if (SKIPPED.has(name) || (name === 'authorization' && !job.passAuthorization)) continue;
    if (name === 'content-type') fields.push('CONTENT_TYPE', value);
    else if (name === 'content-length') fields.push('CONTENT_LENGTH', value);
    else fields.push(cgiName(name), value);
  }
  if (dropped > 0) fields.push(PRIVATE_KEYS.dropped, String(dropped));
  const text = fields.join('\0');
  // Two NULs more than the separators: a field held one, and the pairs would shift. Send an empty head,
  // which the worker refuses (SA_ERR_WORKER_PROTOCOL) rather than misread.
  const length = countNul(text) === fields.length - 1 ? Buffer.byteLength(text, 'utf8') : 0;
  // Encoded straight into the frame (no second buffer and copy per request).
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32LE(length, 0);
  if (length > 0) frame.write(text, 4, length, 'utf8');
  return frame;
}

/** HTTP_* environ names of header names, remembered (the same few names come on every request);
 *  bounded, as clients choose the names. */
const cgiNames = new Map<string, string>();

function cgiName(header: string): string {
  let name = cgiNames.get(header);
  if (name === undefined) {
    name = `HTTP_${header.toUpperCase().replaceAll('-', '_')}`;
    if (cgiNames.size >= 512) cgiNames.clear();
    cgiNames.set(header, name);
  }
  return name;
}

function countNul(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\0'); i >= 0; i = text.indexOf('\0', i + 1)) n++;
  return n;
}

/** The answer head's fields: status line ("200 OK"), then header name, value, name, value… */
export function decodeWsgiAnswerHead(head: Buffer, start: number, end: number): string[] {
  return head.toString('latin1', start, end).split('\0');
}

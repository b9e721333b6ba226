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
import { forLastJob, perScript, samePlace, sameScriptSettings } from './job-memo.js';

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
  const group = groupFields(job);
  const place = placeFields(job);
  let text = `REQUEST_METHOD\0${req.method ?? 'GET'}\0SCRIPT_NAME\0${job.scriptName}\0PATH_INFO\0${job.pathInfo}`
    + `\0QUERY_STRING\0${job.queryString}\0REQUEST_URI\0${req.url ?? '/'}\0${group}\0${place}\0REMOTE_PORT\0${job.remotePort}`
    + `\0mod_wsgi.script_name\0${job.scriptName}\0mod_wsgi.path_info\0${job.pathInfo}\0${PRIVATE_KEYS.requestId}\0${job.reqId}`;
  // A NUL inside a field would shift the pairs: such a head goes out empty, and the worker refuses it
  // (SA_ERR_WORKER_PROTOCOL) rather than misread it. Checked per field that can hold one, not by a
  // scan of the whole head.
  let nul = job.scriptName.includes('\0') || job.pathInfo.includes('\0') || job.queryString.includes('\0')
    || (req.url ?? '').includes('\0') || job.reqId.includes('\0');
  if (chunked) text += `\0${PRIVATE_KEYS.chunked}\x001`;
  // Repeated headers join with ', ' in arrival order, as the worker joined them from the text head.
  // Names and values in two arrays with a linear search (a request has a handful): no map per request.
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < forwarded.length; i += 2) {
    const name = forwarded[i]!.toLowerCase();
    const value = forwarded[i + 1]!.trim();
    const seen = names.indexOf(name);
    if (seen < 0) { names.push(name); values.push(value); } else values[seen] = `${values[seen]!}, ${value}`;
  }
  if (contentLength !== undefined) {
    const seen = names.indexOf('content-length');
    if (seen < 0) { names.push('content-length'); values.push(contentLength); } else values[seen] = contentLength;
  }
  let dropped = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name.includes('_')) {
      // X_Forwarded_For would become HTTP_X_FORWARDED_FOR too: never let a client spoof a CGI name a
      // front proxy sets (Apache 2.4 and gunicorn drop these names as well).
      dropped++;
      continue;
    }
    if (SKIPPED.has(name) || (name === 'authorization' && !job.passAuthorization)) continue;
    const key = name === 'content-type' ? 'CONTENT_TYPE' : name === 'content-length' ? 'CONTENT_LENGTH' : cgiName(name);
    const value = values[i]!;
    if (value.includes('\0')) nul = true;
    text += `\0${key}\0${value}`;
  }
  if (dropped > 0) text += `\0${PRIVATE_KEYS.dropped}\0${dropped}`;
  if (nul || group === null || place === null) return Buffer.alloc(4);
  // Encoded straight into the frame (no second buffer and copy per request).
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32LE(length, 0);
  frame.write(text, 4, length, 'utf8');
  return frame;
}

/** The environ entries the client connection and listener decide (server name and port, protocol,
 *  client address, scheme), kept for the last job; null when one holds a NUL. */
const placeFields = forLastJob(samePlace, (job): string | null => {
  let text = `SERVER_NAME\0${job.serverName || 'localhost'}\0SERVER_PORT\0${job.serverPort}\0SERVER_PROTOCOL\0HTTP/${job.httpVersion || '1.1'}`
    + `\0REMOTE_ADDR\0${job.remoteAddr}\0wsgi.url_scheme\0${job.urlScheme}`;
  if (job.urlScheme === 'https') text += '\0HTTPS\x001'; // as mod_wsgi passes mod_ssl's flag on
  return job.serverName.includes('\0') || job.remoteAddr.includes('\0') || (job.httpVersion ?? '').includes('\0') ? null : text;
});

/** The environ entries a job's group and script decide (8 of them), kept per script; null when one
 *  holds a NUL (config strings can). */
const groupFields = perScript(sameScriptSettings, (job): string | null => {
  const text = `SCRIPT_FILENAME\0${job.script}\0wsgi.multithread\0${job.multithread ? '1' : ''}`
    + `\0wsgi.multiprocess\0${job.multiprocess ? '1' : ''}\0wsgi.run_once\0${job.runOnce ? '1' : ''}`
    + `\0mod_wsgi.process_group\0${job.processGroup}\0mod_wsgi.application_group\0${job.applicationGroup}`
    + `\0mod_wsgi.callable_object\0${job.callable}\0mod_wsgi.script_reloading\0${job.reloading ? '1' : '0'}`;
  return (text.match(/\0/g)?.length ?? 0) === 15 ? text : null;
});

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

/** The answer head's fields: status line ("200 OK"), then header name, value, name, value… */
export function decodeWsgiAnswerHead(head: Buffer, start: number, end: number): string[] {
  return head.toString('latin1', start, end).split('\0');
}

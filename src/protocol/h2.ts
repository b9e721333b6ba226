// HTTP/2 facts the proxy side needs (DESIGN §4, issue 13). A request on redbird's `ssl.http2`
// listener is Node's compatibility Http2ServerRequest/Response; scripts never get those (each
// executor hands them an HTTP/1.1 form), but the bridge reads the request and writes the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { setHeader } from '../script/request-shape.js';

/** Whether `req` is Node's compatibility Http2ServerRequest: an h2 request that did not come through
 *  the plugin's stream road (h2-exchange.ts builds HTTP/1 objects, which everything treats as such). */
export function isCompatHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2 && (req as unknown as { stream?: unknown }).stream !== undefined;
}

/** Response headers HTTP/2 forbids (RFC 9113 §8.2.2): Node's h2 layer throws on them, so a script's
 *  are dropped instead (`te` is allowed only as "trailers", never useful on a response). */
const HTTP1_ONLY_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection',
  'transfer-encoding', 'upgrade', 'http2-settings', 'te']);

/** `:authority` becomes Host (routing, vhosts, %{RESOURCE}, SERVER_NAME) when the client sent none. */
export function adoptAuthority(req: IncomingMessage): void {
  if (req.headers.host !== undefined) return;
  const authority = req.headers[':authority'];
  if (typeof authority === 'string' && authority !== '') setHeader(req, 'host', authority);
}

/** Whether an h2 request has a body: h2 has no Transfer-Encoding, and a body may come without
 *  Content-Length; only END_STREAM on the HEADERS frame says "none". */
export function http2HasBody(req: IncomingMessage): boolean {
  const stream = (req as unknown as { stream?: ServerHttp2Stream }).stream;
  return stream ? !stream.endAfterHeaders : true;
}

/** Response headers Node's HTTP/2 layer allows once (lib/internal/http2/util.js kSingleValueHeaders). */
const SINGLE_VALUE: ReadonlySet<string> = new Set(['access-control-allow-credentials', 'access-control-max-age',
  'access-control-request-method', 'age', 'authorization', 'content-encoding', 'content-language', 'content-length',
  'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'proxy-authorization', 'range', 'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent',
  'x-content-type-options']);

/**
 * One response header (lower-case name) into an h2 header object, as both roads write it: HTTP/1-only
 * names dropped; a repeat of a single-value header dropped (Node's h2 layer would throw on two
 * Content-Types; the first stands, as an HTTP/1 client's parser keeps it); other repeats (Set-Cookie)
 * gathered as one array.
 */
export function addHttp2Header(out: OutgoingHttpHeaders, lower: string, value: string): void {
  if (HTTP1_ONLY_RESPONSE_HEADERS.has(lower)) return;
  const had = out[lower];
  if (had === undefined) out[lower] = value;
  else if (SINGLE_VALUE.has(lower)) return;
  else if (Array.isArray(had)) had.push(value);
  else out[lower] = [String(had), value];
}

/** Writes an answer's head on a compat h2 response: no status message, the headers as addHttp2Header puts them. */
export function writeHttp2Head(res: ServerResponse, status: number, flat: readonly string[]): void {
  const headers: OutgoingHttpHeaders = {};
  for (let i = 0; i < flat.length; i += 2) addHttp2Header(headers, flat[i]!.toLowerCase(), flat[i + 1]!);
  res.writeHead(status, headers);
}

/** Whether the client is already gone (a stream reset, a closed connection) before the bridge
 *  starts: its 'close' was emitted then, so nothing would ever end the exchange. */
export function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  const stream = (req as unknown as { stream?: ServerHttp2Stream }).stream;
  if (stream) return stream.destroyed || stream.closed;
  return res.socket?.destroyed === true;
}

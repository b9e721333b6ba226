// HTTP/2 facts the proxy side needs (DESIGN §4, issue 13). A request on redbird's `ssl.http2`
// listener is Node's compatibility Http2ServerRequest/Response; scripts never get those (each
// executor hands them an HTTP/1.1 form), but the bridge reads the request and writes the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import { setHeader } from '../script/request-shape.js';

/** Whether `req` is Node's compatibility Http2ServerRequest: an h2 request that did not come through
 *  the plugin's stream road (h2-exchange.ts builds HTTP/1 objects, which everything treats as such). */
export function isCompatHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2 && (req as unknown as { stream?: unknown }).stream !== undefined;
}

/** Response headers HTTP/2 forbids (RFC 9113 §8.2.2): Node's h2 layer throws on them, so a script's
 *  are dropped instead (`te` is allowed only as "trailers", never useful on a response). */
export const HTTP1_ONLY_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection',
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

/** Writes an answer's head on an h2 response: no status message, no HTTP/1-only headers, repeated
 *  names (Set-Cookie) kept as one array each. */
export function writeHttp2Head(res: ServerResponse, status: number, flat: readonly string[]): void {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    if (HTTP1_ONLY_RESPONSE_HEADERS.has(name)) continue;
    const value = flat[i + 1]!;
    const had = headers[name];
    if (had === undefined) headers[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else headers[name] = [had, value];
  }
  res.writeHead(status, headers);
}

/** Whether the client is already gone (a stream reset, a closed connection) before the bridge
 *  starts: its 'close' was emitted then, so nothing would ever end the exchange. */
export function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  const stream = (req as unknown as { stream?: ServerHttp2Stream }).stream;
  if (stream) return stream.destroyed || stream.closed;
  return res.socket?.destroyed === true;
}

// HTTP/2 requests the plugin takes skip Node's compatibility layer (docs/http2.md): on a server with
// HTTP/2 on, Node answers each stream through its compat 'stream' listener, which builds an
// Http2ServerRequest/Response and emits 'request'. Ours goes first: it routes on the stream's own
// headers (:method, :path, :authority), and a stream the plugin claims gets the HTTP/1 objects of
// src/protocol/h2-exchange.ts instead (no compat objects exist for it). Every other stream (redbird's
// routes, a miss, CONNECT, an Expect other than 100-continue) goes to the compat listener untouched.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Server } from 'node:net';
import { http1Exchange } from '../src/protocol/h2-exchange.js';

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** The route of a stream from its head; null = not the plugin's. */
export type StreamClaim<C> = (method: string, path: string, host: string | undefined) => C | null;

/** Puts `claim` in front of `server`'s HTTP/2 streams (nothing when it has none); returns the undo. */
export function takeHttp2Streams<C>(server: Server, claim: StreamClaim<C>,
  serve: (req: IncomingMessage, res: ServerResponse, claimed: C) => void): () => void {
  const compat = server.listeners('stream') as StreamListener[];
  if (compat.length === 0) return () => undefined;
  const first = function (this: Server, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]): void {
    const method = headers[':method'];
    const expect = headers.expect;
    if (method !== undefined && method !== 'CONNECT' && (expect === undefined || expect.toLowerCase() === '100-continue') && !stream.destroyed) {
      const authority = headers[':authority'];
      const claimed = claim(method, headers[':path'] ?? '/', headers.host ?? (typeof authority === 'string' && authority !== '' ? authority : undefined));
      if (claimed !== null) {
        // Node's compat layer says 100 Continue for a server that has no checkContinue listener.
        if (expect !== undefined) stream.additionalHeaders({ ':status': 100 });
        const { req, res } = http1Exchange(stream, headers, rawHeaders);
        serve(req, res, claimed);
        return;
      }
    }
    for (const listener of compat) listener.call(this, stream, headers, flags, rawHeaders);
  };
  server.removeAllListeners('stream');
  server.on('stream', first);
  return () => {
    server.removeListener('stream', first);
    for (const listener of compat) server.on('stream', listener);
  };
}

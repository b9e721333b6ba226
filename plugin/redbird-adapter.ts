// The only module that knows redbird's internals: it puts the plugin in front of redbird's own
// request handling on each of its servers (HTTP and HTTPS). A request the plugin takes is answered
// before redbird resolves or rewrites anything, so SCRIPT_NAME/PATH_INFO come from the original URL;
// anything else (and every WebSocket upgrade, a separate event) reaches redbird unchanged.
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Redbird } from 'redbird';
import { recordOf } from '../src/ops/request-record.js';
import { takeHttp2Streams, type StreamClaim } from './h2-streams.js';

/** Answers a request the plugin takes (true) or leaves it to redbird (false); `claimed` is what
 *  `claim` said of it when it came as an HTTP/2 stream. */
export type RequestTaker<C = unknown> = (req: IncomingMessage, res: ServerResponse, claimed?: C) => boolean;
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
/** Sees every request first, whoever answers it (the access log). */
export type RequestObserver = (req: IncomingMessage, res: ServerResponse) => void;
type GetTarget = (src: string, req: IncomingMessage, res?: ServerResponse) => Promise<URL | undefined>;

interface RedbirdServers {
  server?: Server;
  httpsServer?: Server;
  getTarget: GetTarget;
}

/**
 * Runs `observe` then `take` first on every request of redbird's servers; on an HTTP/2 server,
 * `claim` routes each stream first and a claimed one never becomes a compat request (h2-streams.ts).
 * redbird keeps only its last HTTPS server (`httpsServer`): `more` are the others it made (serve's
 * TLS listeners, one per proxy.ssl entry), or the plugin would never hear their requests.
 * Returns a function that undoes it.
 */
export function attachToRedbird<C>(redbird: Redbird, take: RequestTaker<C>, observe: RequestObserver = () => undefined, claim?: StreamClaim<C>,
  more: readonly NetServer[] = []): () => void {
  const undo: Array<() => void> = [];
  const servers = redbird as unknown as RedbirdServers;
  // A request redbird proxies is logged with the route's target: redbird picks it (round robin) here.
  const getTarget = servers.getTarget;
  servers.getTarget = async function (this: unknown, src, req, res) {
    const target = await getTarget.call(this, src, req, res);
    const record = res ? recordOf(res) : undefined;
    if (record && target) record.target = target.href;
    // redbird's "no route" answer sets 404 only on an http.ServerResponse: over HTTP/2 it would go out
    // as 200 Not Found. Set it here, where redbird learns there is no route; its own (or a user's
    // notFound callback) still writes the answer and may set another status.
    // (The type says ServerResponse; on an HTTP/2 server it is an Http2ServerResponse.)
    const answer = res as unknown as { statusCode: number; headersSent: boolean } | undefined;
    if (!target && answer && !(answer instanceof ServerResponse) && !answer.headersSent) answer.statusCode = 404;
    return target;
  };
  undo.push(() => { delete (servers as Partial<RedbirdServers>).getTarget; });
  for (const server of new Set([servers.server, servers.httpsServer, ...more as readonly Server[]])) {
    if (!server) continue;
    const redbirdListeners = server.listeners('request') as RequestListener[];
    const first: RequestListener = (req, res) => {
      observe(req, res);
      if (take(req, res)) return;
      for (const listener of redbirdListeners) listener.call(server, req, res);
    };
    server.removeAllListeners('request');
    server.on('request', first);
    if (claim) {
      undo.push(takeHttp2Streams(server, claim, (req, res, claimed) => {
        observe(req, res);
        take(req, res, claimed);
      }));
    }
    undo.push(() => {
      server.removeListener('request', first);
      for (const listener of redbirdListeners) server.on('request', listener);
    });
  }
  return () => { for (const step of undo) step(); };
}

/** redbird's HTTP server and its last-created HTTPS server (when it has them). */
export function redbirdServers(redbird: Redbird): Server[] {
  const servers = redbird as unknown as RedbirdServers;
  return [servers.server, servers.httpsServer].filter((s): s is Server => s !== undefined);
}

export function httpServerOf(redbird: Redbird): Server | undefined {
  return (redbird as unknown as RedbirdServers).server;
}

export interface RouteSpec {
  readonly src: string;
  readonly target: string;
  readonly opts: Readonly<Record<string, unknown>>;
}

/** Registers plain redbird routes; returns a function that unregisters them. */
export async function registerRoutes(redbird: Redbird, routes: readonly RouteSpec[]): Promise<() => void> {
  for (const route of routes) {
    await redbird.register(route.src, route.target, { ...route.opts } as never);
  }
  return () => {
    for (const route of routes) redbird.unregister(route.src, route.target);
  };
}

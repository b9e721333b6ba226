// Slow-client defence (Apache's RequestReadTimeout) for the proxy's HTTP/1 listeners. Each connection
// is in one phase: `head` (waiting for a request head: from accept, or from the first byte after a
// keep-alive pause), `body` (the request's body is being read), `busy` (the script answers: not ours
// to time) or `idle` (keep-alive between requests: Node's keepAliveTimeout, not ours). One sweep timer
// checks every connection against its phase's deadline; progress is socket.bytesRead, which the C++
// parser keeps current without a JS 'data' listener (adding one would un-consume the stream).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ResolvedReadTimeout, ResolvedReadWindow } from '../src/config/types.js';
import type { Logger } from '../src/log.js';

type Phase = 'head' | 'body' | 'busy' | 'idle';

interface Connection {
  phase: Phase;
  /** When the current phase's window started (ms, monotonic). */
  since: number;
  /** socket.bytesRead when it started. */
  base: number;
  req: IncomingMessage | null;
  res: ServerResponse | null;
}

const BODY_408 = '408 Request Timeout\ncode: SA_ERR_REQUEST_TIMEOUT\n';
const RAW_408 = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n'
  + `Content-Length: ${Buffer.byteLength(BODY_408)}\r\n\r\n${BODY_408}`;

/** When a phase's window ends: Apache's rule, the first window plus 1 s per minRate bytes, capped. */
export function deadlineOf(window: ResolvedReadWindow, since: number, bytes: number): number {
  const earned = window.minRate > 0 ? (bytes / window.minRate) * 1000 : 0;
  const until = since + window.initialMs + earned;
  return window.maxMs === null ? until : Math.min(until, since + window.maxMs);
}

/** The sweep's period: a tenth of the shortest window, between 50 ms and 1 s. */
function tickFor(limits: ResolvedReadTimeout): number {
  const shortest = Math.min(limits.header?.initialMs ?? Infinity, limits.body?.initialMs ?? Infinity);
  return Math.max(50, Math.min(1000, Number.isFinite(shortest) ? shortest / 10 : 1000));
}

const now = (): number => performance.now();

/** A watched socket's state, also kept on the socket itself: onRequest finds it without a map lookup. */
const kConnection = Symbol('scriptalias.readTimeout');
type Watched = Socket & { [kConnection]?: Connection | undefined };

export interface ReadTimeoutGuard {
  /** Puts `server`'s connections under the limits (once per server; later calls do nothing).
   *  `hearRequests: false` when the caller hands every request to onRequest itself (one listener less). */
  watch(server: Server, hearRequests?: boolean): void;
  /** Marks a connection busy with a request (what watch's own listener does). */
  onRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Connections being watched (status, tests). */
  readonly connections: number;
  /** Stops watching every server; open connections keep their sockets. */
  stop(): void;
}

/** `limits()` is read at every sweep and phase change, so a reload takes effect at once. */
export function readTimeoutGuard(limits: () => ResolvedReadTimeout, log: Logger): ReadTimeoutGuard {
  const connections = new Map<Socket, Connection>();
  const undo: Array<() => void> = [];
  const watched = new WeakSet<Server>();
  let timer: NodeJS.Timeout | null = null;
  let tick = 0;

  const forget = (socket: Socket): void => {
    connections.delete(socket);
    (socket as Watched)[kConnection] = undefined;
  };

  const cut = (socket: Socket, state: Connection, elapsedMs: number): void => {
    forget(socket);
    const bytes = socket.bytesRead - state.base;
    log.warn({ code: 'SA_ERR_REQUEST_TIMEOUT', phase: state.phase === 'head' ? 'header' : 'body', peer: socket.remoteAddress, bytes, elapsedMs: Math.round(elapsedMs) },
      `client too slow sending the request ${state.phase === 'head' ? 'head' : 'body'}: ${bytes} bytes in ${Math.round(elapsedMs)} ms; connection closed with 408`);
    // Once the script's answer has started, its status cannot change: the connection just ends.
    if (socket.writable && !(state.res?.headersSent ?? false)) socket.end(RAW_408, () => socket.destroy());
    else socket.destroy();
  };

  const sweep = (): void => {
    const current = limits();
    const t = now();
    for (const [socket, state] of connections) {
      if (state.res?.writableFinished === true) {
        // Answered: keep-alive until the next request's first byte.
        state.phase = 'idle';
        state.since = t;
        state.base = socket.bytesRead;
        state.req = null;
        state.res = null;
      }
      if (state.phase === 'idle') {
        // The next request's first byte ends the keep-alive pause and starts its head window.
        if (socket.bytesRead > state.base) { state.phase = 'head'; state.since = t; }
        continue;
      }
      // An upgraded (WebSocket) or CONNECT socket has left HTTP: Node freed its parser.
      if (!(socket as Socket & { parser?: unknown }).parser) { forget(socket); continue; }
      // The parser has the whole body (read or not by the script): nothing more is owed by the client.
      if (state.phase === 'body' && state.req?.complete === true) state.phase = 'busy';
      if (state.phase === 'busy') continue;
      const window = state.phase === 'head' ? current.header : current.body;
      if (window === null) continue;
      // A paused socket waits for the script, not for the client: that time is not the client's.
      if (state.phase === 'body' && socket.isPaused()) { state.since = t; state.base = socket.bytesRead; continue; }
      if (t > deadlineOf(window, state.since, socket.bytesRead - state.base)) cut(socket, state, t - state.since);
    }
    const wanted = tickFor(current);
    if (wanted !== tick) schedule(wanted);
  };

  const schedule = (period: number): void => {
    if (timer) clearInterval(timer);
    tick = period;
    timer = setInterval(sweep, period);
    timer.unref();
  };

  const track = (socket: Socket): void => {
    if ((socket as TLSSocket).alpnProtocol === 'h2') return; // HTTP/2 sessions: not HTTP/1 connections
    const state: Connection = { phase: 'head', since: now(), base: socket.bytesRead, req: null, res: null };
    connections.set(socket, state);
    (socket as Watched)[kConnection] = state;
    socket.once('close', () => forget(socket));
    if (!timer) schedule(tickFor(limits()));
  };

  // Per request: a few field writes and no listener or map lookup (it runs on every request); the
  // sweep sees when the answer has finished and turns the connection idle. A request without a body
  // leaves nothing to time, so it reads no clock and no byte count.
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const state = (req.socket as Watched)[kConnection];
    if (state === undefined) return;
    const headers = req.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    state.req = req;
    state.res = res;
    if (!hasBody) {
      state.phase = 'busy';
      return;
    }
    state.phase = 'body';
    state.since = now();
    state.base = req.socket.bytesRead;
  };

  return {
    onRequest,
    watch(server, hearRequests = true) {
      if (watched.has(server)) return;
      watched.add(server);
      // A TLS server's request socket is the TLSSocket ('secureConnection'), a plain one's the TCP socket.
      const event = 'setSecureContext' in server ? 'secureConnection' : 'connection';
      server.on(event, track);
      if (hearRequests) server.prependListener('request', onRequest);
      undo.push(() => { server.removeListener(event, track); server.removeListener('request', onRequest); });
    },
    get connections() { return connections.size; },
    stop() {
      for (const step of undo.splice(0)) step();
      if (timer) clearInterval(timer);
      timer = null;
      for (const socket of [...connections.keys()]) forget(socket);
    },
  };
}

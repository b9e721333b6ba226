// A realm's HTTP server on its Unix socket (the worker side of the wire protocol): the proxy's
// connection carries multiplexed streams (protocol/mux.ts), each handed to a real http.Server as a
// connection, so scripts get genuine IncomingMessage/ServerResponse objects. Each request carries its
// ScriptJob in one header, after its session's token (mux.ts, introduce); a job without that token, for
// another application group, or none, is refused.
import http, { type Server } from 'node:http';
import net from 'node:net';
import { MuxSession, MuxStream } from '../protocol/mux.js';
import { socketTransport, type MuxTransport } from '../protocol/mux-transport.js';
import { once } from 'node:events';
import { chmodSync, rmSync } from 'node:fs';
import type { PreloadEntry, PreloadResult, LogMessage } from '../protocol/messages.js';
import { decodeJob, type ScriptJob } from '../protocol/job.js';
import { createScriptCache } from '../script/load-script.js';
import { runScript, type RunCounters } from '../script/run-script.js';
import { sendError } from '../http-error.js';
import { messageWithCauses, serializeError } from '../errors.js';
import { JOB_HEADER } from '../constants.js';

export type LogSink = (message: LogMessage) => void;

export interface ScriptServer {
  /** Listens on the Unix socket: each connection is a mux session. */
  listen(): Promise<void>;
  /** Serves one mux session over `link` (an isolate's MessagePort), instead of or besides listen(). */
  attach(link: MuxTransport): void;
  preload(entries: readonly PreloadEntry[]): Promise<PreloadResult[]>;
  /** Stops taking connections, waits for in-flight requests (at most gracefulMs), closes. */
  close(gracefulMs: number): Promise<void>;
  inFlight(): number;
  served(): number;
}

/** An error as text for the proxy's log (errObject there takes type and message from the first
 *  line): that line carries the causes' messages, the stacks follow. */
function stackOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = `${err.name}: ${err.message}`;
  const stack = err.stack ?? head;
  const frames = stack.startsWith(head) ? stack.slice(head.length) : `\n${stack}`;
  const cause = err.cause instanceof Error ? `\ncaused by: ${err.cause.stack ?? err.cause.message}` : '';
  return `${err.name}: ${messageWithCauses(err)}${frames}${cause}`;
}

/** `socketPath`: where listen() listens; absent for a realm reached only through attach(). */
export function createScriptServer(options: { socketPath?: string; applicationGroup: string; log: LogSink }): ScriptServer {
  const { socketPath, applicationGroup, log } = options;
  const cache = createScriptCache();
  const counters: RunCounters = { inFlight: 0, served: 0 };
  const sessions = new Set<MuxSession>();
  let onIdle: (() => void) | null = null;
  const server: Server = http.createServer((req, res) => {
    // The proxy's own response adds Date (as Apache does for mod_wsgi): one header less to write here
    // and to parse there. A Date the script sets itself still goes through.
    res.sendDate = false;
    let job: ScriptJob;
    try {
      const header = req.headers[JOB_HEADER];
      if (typeof header !== 'string') throw new Error('no job header');
      // Only the proxy that opened this session knows its token (mux.ts, introduce).
      const token = req.socket instanceof MuxStream ? req.socket.sessionToken : null;
      if (!token || !header.startsWith(token)) throw new Error('job header without this session\'s token');
      job = decodeJob(header.slice(token.length));
      if (job.applicationGroup !== applicationGroup) throw new Error(`job for application group "${job.applicationGroup}" reached "${applicationGroup}"`);
    } catch (err) {
      log({ type: 'log', level: 'error', code: 'SA_ERR_WORKER_PROTOCOL', msg: 'refused a request without a valid job', err: stackOf(err), appGroup: applicationGroup });
      sendError(res, 'SA_ERR_WORKER_PROTOCOL', 'unknown');
      return;
    }
    runScript(cache, job, req, res, ({ code, reqId, script, err, status }) => {
      log({ type: 'log', level: status >= 500 ? 'error' : 'info', code, reqId, script, appGroup: applicationGroup, msg: status >= 500 ? 'script failed' : 'script refused', err: stackOf(err) });
    }, counters);
    // After runScript's own 'close' listener, which counts the request as done.
    res.once('close', () => { if (counters.inFlight === 0) onIdle?.(); });
  });
  // The proxy keeps connections open and reuses them: never time idle ones out from this side
  // (a close racing a reuse would fail a healthy request), and never cap a long upload.
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  const attach = (link: MuxTransport): MuxSession => {
    const session = new MuxSession(link, (stream) => server.emit('connection', stream));
    sessions.add(session);
    return session;
  };
  const listener = net.createServer((socket) => {
    const session = attach(socketTransport(socket));
    socket.once('close', () => sessions.delete(session));
  });
  let listening = false;

  return {
    attach(link) {
      attach(link);
    },
    async listen() {
      if (!socketPath) throw new Error('listen() needs a socketPath');
      listening = true;
      rmSync(socketPath, { force: true });
      listener.listen(socketPath);
      await once(listener, 'listening');
      // 0600: only this worker's user (and the proxy, root or the same user) may connect; the 0700
      // folder already guards the moment between bind and chmod.
      chmodSync(socketPath, 0o600);
    },
    async preload(entries) {
      const results: PreloadResult[] = [];
      for (const entry of entries) {
        try {
          await cache.preload(entry.script, entry.callable);
          results.push({ script: entry.script, applicationGroup, ok: true });
        } catch (err) {
          log({ type: 'log', level: 'warn', code: 'SA_WRN_PRELOAD_FAILED', msg: 'preload failed; requests will retry the load', script: entry.script, appGroup: applicationGroup, err: stackOf(err) });
          results.push({ script: entry.script, applicationGroup, ok: false, error: serializeError(err) });
        }
      }
      return results;
    },
    async close(gracefulMs) {
      // The proxy sends nothing new to a realm it stops; wait for the requests it already sent.
      if (listening) listener.close();
      if (counters.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const deadline = setTimeout(resolve, gracefulMs);
          deadline.unref();
          onIdle = () => { clearTimeout(deadline); resolve(); };
        });
      }
      for (const session of sessions) session.destroy();
      if (listening && socketPath) rmSync(socketPath, { force: true });
    },
    inFlight: () => counters.inFlight,
    served: () => counters.served,
  };
}

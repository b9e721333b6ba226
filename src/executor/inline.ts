// %{GLOBAL} process group + %{GLOBAL} application group: the script's listener runs on the proxy's
// own main thread with the real req/res, no hop at all (DESIGN §5, row 1).
// The deadline (requestTimeout) is a timer on the same thread: it answers a script that waits for
// ever, but cannot cut one that spins in a CPU loop (nothing else runs meanwhile; isolates can).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Executor, ExecutorStatus } from './executor.js';
import { ManagedExecutor } from './lifecycle.js';
import type { ScriptJob } from '../protocol/job.js';
import type { PreloadEntry } from '../protocol/messages.js';
import type { Logger } from '../log.js';
import { createScriptCache } from '../script/load-script.js';
import { runScript, type FailureSink, type RunCounters } from '../script/run-script.js';
import { LiveResponses } from '../script/live-responses.js';
import { GLOBAL_GROUP } from '../constants.js';
import { sendError } from '../http-error.js';
import { isCompatHttp2 } from '../protocol/h2.js';
import { runOverHttp2 } from './inline-h2-direct.js';

export interface InlineOptions {
  readonly log: Logger;
  readonly preload?: readonly PreloadEntry[];
  /** Deadline per request in ms; 0 = none. */
  readonly requestTimeoutMs?: number;
}

const noop = (): void => undefined;

/**
 * After the deadline answered for it, the script still holds res: its later calls must not throw
 * (headers sent). An 'error' (write after end) is heard by runScript's listener on every response.
 */
function mute(res: ServerResponse): void {
  const self = (): ServerResponse => res;
  Object.assign(res, {
    writeHead: self, setHeader: self, appendHeader: self, setHeaders: self, removeHeader: noop, flushHeaders: noop,
    addTrailers: noop, writeContinue: noop, writeProcessing: noop, writeEarlyHints: noop, write: () => true, end: self,
  });
}

/** Arms the deadline of one inline request: 504 if nothing was sent yet, else the connection is cut. */
function armDeadline(res: ServerResponse, job: ScriptJob, ms: number, log: Logger): void {
  const timer = setTimeout(() => {
    if (res.writableEnded) return;
    log.error({ code: 'SA_ERR_SCRIPT_TIMEOUT', reqId: job.reqId, script: job.script, timeoutMs: ms }, 'request timed out');
    sendError(res, 'SA_ERR_SCRIPT_TIMEOUT', job.reqId);
    mute(res);
  }, ms);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}

export function createInlineExecutor(options: InlineOptions): Executor {
  const { log } = options;
  const cache = createScriptCache();
  const counters: RunCounters = { inFlight: 0, served: 0 };
  const report: FailureSink = ({ code, reqId, script, err, status }) => {
    const line = { code, reqId, script, err };
    if (status >= 500) log.error(line, 'script failed'); else log.info(line, 'script refused');
  };
  // In-flight requests live on the client's own connections: closing waits for them, destroying cuts
  // them. runScript keeps the list in its one 'close' listener per request.
  const live = new LiveResponses();
  counters.live = live;
  return new ManagedExecutor(() => ({
    async start() {
      for (const entry of options.preload ?? []) {
        try {
          await cache.preload(entry.script, entry.callable);
        } catch (err) {
          log.warn({ code: 'SA_WRN_PRELOAD_FAILED', script: entry.script, err }, 'preload failed; requests will retry the load');
        }
      }
    },
    dispatch(job: ScriptJob, req: IncomingMessage, res: ServerResponse) {
      const ms = options.requestTimeoutMs ?? 0;
      if (ms > 0) armDeadline(res, job, ms, log);
      if (isCompatHttp2(req)) {
        // HTTP/1 objects around the h2 stream (docs/http2.md); the deadline above answers for it too.
        runOverHttp2(req, res, (req1, res1) => runScript(cache, job, req1, res1, report, counters));
        return;
      }
      runScript(cache, job, req, res, report, counters);
    },
    status(state): ExecutorStatus {
      return {
        kind: 'inline', processGroup: GLOBAL_GROUP, runtime: 'node', state, inFlight: counters.inFlight, queued: 0,
        served: counters.served, restarts: 0,
        processes: [{ pid: process.pid, slot: 0, state: state === 'ready' ? 'ready' : 'starting', inFlight: counters.inFlight,
          served: counters.served, rssBytes: process.memoryUsage.rss(), appGroups: [GLOBAL_GROUP] }],
      };
    },
    async drain() {
      if (live.size > 0) await new Promise<void>((resolve) => { counters.onIdle = resolve; });
    },
    async stop() {
      for (const res of live.snapshot()) res.destroy();
      counters.onIdle?.();
    },
  }));
}

// Runs one request through a script's listener in this realm: load (sync when cached), shape the
// request, call, and turn every failure into the right answer (404 no callable, 500 load failure or
// throw) with the details in the log only. Shared by the inline executor and every worker realm.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScriptJob } from '../protocol/job.js';
import type { ScriptCache, Listener } from './load-script.js';
import { applyJob } from './request-shape.js';
import { sendError } from '../http-error.js';
import { isScriptAliasError, type ErrorCode } from '../errors.js';

/** Where a realm reports failures (pino in the proxy, the control channel in a worker). */
export interface FailureSink {
  (entry: { code: ErrorCode; reqId: string; script: string; err: unknown; status: number }): void;
}

const noop = (): void => undefined;

export interface RunCounters {
  inFlight: number;
  served: number;
  /** Responses not yet closed, for an executor that must wait for or cut them (inline). */
  live?: Set<ServerResponse>;
  /** Called when `live` empties. */
  onIdle?: () => void;
}

export function runScript(cache: ScriptCache, job: ScriptJob, req: IncomingMessage, res: ServerResponse, report: FailureSink, counters?: RunCounters): void {
  // A write after end (or any late write the response refuses) emits 'error' on res: unheard, it
  // would end this realm's process (the proxy itself for inline scripts). The answer already went.
  res.on('error', noop);
  if (counters) {
    counters.inFlight++;
    counters.live?.add(res);
    res.once('close', () => {
      counters.inFlight--;
      counters.served++;
      if (counters.live?.delete(res) === true && counters.live.size === 0) counters.onIdle?.();
    });
  }
  const fail = (err: unknown, fallback: ErrorCode): void => {
    const code = isScriptAliasError(err) ? err.code : fallback;
    const status = isScriptAliasError(err) ? err.statusCode ?? 500 : 500;
    report({ code, reqId: job.reqId, script: job.script, err, status });
    sendError(res, code, job.reqId);
  };
  const call = (listener: Listener): void => {
    applyJob(req, job);
    try {
      const result = listener(req, res) as { then?: unknown } | undefined;
      if (result && typeof result.then === 'function') {
        (result as Promise<unknown>).then(undefined, (err: unknown) => fail(err, 'SA_ERR_SCRIPT_FAILED'));
      }
    } catch (err) {
      fail(err, 'SA_ERR_SCRIPT_FAILED');
    }
  };
  let got: Listener | Promise<Listener>;
  try {
    got = cache.get(job.script, job.callable, job.reloading);
  } catch (err) {
    fail(err, 'SA_ERR_SCRIPT_LOAD_FAILED');
    return;
  }
  if (typeof got === 'function') call(got);
  else got.then(call, (err: unknown) => fail(err, 'SA_ERR_SCRIPT_LOAD_FAILED'));
}

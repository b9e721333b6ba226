// Runs one request through a script's listener in this realm: load (sync when cached), shape the
// request, call, and turn every failure into the right answer (404 no callable, 500 load failure or
// throw) with the details in the log only. Shared by the inline executor and every worker realm.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScriptJob } from '../protocol/job.js';
import type { ScriptCache, Listener } from './load-script.js';
import { applyJob } from './request-shape.js';
import type { LiveResponses } from './live-responses.js';
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
  live?: LiveResponses;
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
    (res as Counted)[kCounters] = counters;
    res.on('close', countClosed); // 'close' comes once
  }
  let got: Listener | Promise<Listener>;
  try {
    got = cache.get(job.script, job.callable, job.reloading);
  } catch (err) {
    fail(job, res, report, err, 'SA_ERR_SCRIPT_LOAD_FAILED');
    return;
  }
  // The common case (a loaded script) builds no closure: this runs on every request.
  if (typeof got === 'function') call(got, job, req, res, report);
  else got.then((listener) => call(listener, job, req, res, report), (err: unknown) => fail(job, res, report, err, 'SA_ERR_SCRIPT_LOAD_FAILED'));
}

const kCounters = Symbol('runCounters');
type Counted = ServerResponse & { [kCounters]?: RunCounters };

/** One shared listener (no closure per request): the counters ride on the response. */
function countClosed(this: Counted): void {
  const counters = this[kCounters];
  if (counters === undefined) return;
  this[kCounters] = undefined;
  counters.inFlight--;
  counters.served++;
  if (counters.live?.delete(this) === true && counters.live.size === 0) counters.onIdle?.();
}

function call(listener: Listener, job: ScriptJob, req: IncomingMessage, res: ServerResponse, report: FailureSink): void {
  applyJob(req, job);
  try {
    const result = listener(req, res) as { then?: unknown } | undefined;
    if (result && typeof result.then === 'function') {
      (result as Promise<unknown>).then(undefined, (err: unknown) => fail(job, res, report, err, 'SA_ERR_SCRIPT_FAILED'));
    }
  } catch (err) {
    fail(job, res, report, err, 'SA_ERR_SCRIPT_FAILED');
  }
}

function fail(job: ScriptJob, res: ServerResponse, report: FailureSink, err: unknown, fallback: ErrorCode): void {
  const code = isScriptAliasError(err) ? err.code : fallback;
  const status = isScriptAliasError(err) ? err.statusCode ?? 500 : 500;
  report({ code, reqId: job.reqId, script: job.script, err, status });
  sendError(res, code, job.reqId);
}

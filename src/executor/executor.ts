// The Executor interface: one per (process group, application group) kind of place a script can run
// (DESIGN §5). Lifecycle, in order:
//   1. create*(settings)   builds it; nothing started yet
//   2. start()             spawns what it needs and runs preloads; resolves when ready to take requests
//                          (rejects with SA_ERR_WORKER_START_FAILED when it cannot become ready)
//   3. handle(job, req, res)  answers one request; never throws: failures become an HTTP error answer
//   4. close()             graceful: takes no new requests, finishes in-flight ones, then stops
//      destroy()           now: aborts in-flight requests and stops
// status() may be called at any time. Every kind is a ManagedExecutor (lifecycle.ts), which owns the
// state: close() is idempotent, destroy() works during a close(), handle() after close() is a 503.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScriptJob } from '../protocol/job.js';
import type { RestartReason } from './events.js';

export interface ProcessStatus {
  readonly pid: number;
  readonly slot: number;
  readonly state: 'starting' | 'ready' | 'draining' | 'stopped';
  readonly inFlight: number;
  readonly served: number;
  /** ms since the epoch when the process was spawned. */
  readonly startedAt?: number;
  readonly rssBytes: number | null;
  readonly appGroups: readonly string[];
}

export interface ExecutorStatus {
  readonly kind: 'inline' | 'isolate' | 'process-group';
  readonly processGroup: string;
  readonly runtime: 'node' | 'python';
  readonly state: 'starting' | 'ready' | 'failing' | 'closing' | 'closed';
  readonly inFlight: number;
  readonly queued: number;
  readonly served: number;
  readonly restarts: number;
  /** Restarts by reason (process groups). */
  readonly restartsByReason?: Readonly<Partial<Record<RestartReason, number>>>;
  /** Concurrent requests one process takes (process groups: `threads`). */
  readonly threadsPerProcess?: number;
  readonly processes: readonly ProcessStatus[];
}

export interface Executor {
  start(): Promise<void>;
  handle(job: ScriptJob, req: IncomingMessage, res: ServerResponse): void;
  status(): ExecutorStatus;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

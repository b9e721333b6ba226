// The one lifecycle every executor shares (undici's close/destroy split): the base owns the state, so
// each executor only says how to start, dispatch, drain and stop.
//   close()    graceful and idempotent: stops taking requests, finishes in-flight ones; a second call
//              returns the first call's promise
//   destroy()  now: cuts in-flight requests and stops; effective also while a close() is running
//   handle()   after close() or destroy() began: 503 SA_ERR_POOL_UNAVAILABLE, never the executor
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Executor, ExecutorStatus } from './executor.js';
import type { ScriptJob } from '../protocol/job.js';
import { sendError } from '../http-error.js';

export type ExecutorState = ExecutorStatus['state'];

/** What an executor kind implements; `life` lets it read and move its state. */
export interface ExecutorHooks {
  start(): Promise<void>;
  dispatch(job: ScriptJob, req: IncomingMessage, res: ServerResponse): void;
  status(state: ExecutorState): ExecutorStatus;
  /** Graceful: finish in-flight work, then release everything. */
  drain(): Promise<void>;
  /** Now: cut in-flight work and release everything (may run while drain() is still pending). */
  stop(): Promise<void>;
}

export class ManagedExecutor implements Executor {
  #state: ExecutorState = 'starting';
  #closing: Promise<void> | null = null;
  #destroying: Promise<void> | null = null;
  readonly #hooks: ExecutorHooks;

  constructor(makeHooks: (life: ManagedExecutor) => ExecutorHooks) {
    this.#hooks = makeHooks(this);
  }

  get state(): ExecutorState {
    return this.#state;
  }

  /** False once close() or destroy() began: nothing new may start (respawns, queued dispatches). */
  get open(): boolean {
    return this.#state !== 'closing' && this.#state !== 'closed';
  }

  /** starting|failing → ready; ignored once closing. */
  markReady(): void {
    if (this.open) this.#state = 'ready';
  }

  /** → failing (no process could become ready); ignored once closing. */
  markFailing(): void {
    if (this.open) this.#state = 'failing';
  }

  async start(): Promise<void> {
    await this.#hooks.start();
    if (this.#state === 'starting') this.#state = 'ready';
  }

  handle(job: ScriptJob, req: IncomingMessage, res: ServerResponse): void {
    if (!this.open) {
      sendError(res, 'SA_ERR_POOL_UNAVAILABLE', job.reqId, { 'retry-after': '1' });
      return;
    }
    this.#hooks.dispatch(job, req, res);
  }

  status(): ExecutorStatus {
    return this.#hooks.status(this.#state);
  }

  close(): Promise<void> {
    if (this.#destroying) return this.#destroying;
    this.#closing ??= (async () => {
      this.#state = 'closing';
      try {
        await this.#hooks.drain();
      } finally {
        this.#state = 'closed';
      }
    })();
    return this.#closing;
  }

  destroy(): Promise<void> {
    this.#destroying ??= (async () => {
      this.#state = 'closed';
      await this.#hooks.stop();
    })();
    return this.#destroying;
  }
}

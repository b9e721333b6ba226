// The dispatcher of a named process group: the proxy side of a pool. It knows the ready workers only
// from its arbiter's events (socket paths, in this process or across IPC in cluster mode) and owns the
// request side: a slot lease per worker, the least-busy pick, a bounded FIFO queue, 503 + Retry-After
// when full or past queueTimeout, connections to the workers' sockets, and the answer of each request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedProcessGroup, Runtime } from '../../config/types.js';
import type { ScriptJob } from '../../protocol/job.js';
import type { ExecutorStatus, ProcessStatus } from '../executor.js';
import type { ArbiterListener, ArbiterPort, WorkerEndpoint } from './arbiter.js';
import { errObject, type Logger } from '../../log.js';
import { RequestQueue } from '../request-queue.js';
import { waitUntil } from '../wait-until.js';
import { forwardRequest } from '../../protocol/http-bridge.js';
import { MuxPool, type StreamPool } from '../../protocol/connection-pool.js';
import { recordOf } from '../../ops/request-record.js';
import { sendError } from '../../http-error.js';
import type { ErrorCode } from '../../errors.js';
import { NO_HOOKS, type ExecutorHooks } from '../events.js';
import { GLOBAL_GROUP } from '../../constants.js';

export interface DispatcherOptions {
  readonly settings: ResolvedProcessGroup;
  readonly runtime: Runtime;
  readonly arbiter: ArbiterPort;
  readonly log: Logger;
  /** Slots of one worker this dispatcher may fill (cluster mode leases a share); default: threads. */
  readonly slotsOf?: (worker: WorkerEndpoint) => number;
  /** Told of queue waits (metrics). */
  readonly hooks?: ExecutorHooks;
}

interface Pending {
  readonly job: ScriptJob;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly queuedAt: number;
}

/** A worker as this dispatcher sees it. */
interface Seat {
  readonly endpoint: WorkerEndpoint;
  slots: number;
  readonly sockets: Map<string, string>;
  readonly pools: Map<string, StreamPool>;
  draining: boolean;
  inFlight: number;
}

export class Dispatcher {
  readonly #settings: ResolvedProcessGroup;
  readonly #runtime: Runtime;
  readonly #arbiter: ArbiterPort;
  readonly #log: Logger;
  readonly #hooks: ExecutorHooks;
  readonly #slotsOf: (worker: WorkerEndpoint) => number;
  readonly #queue: RequestQueue<Pending>;
  readonly #seats = new Map<number, Seat>();
  readonly #listener: ArbiterListener;
  #unsubscribe: (() => void) | null = null;
  #queueTimer: NodeJS.Timeout | undefined;
  #served = 0;
  /** The arbiter's word on the pool's health: 'failing' while no worker is up and the last died young. */
  onStateChange: (state: 'ready' | 'failing') => void = () => undefined;

  constructor(options: DispatcherOptions) {
    this.#settings = options.settings;
    this.#runtime = options.runtime;
    this.#arbiter = options.arbiter;
    this.#log = options.log;
    this.#hooks = options.hooks ?? NO_HOOKS;
    this.#slotsOf = options.slotsOf ?? (() => options.settings.threads);
    this.#queue = new RequestQueue<Pending>(options.settings.listenBacklog, options.settings.queueTimeout * 1000);
    this.#listener = {
      workerReady: (worker) => this.#seat(worker),
      workerDraining: (pid) => {
        const seat = this.#seats.get(pid);
        if (!seat) { this.#arbiter.released(this.#listener, pid); return; }
        seat.draining = true;
        if (seat.inFlight === 0) this.#arbiter.released(this.#listener, pid);
      },
      workerGone: (pid) => {
        const seat = this.#seats.get(pid);
        if (!seat) return;
        this.#seats.delete(pid);
        for (const pool of seat.pools.values()) pool.destroy();
      },
      appGroupReady: (pid, group, socketPath) => this.#seats.get(pid)?.sockets.set(group, socketPath),
      stateChanged: (state) => this.onStateChange(state),
    };
  }

  /** Starts hearing the arbiter (it replays its ready workers at once). */
  open(): void {
    this.#unsubscribe = this.#arbiter.subscribe(this.#listener);
    const { queueTimeout } = this.#settings;
    if (queueTimeout > 0) {
      this.#queueTimer = setInterval(() => this.#queue.expire(Date.now(), (p) => this.#refuse(p, 'SA_ERR_POOL_QUEUE_TIMEOUT')), Math.min(queueTimeout * 250, 250));
      this.#queueTimer.unref();
    }
  }

  dispatch(job: ScriptJob, req: IncomingMessage, res: ServerResponse): void {
    const p: Pending = { job, req, res, queuedAt: Date.now() };
    // Until a worker takes it (a refused request was served by none).
    const record = recordOf(res);
    if (record) record.workerPid = undefined;
    const seat = this.#queue.length === 0 ? this.#pick() : undefined;
    if (seat) {
      this.#send(seat, p);
      return;
    }
    if (!this.#queue.push(p, Date.now())) {
      this.#refuse(p, 'SA_ERR_POOL_QUEUE_FULL');
      return;
    }
    res.once('close', () => this.#queue.remove(p));
    this.#pump();
  }

  /** Leases every worker's slots again (a cluster standby just learned which proxy it is). */
  relet(): void {
    for (const seat of this.#seats.values()) seat.slots = this.#slotsOf(seat.endpoint);
    this.#pump();
  }

  status(state: ExecutorStatus['state'], processes: readonly ProcessStatus[], restarts: Pick<ExecutorStatus, 'restarts' | 'restartsByReason'>): ExecutorStatus {
    return {
      kind: 'process-group', processGroup: this.#settings.name, runtime: this.#runtime, state,
      inFlight: [...this.#seats.values()].reduce((n, s) => n + s.inFlight, 0), queued: this.#queue.length, served: this.#served,
      ...restarts, threadsPerProcess: this.#settings.threads, processes,
    };
  }

  /** Graceful: queued requests are still served (≤ gracefulTimeout), then this side's answers are awaited. */
  async drain(): Promise<void> {
    if (this.#queueTimer) clearInterval(this.#queueTimer);
    const gracefulMs = this.#settings.gracefulTimeout * 1000;
    await waitUntil(() => this.#queue.length === 0 || this.#seats.size === 0, gracefulMs);
    for (const p of this.#queue.drain()) this.#refuse(p, 'SA_ERR_POOL_UNAVAILABLE');
    // A request already sent may not have reached the worker yet, and a worker told to stop would
    // not wait for what it has not seen: wait for the answers on this side first.
    await waitUntil(() => [...this.#seats.values()].every((s) => s.inFlight === 0), gracefulMs);
    this.close();
  }

  /** Now: queued requests get 503; connections close (in-flight answers are cut). */
  close(): void {
    if (this.#queueTimer) clearInterval(this.#queueTimer);
    for (const p of this.#queue.drain()) this.#refuse(p, 'SA_ERR_POOL_UNAVAILABLE');
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const seat of this.#seats.values()) for (const pool of seat.pools.values()) pool.destroy();
    this.#seats.clear();
  }

  #seat(worker: WorkerEndpoint): void {
    const sockets = new Map(Object.entries(worker.appGroups));
    sockets.set(GLOBAL_GROUP, worker.socketPath);
    this.#seats.set(worker.pid, { endpoint: worker, slots: this.#slotsOf(worker), sockets, pools: new Map(), draining: false, inFlight: 0 });
    this.#pump();
  }

  #pick(): Seat | undefined {
    let best: Seat | undefined;
    for (const seat of this.#seats.values()) {
      if (seat.draining || seat.inFlight >= seat.slots) continue;
      if (!best || seat.inFlight < best.inFlight) best = seat;
    }
    return best;
  }

  #send(seat: Seat, p: Pending): void {
    this.#hooks.queueWait(this.#settings.name, (Date.now() - p.queuedAt) / 1000);
    const record = recordOf(p.res);
    if (record) record.workerPid = seat.endpoint.pid;
    seat.inFlight++;
    this.#arbiter.handed(seat.endpoint.pid);
    const group = p.job.applicationGroup;
    const known = seat.sockets.get(group);
    if (known !== undefined) {
      this.#forward(seat, p, known);
      return;
    }
    this.#arbiter.ensureAppGroup(seat.endpoint.pid, group).then((socketPath) => {
      seat.sockets.set(group, socketPath);
      this.#forward(seat, p, socketPath);
    }, (err: unknown) => {
      this.#log.error({ code: 'SA_ERR_WORKER_START_FAILED', workerPid: seat.endpoint.pid, appGroup: group, err: errObject(err) }, 'application group unavailable');
      sendError(p.res, 'SA_ERR_SCRIPT_CRASHED', p.job.reqId);
      this.#finished(seat, 'crashed');
    });
  }

  #forward(seat: Seat, p: Pending, socketPath: string): void {
    forwardRequest(p.req, p.res, p.job, { pool: this.#poolFor(seat, socketPath) }, { timeoutMs: this.#settings.requestTimeout * 1000, log: this.#log },
      (outcome) => this.#finished(seat, outcome));
  }

  #poolFor(seat: Seat, socketPath: string): StreamPool {
    let pool = seat.pools.get(socketPath);
    if (!pool) {
      // Streams multiplexed on one connection per realm; the Python worker reads the compact WSGI head.
      pool = new MuxPool(socketPath, { headForm: this.#runtime === 'node' ? 'http1' : 'wsgi' });
      seat.pools.set(socketPath, pool);
    }
    return pool;
  }

  #finished(seat: Seat, outcome: string): void {
    seat.inFlight--;
    this.#served++;
    this.#arbiter.finished(seat.endpoint.pid, outcome);
    if (seat.draining && seat.inFlight === 0 && this.#seats.get(seat.endpoint.pid) === seat) this.#arbiter.released(this.#listener, seat.endpoint.pid);
    this.#pump();
  }

  /** Hands queued requests to free slots. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const seat = this.#pick();
      if (!seat) return;
      const next = this.#queue.shift(Date.now(), (expired) => this.#refuse(expired, 'SA_ERR_POOL_QUEUE_TIMEOUT'));
      if (!next) return;
      this.#send(seat, next);
    }
  }

  #refuse(p: Pending, code: ErrorCode): void {
    this.#log.warn({ code, reqId: p.job.reqId, group: this.#settings.name }, 'request refused by the pool');
    sendError(p.res, code, p.job.reqId, code === 'SA_ERR_POOL_QUEUE_FULL' || code === 'SA_ERR_POOL_QUEUE_TIMEOUT' ? { 'retry-after': '1' } : {});
  }
}

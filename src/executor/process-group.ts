// A named process group (mod_wsgi daemon mode): a warm pool of `processes` workers, each taking up to
// `threads` requests at once. This module is the dispatcher (least busy ready process with a free
// slot, bounded FIFO queue, 503 when full or past queueTimeout) and the pool's lifecycle policy
// (respawn with back-off, graceful recycle after maximumRequests / maximumMemory / requestTimeout / intervals).
// Spawning and talking to one process is process-supervisor.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Executor, ExecutorStatus } from './executor.js';
import { ManagedExecutor } from './lifecycle.js';
import type { ResolvedProcessGroup, Runtime } from '../config/types.js';
import type { PreloadEntry } from '../protocol/messages.js';
import type { ScriptJob } from '../protocol/job.js';
import { errObject, type Logger } from '../log.js';
import { WorkerProcess } from './process-supervisor.js';
import { RequestQueue } from './request-queue.js';
import { waitUntil } from './wait-until.js';
import { forwardRequest } from '../protocol/http-bridge.js';
import { recordOf } from '../ops/request-record.js';
import { sendError } from '../http-error.js';
import { ScriptAliasError, type ErrorCode } from '../errors.js';
import { NO_HOOKS, type ExecutorHooks, type RestartReason } from './events.js';

export interface ProcessGroupOptions {
  readonly settings: ResolvedProcessGroup;
  readonly runtime: Runtime;
  readonly preload: readonly PreloadEntry[];
  readonly socketDir: string;
  readonly log: Logger;
  readonly workerEntry: { readonly node: string; readonly python: string };
  /** Told of restarts and queue waits (metrics). */
  readonly hooks?: ExecutorHooks;
}

interface Pending {
  readonly job: ScriptJob;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly queuedAt: number;
}

/** A process that dies this soon after it started counts as a failed start (back-off applies). */
const EARLY_DEATH_MS = 2_000;
/** maximumMemory: RSS is read at most this often per process after a finished request, and on a timer. */
const MEMORY_AFTER_REQUEST_MS = 100;
const MEMORY_TIMER_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;

export function createProcessGroup(options: ProcessGroupOptions): Executor {
  const { settings, log } = options;
  const slots = settings.threads;
  const queue = new RequestQueue<Pending>(settings.listenBacklog, settings.queueTimeout * 1000);
  const workers: WorkerProcess[] = [];          // current: starting or ready
  const draining = new Set<WorkerProcess>();
  // Set once the executor exists (below); the lifecycle base owns the state.
  let life!: ManagedExecutor;
  let restarts = 0;
  const restartsByReason: Partial<Record<RestartReason, number>> = {};
  const hooks = options.hooks ?? NO_HOOKS;
  const countRestart = (reason: RestartReason): void => {
    restarts++;
    restartsByReason[reason] = (restartsByReason[reason] ?? 0) + 1;
    hooks.restart(settings.name, reason);
  };
  let served = 0;
  let earlyDeaths = 0;
  let queueTimer: NodeJS.Timeout | undefined;
  let memoryTimer: NodeJS.Timeout | undefined;
  const maxRssBytes = settings.maximumMemory * 1024 * 1024;
  const memoryReadAt = new WeakMap<WorkerProcess, number>();
  const gracefulMs = settings.gracefulTimeout * 1000;
  const killAfterMs = settings.shutdownTimeout * 1000;

  const refuse = (p: Pending, code: ErrorCode): void => {
    log.warn({ code, reqId: p.job.reqId, group: settings.name }, 'request refused by the pool');
    sendError(p.res, code, p.job.reqId, code === 'SA_ERR_POOL_QUEUE_FULL' || code === 'SA_ERR_POOL_QUEUE_TIMEOUT' ? { 'retry-after': '1' } : {});
  };

  const spawnWorker = (slot: number): WorkerProcess => {
    const worker = new WorkerProcess({
      settings, runtime: options.runtime, preload: options.preload, socketDir: options.socketDir, slot, log,
      workerEntry: options.workerEntry, onExit, onRecycleRequest: (w) => recycle(w, 'requested'),
    });
    workers.push(worker);
    worker.ready.then(() => {
      earlyDeaths = 0;
      life.markReady();
      armTimers(worker);
      pump();
    }, (err: unknown) => {
      log.error({ code: 'SA_ERR_WORKER_START_FAILED', slot, err: errObject(err) }, 'worker failed to start');
    });
    return worker;
  };

  function onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const wasCurrent = workers.includes(worker);
    if (wasCurrent) workers.splice(workers.indexOf(worker), 1);
    draining.delete(worker);
    const line = { code: 'SA_EVT_WORKER_EXIT', workerPid: worker.pid, exitCode: code, signal, expected: !wasCurrent };
    if (wasCurrent && life.open) log.error(line, 'worker died'); else log.info(line, 'worker stopped');
    if (!wasCurrent || !life.open) return;
    countRestart('crash');
    const early = Date.now() - worker.startedAt < EARLY_DEATH_MS;
    earlyDeaths = early ? earlyDeaths + 1 : 0;
    if (workers.every((w) => w.state !== 'ready') && earlyDeaths > 0) life.markFailing();
    const delay = early ? Math.min(100 * 2 ** (earlyDeaths - 1), MAX_BACKOFF_MS) : 0;
    const respawn = setTimeout(() => {
      if (life.open) spawnWorker(worker.slot);
    }, delay);
    respawn.unref();
  }

  /** Replace `worker` gracefully: its replacement becomes ready first, then it drains and stops. */
  function recycle(worker: WorkerProcess, reason: RestartReason, stopTakingNow = false, detail: Record<string, number> = {}): void {
    if (!workers.includes(worker) || !life.open) return;
    log.info({ code: 'SA_EVT_WORKER_RECYCLE', workerPid: worker.pid, reason, ...detail }, 'recycling worker');
    countRestart(reason);
    const retire = (): void => {
      const index = workers.indexOf(worker);
      if (index < 0) return;
      workers.splice(index, 1);
      draining.add(worker);
      worker.state = 'draining';
      stopWhenIdle(worker);
    };
    if (stopTakingNow) retire();
    const replacement = spawnWorker(worker.slot);
    replacement.ready.then(retire, retire);
  }

  function stopWhenIdle(worker: WorkerProcess): void {
    if (worker.inFlight === 0) void worker.shutdown(0, killAfterMs);
    else {
      const force = setTimeout(() => void worker.shutdown(0, killAfterMs), gracefulMs);
      force.unref();
      worker.exited().then(() => clearTimeout(force), () => undefined);
    }
  }

  function armTimers(worker: WorkerProcess): void {
    if (settings.restartInterval > 0) {
      const t = setTimeout(() => recycle(worker, 'restartInterval'), settings.restartInterval * 1000);
      t.unref();
    }
    if (settings.inactivityTimeout > 0) {
      const idleMs = settings.inactivityTimeout * 1000;
      const check = setInterval(() => {
        if (worker.state !== 'ready') { clearInterval(check); return; }
        // Armed only after the first request (mod_wsgi): a fresh process is never idle-recycled.
        if (worker.handed > 0 && worker.inFlight === 0 && Date.now() - worker.lastActivity > idleMs) {
          clearInterval(check);
          recycle(worker, 'inactivityTimeout');
        }
      }, Math.min(idleMs, 1000));
      check.unref();
    }
  }

  /** maximumMemory: a process over it stops taking requests now and is replaced once its in-flight ones finish. */
  function checkMemory(worker: WorkerProcess, now: number): void {
    if (maxRssBytes === 0 || worker.state !== 'ready' || !workers.includes(worker)) return;
    memoryReadAt.set(worker, now);
    const rss = worker.rssBytes();
    if (rss === null || rss <= maxRssBytes) return;
    recycle(worker, 'memory', true, { rssBytes: rss, maximumMemory: settings.maximumMemory });
  }

  function pick(): WorkerProcess | undefined {
    let best: WorkerProcess | undefined;
    for (const w of workers) {
      if (w.state !== 'ready' || w.inFlight >= slots) continue;
      if (!best || w.inFlight < best.inFlight) best = w;
    }
    return best;
  }

  function dispatch(worker: WorkerProcess, p: Pending): void {
    hooks.queueWait(settings.name, (Date.now() - p.queuedAt) / 1000);
    const record = recordOf(p.res);
    if (record) record.workerPid = worker.pid;
    worker.inFlight++;
    worker.handed++;
    worker.lastActivity = Date.now();
    if (settings.maximumRequests > 0 && worker.handed === settings.maximumRequests) recycle(worker, 'maximumRequests');
    const socket = worker.socketFor(p.job.applicationGroup);
    if (typeof socket === 'string') forward(worker, p, socket);
    else socket.then((path) => forward(worker, p, path), (err: unknown) => {
      log.error({ code: 'SA_ERR_WORKER_START_FAILED', workerPid: worker.pid, appGroup: p.job.applicationGroup, err: errObject(err) }, 'application group unavailable');
      sendError(p.res, 'SA_ERR_SCRIPT_CRASHED', p.job.reqId);
      finished(worker, 'crashed');
    });
  }

  function forward(worker: WorkerProcess, p: Pending, socketPath: string): void {
    forwardRequest(p.req, p.res, p.job, { pool: worker.poolFor(socketPath) }, { timeoutMs: settings.requestTimeout * 1000, log },
      (outcome) => finished(worker, outcome));
  }

  function finished(worker: WorkerProcess, outcome: string): void {
    worker.inFlight--;
    worker.served++;
    served++;
    worker.lastActivity = Date.now();
    if (outcome === 'timeout') recycle(worker, 'timeout', true);
    // A /proc read per request would cost at high rates: at most one per MEMORY_AFTER_REQUEST_MS.
    else if (maxRssBytes > 0 && worker.lastActivity - (memoryReadAt.get(worker) ?? 0) >= MEMORY_AFTER_REQUEST_MS) checkMemory(worker, worker.lastActivity);
    if (draining.has(worker) && worker.inFlight === 0) void worker.shutdown(0, killAfterMs);
    pump();
  }

  /** Hands queued requests to free slots. */
  function pump(): void {
    while (queue.length > 0) {
      const worker = pick();
      if (!worker) return;
      const next = queue.shift(Date.now(), (expired) => refuse(expired, 'SA_ERR_POOL_QUEUE_TIMEOUT'));
      if (!next) return;
      dispatch(worker, next);
    }
  }

  life = new ManagedExecutor(() => ({
    async start() {
      for (let slot = 0; slot < settings.processes; slot++) spawnWorker(slot);
      if (settings.queueTimeout > 0) {
        queueTimer = setInterval(() => queue.expire(Date.now(), (p) => refuse(p, 'SA_ERR_POOL_QUEUE_TIMEOUT')), Math.min(settings.queueTimeout * 250, 250));
        queueTimer.unref();
      }
      if (maxRssBytes > 0) {
        memoryTimer = setInterval(() => {
          const now = Date.now();
          for (const w of [...workers]) checkMemory(w, now);
        }, MEMORY_TIMER_MS);
        memoryTimer.unref();
      }
      const results = await Promise.allSettled(workers.map((w) => w.ready));
      if (results.every((r) => r.status === 'rejected')) {
        life.markFailing();
        throw new ScriptAliasError('SA_ERR_WORKER_START_FAILED', `process group "${settings.name}" could not start any worker`);
      }
    },
    dispatch(job, req, res) {
      const p: Pending = { job, req, res, queuedAt: Date.now() };
      // Until a worker takes it (a refused request was served by none).
      const record = recordOf(res);
      if (record) record.workerPid = undefined;
      const worker = queue.length === 0 ? pick() : undefined;
      if (worker) {
        dispatch(worker, p);
        return;
      }
      if (!queue.push(p, Date.now())) {
        refuse(p, 'SA_ERR_POOL_QUEUE_FULL');
        return;
      }
      res.once('close', () => queue.remove(p));
      pump();
    },
    status(state): ExecutorStatus {
      const all = [...workers, ...draining];
      return {
        kind: 'process-group', processGroup: settings.name, runtime: options.runtime, state,
        inFlight: all.reduce((n, w) => n + w.inFlight, 0), queued: queue.length, served, restarts,
        restartsByReason: { ...restartsByReason }, threadsPerProcess: slots,
        processes: all.map((w) => ({ pid: w.pid, slot: w.slot, state: w.state, inFlight: w.inFlight, served: w.served, startedAt: w.startedAt, rssBytes: w.rssBytes(), appGroups: w.appGroups })),
      };
    },
    async drain() {
      if (queueTimer) clearInterval(queueTimer);
      if (memoryTimer) clearInterval(memoryTimer);
      // Queued requests still get served by the processes before they stop.
      await waitUntil(() => queue.length === 0 || workers.every((w) => w.state === 'stopped'), gracefulMs);
      for (const p of queue.drain()) refuse(p, 'SA_ERR_POOL_UNAVAILABLE');
      // Wait for the answers on this side first: a request already sent may not have reached the
      // worker yet, and a worker told to stop would not wait for what it has not seen.
      await waitUntil(() => [...workers, ...draining].every((w) => w.inFlight === 0), gracefulMs);
      await Promise.all([...workers, ...draining].map((w) => w.shutdown(gracefulMs, killAfterMs)));
      workers.length = 0;
      draining.clear();
    },
    async stop() {
      if (queueTimer) clearInterval(queueTimer);
      if (memoryTimer) clearInterval(memoryTimer);
      for (const p of queue.drain()) refuse(p, 'SA_ERR_POOL_UNAVAILABLE');
      const all = [...workers, ...draining];
      for (const w of all) w.kill();
      await Promise.all(all.map((w) => w.exited()));
      workers.length = 0;
      draining.clear();
    },
  }));
  return life;
}

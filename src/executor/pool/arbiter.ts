// The arbiter of a named process group (gunicorn's arbiter): owns the worker processes. It spawns
// them, respawns with back-off, recycles them (maximumRequests, maximumMemory, requestTimeout,
// inactivityTimeout, restartInterval), runs their preloads (by starting them)
// and stops them gracefully. It never sees a request: dispatchers (one per proxy process, see
// dispatcher.ts) hear "worker ready / draining / gone" with socket paths, and report back what they
// handed out and what finished. A draining worker stops once every dispatcher released it.
import type { ResolvedProcessGroup, Runtime } from '../../config/types.js';
import type { PreloadEntry } from '../../protocol/messages.js';
import { errObject, type Logger } from '../../log.js';
import { WorkerProcess } from './worker-process.js';
import { ScriptAliasError } from '../../errors.js';
import { NO_HOOKS, type ExecutorHooks, type RestartReason } from '../events.js';
import type { ProcessStatus } from '../executor.js';

/** What a dispatcher needs to reach a ready worker. */
export interface WorkerEndpoint {
  readonly pid: number;
  readonly slot: number;
  /** The %{GLOBAL} application group's socket. */
  readonly socketPath: string;
  /** Other application groups' sockets known so far. */
  readonly appGroups: Readonly<Record<string, string>>;
}

/** How a request a dispatcher handed out ended (the HTTP bridge's outcome). */
export type Outcome = 'ok' | 'aborted' | 'crashed' | 'timeout' | string;

/** What the arbiter tells each dispatcher. */
export interface ArbiterListener {
  workerReady(worker: WorkerEndpoint): void;
  /** Take no new requests to it; call released(pid) once none of yours is in flight there. */
  workerDraining(pid: number): void;
  workerGone(pid: number): void;
  appGroupReady(pid: number, applicationGroup: string, socketPath: string): void;
  /** 'failing': no worker is up and the last ones died young; 'ready': one is up again. */
  stateChanged(state: 'ready' | 'failing'): void;
}

/** What a dispatcher tells its arbiter: in the same process, or over IPC from a proxy process. */
export interface ArbiterPort {
  /** Replays the ready workers to `listener` at once, then tells it every change. */
  subscribe(listener: ArbiterListener): () => void;
  handed(pid: number): void;
  finished(pid: number, outcome: Outcome): void;
  released(listener: ArbiterListener, pid: number): void;
  /** The socket of an application group in worker `pid`, created there when new. */
  ensureAppGroup(pid: number, applicationGroup: string): Promise<string>;
}

export interface ArbiterStatus {
  readonly restarts: number;
  readonly restartsByReason: Readonly<Partial<Record<RestartReason, number>>>;
  readonly processes: readonly ProcessStatus[];
}

export interface ArbiterOptions {
  readonly settings: ResolvedProcessGroup;
  readonly runtime: Runtime;
  readonly preload: readonly PreloadEntry[];
  readonly socketDir: string;
  readonly log: Logger;
  readonly workerEntry: { readonly node: string; readonly python: string };
  /** Told of restarts (metrics). */
  readonly hooks?: ExecutorHooks;
}

/** Per worker: what dispatchers reported (in-flight is handed minus finished). */
interface Counters {
  handed: number;
  served: number;
  lastActivity: number;
  memoryReadAt: number;
}

/** A process that dies this soon after it started counts as a failed start (back-off applies). */
const EARLY_DEATH_MS = 2_000;
/** maximumMemory: RSS is read at most this often per process after a finished request, and on a timer. */
const MEMORY_AFTER_REQUEST_MS = 100;
const MEMORY_TIMER_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;

export class Arbiter implements ArbiterPort {
  readonly #options: ArbiterOptions;
  readonly #settings: ResolvedProcessGroup;
  readonly #log: Logger;
  readonly #hooks: ExecutorHooks;
  /** Current workers: starting or ready. */
  readonly #workers: WorkerProcess[] = [];
  /** Replaced or stopping: each with the dispatchers that still have requests in it. */
  readonly #draining = new Map<WorkerProcess, Set<ArbiterListener>>();
  readonly #counters = new Map<number, Counters>();
  readonly #listeners = new Set<ArbiterListener>();
  readonly #maxRssBytes: number;
  #open = true;
  #restarts = 0;
  readonly #restartsByReason: Partial<Record<RestartReason, number>> = {};
  #earlyDeaths = 0;
  #memoryTimer: NodeJS.Timeout | undefined;

  constructor(options: ArbiterOptions) {
    this.#options = options;
    this.#settings = options.settings;
    this.#log = options.log;
    this.#hooks = options.hooks ?? NO_HOOKS;
    this.#maxRssBytes = options.settings.maximumMemory * 1024 * 1024;
  }

  /** Spawns every process; resolves when at least one is ready (preloads done), rejects when none can start. */
  async start(): Promise<void> {
    for (let slot = 0; slot < this.#settings.processes; slot++) this.#spawn(slot);
    if (this.#maxRssBytes > 0) {
      this.#memoryTimer = setInterval(() => {
        const now = Date.now();
        for (const w of [...this.#workers]) this.#checkMemory(w, now);
      }, MEMORY_TIMER_MS);
      this.#memoryTimer.unref();
    }
    const results = await Promise.allSettled(this.#workers.map((w) => w.ready));
    if (results.every((r) => r.status === 'rejected')) {
      this.#emit((l) => l.stateChanged('failing'));
      throw new ScriptAliasError('SA_ERR_WORKER_START_FAILED', `process group "${this.#settings.name}" could not start any worker`);
    }
  }

  subscribe(listener: ArbiterListener): () => void {
    this.#listeners.add(listener);
    for (const w of this.#workers) if (w.state === 'ready') listener.workerReady(endpointOf(w));
    return () => {
      this.#listeners.delete(listener);
      // A dispatcher that leaves holds nothing any more.
      for (const [worker, holders] of this.#draining) if (holders.delete(listener)) this.#stopIfReleased(worker);
    };
  }

  handed(pid: number): void {
    this.reported(pid, 1, 0);
  }

  finished(pid: number, outcome: Outcome): void {
    this.reported(pid, 0, 1);
    const counters = this.#counters.get(pid);
    const worker = this.#workers.find((w) => w.pid === pid);
    if (!counters || !worker) return;
    if (outcome === 'timeout') this.#recycle(worker, 'timeout', true);
    // A /proc read per request would cost at high rates: at most one per MEMORY_AFTER_REQUEST_MS.
    else if (this.#maxRssBytes > 0 && counters.lastActivity - counters.memoryReadAt >= MEMORY_AFTER_REQUEST_MS) this.#checkMemory(worker, counters.lastActivity);
  }

  /** Counts `handed` hand-outs and `served` answers of worker `pid`: one request's (handed, finished) or a
   *  proxy process's batch of them (sent every few hundred ms); maximumRequests is checked either way. */
  reported(pid: number, handed: number, served: number): void {
    const counters = this.#counters.get(pid);
    if (!counters) return;
    const max = this.#settings.maximumRequests;
    const before = counters.handed;
    counters.handed += handed;
    counters.served += served;
    if (handed > 0 || served > 0) counters.lastActivity = Date.now();
    if (max > 0 && before < max && counters.handed >= max) {
      const worker = this.#workers.find((w) => w.pid === pid);
      if (worker) this.#recycle(worker, 'maximumRequests');
    }
  }

  released(listener: ArbiterListener, pid: number): void {
    for (const [worker, holders] of this.#draining) {
      if (worker.pid !== pid) continue;
      if (holders.delete(listener)) this.#stopIfReleased(worker);
    }
  }

  ensureAppGroup(pid: number, applicationGroup: string): Promise<string> {
    const worker = this.#workers.find((w) => w.pid === pid) ?? [...this.#draining.keys()].find((w) => w.pid === pid);
    if (!worker) return Promise.reject(new ScriptAliasError('SA_ERR_SCRIPT_CRASHED', `worker ${pid} is gone`));
    const socket = worker.socketFor(applicationGroup);
    return typeof socket === 'string' ? Promise.resolve(socket) : socket;
  }

  status(): ArbiterStatus {
    const all = [...this.#workers, ...this.#draining.keys()];
    return {
      restarts: this.#restarts,
      restartsByReason: { ...this.#restartsByReason },
      processes: all.map((w) => {
        const c = this.#counters.get(w.pid);
        return {
          pid: w.pid, slot: w.slot, state: w.state, inFlight: c ? c.handed - c.served : 0, served: c?.served ?? 0,
          startedAt: w.startedAt, rssBytes: w.rssBytes(), appGroups: w.appGroups,
        };
      }),
    };
  }

  /** Graceful: every worker finishes what it has (≤ gracefulTimeout), then stops; SIGKILL after shutdownTimeout more. */
  async drain(): Promise<void> {
    this.#close();
    const all = [...this.#workers, ...this.#draining.keys()];
    await Promise.all(all.map((w) => w.shutdown(this.#settings.gracefulTimeout * 1000, this.#settings.shutdownTimeout * 1000)));
    this.#workers.length = 0;
    this.#draining.clear();
  }

  /** Now: SIGKILL every worker. */
  async stop(): Promise<void> {
    this.#close();
    const all = [...this.#workers, ...this.#draining.keys()];
    for (const w of all) w.kill();
    await Promise.all(all.map((w) => w.exited()));
    this.#workers.length = 0;
    this.#draining.clear();
  }

  #close(): void {
    this.#open = false;
    if (this.#memoryTimer) clearInterval(this.#memoryTimer);
  }

  #emit(tell: (listener: ArbiterListener) => void): void {
    for (const listener of [...this.#listeners]) tell(listener);
  }

  #countRestart(reason: RestartReason): void {
    this.#restarts++;
    this.#restartsByReason[reason] = (this.#restartsByReason[reason] ?? 0) + 1;
    this.#hooks.restart(this.#settings.name, reason);
  }

  #spawn(slot: number): WorkerProcess {
    const { settings, runtime, preload, socketDir, workerEntry } = this.#options;
    const worker = new WorkerProcess({
      settings, runtime, preload, socketDir, slot, log: this.#log, workerEntry,
      onExit: (w, code, signal) => this.#onExit(w, code, signal),
      onAppGroup: (w, group, socketPath) => this.#emit((l) => l.appGroupReady(w.pid, group, socketPath)),
    });
    this.#workers.push(worker);
    this.#counters.set(worker.pid, { handed: 0, served: 0, lastActivity: Date.now(), memoryReadAt: 0 });
    worker.ready.then(() => {
      if (!this.#workers.includes(worker)) return;
      this.#earlyDeaths = 0;
      this.#emit((l) => l.stateChanged('ready'));
      this.#armTimers(worker);
      this.#emit((l) => l.workerReady(endpointOf(worker)));
    }, (err: unknown) => {
      this.#log.error({ code: 'SA_ERR_WORKER_START_FAILED', slot, err: errObject(err) }, 'worker failed to start');
    });
    return worker;
  }

  #onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const wasCurrent = this.#workers.includes(worker);
    if (wasCurrent) this.#workers.splice(this.#workers.indexOf(worker), 1);
    this.#draining.delete(worker);
    this.#counters.delete(worker.pid);
    this.#emit((l) => l.workerGone(worker.pid));
    const line = { code: 'SA_EVT_WORKER_EXIT', workerPid: worker.pid, exitCode: code, signal, expected: !wasCurrent };
    if (wasCurrent && this.#open) this.#log.error(line, 'worker died'); else this.#log.info(line, 'worker stopped');
    if (!wasCurrent || !this.#open) return;
    this.#countRestart('crash');
    const early = Date.now() - worker.startedAt < EARLY_DEATH_MS;
    this.#earlyDeaths = early ? this.#earlyDeaths + 1 : 0;
    if (this.#workers.every((w) => w.state !== 'ready') && this.#earlyDeaths > 0) this.#emit((l) => l.stateChanged('failing'));
    const delay = early ? Math.min(100 * 2 ** (this.#earlyDeaths - 1), MAX_BACKOFF_MS) : 0;
    const respawn = setTimeout(() => {
      if (this.#open) this.#spawn(worker.slot);
    }, delay);
    respawn.unref();
  }

  /** Replace `worker` gracefully: its replacement becomes ready first, then it drains and stops. */
  #recycle(worker: WorkerProcess, reason: RestartReason, stopTakingNow = false, detail: Record<string, number> = {}): void {
    if (!this.#workers.includes(worker) || !this.#open) return;
    this.#log.info({ code: 'SA_EVT_WORKER_RECYCLE', workerPid: worker.pid, reason, ...detail }, 'recycling worker');
    this.#countRestart(reason);
    const retire = (): void => {
      const index = this.#workers.indexOf(worker);
      if (index < 0) return;
      this.#workers.splice(index, 1);
      worker.markDraining();
      // Every dispatcher may have requests in it: it stops when all have let go (or at the deadline).
      this.#draining.set(worker, new Set(this.#listeners));
      this.#emit((l) => l.workerDraining(worker.pid));
      this.#stopIfReleased(worker);
      const force = setTimeout(() => void worker.shutdown(0, this.#settings.shutdownTimeout * 1000), this.#settings.gracefulTimeout * 1000);
      force.unref();
      worker.exited().then(() => clearTimeout(force), () => undefined);
    };
    if (stopTakingNow) retire();
    const replacement = this.#spawn(worker.slot);
    replacement.ready.then(retire, retire);
  }

  #stopIfReleased(worker: WorkerProcess): void {
    const holders = this.#draining.get(worker);
    if (holders && holders.size === 0) void worker.shutdown(0, this.#settings.shutdownTimeout * 1000);
  }

  #armTimers(worker: WorkerProcess): void {
    const { restartInterval, inactivityTimeout } = this.#settings;
    if (restartInterval > 0) {
      const t = setTimeout(() => this.#recycle(worker, 'restartInterval'), restartInterval * 1000);
      t.unref();
    }
    if (inactivityTimeout > 0) {
      const idleMs = inactivityTimeout * 1000;
      const check = setInterval(() => {
        const c = this.#counters.get(worker.pid);
        if (worker.state !== 'ready' || !c) { clearInterval(check); return; }
        // Armed only after the first request (mod_wsgi): a fresh process is never idle-recycled.
        if (c.handed > 0 && c.handed === c.served && Date.now() - c.lastActivity > idleMs) {
          clearInterval(check);
          this.#recycle(worker, 'inactivityTimeout');
        }
      }, Math.min(idleMs, 1000));
      check.unref();
    }
  }

  /** maximumMemory: a process over it stops taking requests now and is replaced once its in-flight ones finish. */
  #checkMemory(worker: WorkerProcess, now: number): void {
    const counters = this.#counters.get(worker.pid);
    if (this.#maxRssBytes === 0 || worker.state !== 'ready' || !this.#workers.includes(worker) || !counters) return;
    counters.memoryReadAt = now;
    const rss = worker.rssBytes();
    if (rss === null || rss <= this.#maxRssBytes) return;
    this.#recycle(worker, 'memory', true, { rssBytes: rss, maximumMemory: this.#settings.maximumMemory });
  }
}

function endpointOf(worker: WorkerProcess): WorkerEndpoint {
  return { pid: worker.pid, slot: worker.slot, socketPath: worker.socketPath, appGroups: worker.appGroupSockets() };
}

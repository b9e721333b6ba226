// The pools of a cluster, held once, in the primary: one arbiter per named group (per runtime),
// whatever the number of proxy processes. Ref-counted through the same registry the single-process
// runtime uses, so a reload keeps unchanged groups warm: the primary's current generation holds one
// reference per planned pool, and every proxy dispatcher subscribed to a pool holds one more (a pool
// first needed by a request, a .wsgi file in a JS group's folder say, exists only through those).
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import type { ResolvedConfig } from '../config/types.js';
import type { Executor, ExecutorStatus } from '../executor/executor.js';
import { Arbiter, type ArbiterListener } from '../executor/pool/arbiter.js';
import { GroupRegistry } from '../runtime/group-registry.js';
import { planExecutors, type PlannedExecutor } from '../runtime/plan.js';
import { poolSocketDir, WORKER_ENTRY } from '../runtime/executor-factory.js';
import { createSocketRoot, sweepDeadSocketRoots } from '../runtime/socket-root.js';
import type { ExecutorHooks } from '../executor/events.js';
import type { Logger } from '../log.js';
import { sendError } from '../http-error.js';
import { ScriptAliasError, serializeError } from '../errors.js';
import type { PrimaryMessage, ProxyMessage } from './messages.js';

/** An arbiter under the registry's Executor lifecycle (it never answers a request itself). */
class ArbiterExecutor implements Executor {
  readonly arbiter: Arbiter;
  readonly #planned: PlannedExecutor;
  #state: ExecutorStatus['state'] = 'starting';

  constructor(arbiter: Arbiter, planned: PlannedExecutor) {
    this.arbiter = arbiter;
    this.#planned = planned;
  }

  async start(): Promise<void> {
    try {
      await this.arbiter.start();
      this.#state = 'ready';
    } catch (err) {
      this.#state = 'failing';
      throw err;
    }
  }

  handle(job: Parameters<Executor['handle']>[0], _req: Parameters<Executor['handle']>[1], res: Parameters<Executor['handle']>[2]): void {
    sendError(res, 'SA_ERR_POOL_UNAVAILABLE', job.reqId);
  }

  status(): ExecutorStatus {
    const { restarts, restartsByReason, processes } = this.arbiter.status();
    const key = this.#planned.key;
    return {
      kind: 'process-group', processGroup: key.kind === 'pool' ? key.processGroup : '', runtime: key.kind === 'pool' ? key.runtime : 'node', state: this.#state,
      inFlight: processes.reduce((n, p) => n + p.inFlight, 0), queued: 0, served: processes.reduce((n, p) => n + p.served, 0),
      restarts, restartsByReason, threadsPerProcess: this.#planned.settings?.threads ?? 1, processes,
    };
  }

  async close(): Promise<void> {
    this.#state = 'closing';
    await this.arbiter.drain();
    this.#state = 'closed';
  }

  async destroy(): Promise<void> {
    this.#state = 'closed';
    await this.arbiter.stop();
  }
}

interface Subscription {
  readonly executor: ArbiterExecutor;
  readonly listener: ArbiterListener;
  unsubscribe: (() => void) | null;
}

/** A proxy process as the pool host reaches it. */
export interface ProxyChannel {
  readonly id: number;
  send(message: PrimaryMessage): void;
}

export class PoolHost {
  readonly #log: Logger;
  readonly #socketRoot: string;
  readonly #registry: GroupRegistry;
  #socketSeq = 0;
  /** The current generation's references, by executor id (what status() reports). */
  #holds = new Map<string, ArbiterExecutor>();
  readonly #subs = new Map<number, Map<number, Subscription>>();

  constructor(log: Logger, hooks?: ExecutorHooks) {
    this.#log = log;
    this.#socketRoot = createSocketRoot();
    for (const dead of sweepDeadSocketRoots(os.tmpdir(), this.#socketRoot)) log.info({ code: 'SA_EVT_SOCKET_SWEPT', folder: dead }, 'removed the socket folder of a proxy that no longer runs');
    const context = { socketRoot: this.#socketRoot, nextSocketDir: () => path.join(this.#socketRoot, String(++this.#socketSeq)) };
    this.#registry = new GroupRegistry(async (planned) => {
      const { key, settings } = planned;
      if (key.kind !== 'pool' || !settings) throw new ScriptAliasError('SA_ERR_CONFIG_UNKNOWN_GROUP', `not a pool: ${planned.id}`);
      const arbiter = new Arbiter({
        settings, runtime: key.runtime, preload: planned.preload, socketDir: await poolSocketDir(settings.identity, context),
        log: log.child({ executor: planned.id, group: key.processGroup }), workerEntry: WORKER_ENTRY, ...(hooks ? { hooks } : {}),
      });
      return new ArbiterExecutor(arbiter, planned);
    });
  }

  /**
   * Holds every pool `config` plans (new ones started and ready, unchanged ones kept) and returns
   * the function that lets go of the previous holds. `strict` (a reload): a pool that cannot start
   * fails the whole step and nothing changes.
   */
  async reconcile(config: ResolvedConfig, strict: boolean): Promise<() => Promise<void>> {
    const planned = [...planExecutors(config).values()].filter((p) => p.key.kind === 'pool');
    const next = new Map<string, ArbiterExecutor>();
    const results = await Promise.allSettled(planned.map(async (p) => {
      const got = await this.#registry.acquire(p);
      next.set(p.id, got.executor as ArbiterExecutor);
      try {
        await got.started;
      } catch (err) {
        if (strict) throw err;
        this.#log.error({ err, executor: p.id, code: 'SA_ERR_WORKER_START_FAILED' }, 'process group failed to start');
      }
    }));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all([...next.values()].map((e) => this.#registry.release(e, true)));
      throw new ScriptAliasError('SA_ERR_RELOAD_FAILED', 'a process group of the new config could not start', { cause: failure.reason });
    }
    const previous = this.#holds;
    this.#holds = next;
    return async () => {
      await Promise.all([...previous.values()].map((e) => this.#registry.release(e)));
    };
  }

  /** A message from proxy `channel` about pools; false when it is about something else. */
  onMessage(channel: ProxyChannel, message: ProxyMessage): boolean {
    switch (message.t) {
      case 'sa:subscribe': void this.#subscribe(channel, message.sub, message.planned); return true;
      case 'sa:unsubscribe': this.#unsubscribe(channel.id, message.sub); return true;
      case 'sa:handed': this.#sub(channel, message.sub)?.executor.arbiter.handed(message.pid); return true;
      case 'sa:finished': this.#sub(channel, message.sub)?.executor.arbiter.finished(message.pid, message.outcome); return true;
      case 'sa:counts': {
        const arbiter = this.#sub(channel, message.sub)?.executor.arbiter;
        for (const [pid, handed, finished] of message.counts) arbiter?.reported(pid, handed, finished);
        return true;
      }
      case 'sa:released': {
        const sub = this.#sub(channel, message.sub);
        sub?.executor.arbiter.released(sub.listener, message.pid);
        return true;
      }
      case 'sa:ensure-app-group': {
        const sub = this.#sub(channel, message.sub);
        const socket = sub ? sub.executor.arbiter.ensureAppGroup(message.pid, message.group) : Promise.reject(new ScriptAliasError('SA_ERR_POOL_UNAVAILABLE', 'no such pool'));
        socket.then((socketPath) => channel.send({ t: 'sa:app-group-result', id: message.id, socketPath }),
          (err: unknown) => channel.send({ t: 'sa:app-group-result', id: message.id, error: serializeError(err) }));
        return true;
      }
      default: return false;
    }
  }

  /** A proxy process is gone: its subscriptions hold nothing any more. */
  dropProxy(id: number): void {
    for (const sub of [...(this.#subs.get(id)?.keys() ?? [])]) this.#unsubscribe(id, sub);
    this.#subs.delete(id);
  }

  /** The pools of the current generation as executors, by executor id (one /proc read per process). */
  status(): Map<string, ExecutorStatus> {
    const out = new Map<string, ExecutorStatus>();
    for (const [id, e] of this.#holds) out.set(id, e.status());
    return out;
  }

  /** Graceful: the pools stop once every proxy let go of them; then the socket folder goes. */
  async close(): Promise<void> {
    const holds = [...this.#holds.values()];
    this.#holds = new Map();
    for (const id of [...this.#subs.keys()]) this.dropProxy(id);
    await Promise.all(holds.map((e) => this.#registry.release(e)));
    await this.#registry.settled();
    rmSync(this.#socketRoot, { recursive: true, force: true });
  }

  /** Now: every worker is killed. */
  async destroy(): Promise<void> {
    this.#holds = new Map();
    this.#subs.clear();
    await this.#registry.destroyAll();
    rmSync(this.#socketRoot, { recursive: true, force: true });
  }

  #sub(channel: ProxyChannel, sub: number): Subscription | undefined {
    return this.#subs.get(channel.id)?.get(sub);
  }

  async #subscribe(channel: ProxyChannel, sub: number, planned: PlannedExecutor): Promise<void> {
    let executor: ArbiterExecutor;
    try {
      const got = await this.#registry.acquire(planned);
      executor = got.executor as ArbiterExecutor;
      await got.started.catch(() => undefined); // a failing pool is still subscribed to: it reports 'failing' and retries
    } catch (err) {
      channel.send({ t: 'sa:subscribed', sub, error: serializeError(err) });
      return;
    }
    const listener: ArbiterListener = {
      workerReady: (worker) => channel.send({ t: 'sa:worker-ready', sub, worker }),
      workerDraining: (pid) => channel.send({ t: 'sa:worker-draining', sub, pid }),
      workerGone: (pid) => channel.send({ t: 'sa:worker-gone', sub, pid }),
      appGroupReady: (pid, group, socketPath) => channel.send({ t: 'sa:app-group', sub, pid, group, socketPath }),
      stateChanged: (state) => channel.send({ t: 'sa:pool-state', sub, state }),
    };
    let subs = this.#subs.get(channel.id);
    if (!subs) {
      subs = new Map();
      this.#subs.set(channel.id, subs);
    }
    const entry: Subscription = { executor, listener, unsubscribe: null };
    subs.set(sub, entry);
    // The ready workers first (the replay), then the word that the dispatcher may start.
    entry.unsubscribe = executor.arbiter.subscribe(listener);
    channel.send({ t: 'sa:subscribed', sub });
  }

  #unsubscribe(proxyId: number, sub: number): void {
    const subs = this.#subs.get(proxyId);
    const entry = subs?.get(sub);
    if (!subs || !entry) return;
    subs.delete(sub);
    entry.unsubscribe?.();
    void this.#registry.release(entry.executor).catch((err: unknown) => this.#log.error({ err }, 'stopping a pool failed'));
  }
}

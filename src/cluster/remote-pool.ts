// A named process group as a cluster proxy process sees it: a local dispatcher whose arbiter is in
// the primary. Arbiter events arrive over IPC per subscription; what the dispatcher reports goes
// back batched (counts every COUNTS_MS), except what must act at once: a request that timed out (its
// worker is replaced), a released draining worker, and each hand-out when maximumRequests counts them.
import type { Executor } from '../executor/executor.js';
import { ManagedExecutor } from '../executor/lifecycle.js';
import { Dispatcher } from '../executor/pool/dispatcher.js';
import type { ArbiterListener, ArbiterPort, Outcome } from '../executor/pool/arbiter.js';
import type { PlannedExecutor } from '../runtime/plan.js';
import type { Logger } from '../log.js';
import type { ExecutorHooks } from '../executor/events.js';
import { ScriptAliasError, reviveError } from '../errors.js';
import type { PrimaryMessage, ProxyMessage } from './messages.js';
import { slotLease } from './slot-lease.js';

const COUNTS_MS = 250;

/** The proxy's end of the IPC channel: routes the primary's messages to subscriptions. */
export class PrimaryLink {
  /** Which proxy this is (slot leases depend on it); a standby learns it when it is activated. */
  #index: number;
  readonly #onIndex = new Set<() => void>();
  readonly count: number;
  readonly #send: (message: ProxyMessage) => void;
  readonly #subs = new Map<number, RemoteArbiter>();
  readonly #pending = new Map<number, { resolve: (socketPath: string) => void; reject: (err: Error) => void }>();
  #nextSub = 1;
  #nextId = 1;

  constructor(index: number, count: number, send: (message: ProxyMessage) => void) {
    this.#index = index;
    this.count = count;
    this.#send = send;
  }

  send(message: ProxyMessage): void {
    this.#send(message);
  }

  get index(): number {
    return this.#index;
  }

  /** A standby takes a place: every dispatcher leases its slots again for that place. */
  setIndex(index: number): void {
    this.#index = index;
    for (const relet of this.#onIndex) relet();
  }

  /** `relet` runs whenever the index changes; returns the function that stops that. */
  onIndexChange(relet: () => void): () => void {
    this.#onIndex.add(relet);
    return () => this.#onIndex.delete(relet);
  }

  /** A message from the primary about pools; false when it is about something else. */
  onMessage(message: PrimaryMessage): boolean {
    switch (message.t) {
      case 'sa:subscribed': this.#subs.get(message.sub)?.subscribed(message.error ? reviveError(message.error) : null); return true;
      case 'sa:worker-ready': this.#subs.get(message.sub)?.listener?.workerReady(message.worker); return true;
      case 'sa:worker-draining': this.#subs.get(message.sub)?.listener?.workerDraining(message.pid); return true;
      case 'sa:worker-gone': this.#subs.get(message.sub)?.listener?.workerGone(message.pid); return true;
      case 'sa:app-group': this.#subs.get(message.sub)?.listener?.appGroupReady(message.pid, message.group, message.socketPath); return true;
      case 'sa:pool-state': this.#subs.get(message.sub)?.listener?.stateChanged(message.state); return true;
      case 'sa:app-group-result': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.socketPath !== undefined) pending?.resolve(message.socketPath);
        else pending?.reject(message.error ? reviveError(message.error) : new ScriptAliasError('SA_ERR_SCRIPT_CRASHED', 'application group unavailable'));
        return true;
      }
      default: return false;
    }
  }

  arbiterFor(planned: PlannedExecutor): RemoteArbiter {
    const arbiter = new RemoteArbiter(this, this.#nextSub++, planned);
    this.#subs.set(arbiter.sub, arbiter);
    return arbiter;
  }

  forget(arbiter: RemoteArbiter): void {
    this.#subs.delete(arbiter.sub);
  }

  ensureAppGroup(sub: number, pid: number, group: string): Promise<string> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send({ t: 'sa:ensure-app-group', id, sub, pid, group });
    });
  }
}

/** ArbiterPort over IPC: one subscription to one pool of the primary. */
export class RemoteArbiter implements ArbiterPort {
  readonly sub: number;
  readonly #link: PrimaryLink;
  readonly #planned: PlannedExecutor;
  readonly #countEachHandout: boolean;
  /** pid → [handed, finished] since the last report. */
  readonly #counts = new Map<number, [number, number]>();
  #timer: NodeJS.Timeout | undefined;
  #onSubscribed: ((err: Error | null) => void) | null = null;
  listener: ArbiterListener | null = null;

  constructor(link: PrimaryLink, sub: number, planned: PlannedExecutor) {
    this.#link = link;
    this.sub = sub;
    this.#planned = planned;
    this.#countEachHandout = (planned.settings?.maximumRequests ?? 0) > 0;
  }

  /** Resolves when the primary has the pool (started), rejects when it could not start it. */
  whenSubscribed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#onSubscribed = (err) => (err ? reject(err) : resolve());
    });
  }

  subscribed(err: Error | null): void {
    this.#onSubscribed?.(err);
    this.#onSubscribed = null;
  }

  subscribe(listener: ArbiterListener): () => void {
    this.listener = listener;
    this.#link.send({ t: 'sa:subscribe', sub: this.sub, planned: this.#planned });
    this.#timer = setInterval(() => this.#flush(), COUNTS_MS);
    this.#timer.unref();
    return () => {
      clearInterval(this.#timer);
      this.#flush();
      this.listener = null;
      this.#link.send({ t: 'sa:unsubscribe', sub: this.sub });
      this.#link.forget(this);
    };
  }

  handed(pid: number): void {
    if (this.#countEachHandout) this.#link.send({ t: 'sa:handed', sub: this.sub, pid });
    else this.#bump(pid, 0);
  }

  finished(pid: number, outcome: Outcome): void {
    if (outcome === 'timeout') this.#link.send({ t: 'sa:finished', sub: this.sub, pid, outcome });
    else this.#bump(pid, 1);
  }

  released(_listener: ArbiterListener, pid: number): void {
    this.#flush();
    this.#link.send({ t: 'sa:released', sub: this.sub, pid });
  }

  ensureAppGroup(pid: number, applicationGroup: string): Promise<string> {
    return this.#link.ensureAppGroup(this.sub, pid, applicationGroup);
  }

  #bump(pid: number, which: 0 | 1): void {
    let entry = this.#counts.get(pid);
    if (!entry) {
      entry = [0, 0];
      this.#counts.set(pid, entry);
    }
    entry[which]++;
  }

  #flush(): void {
    if (this.#counts.size === 0) return;
    const counts = [...this.#counts].map(([pid, [handed, finished]]) => [pid, handed, finished] as const);
    this.#counts.clear();
    this.#link.send({ t: 'sa:counts', sub: this.sub, counts });
  }
}

export interface RemotePoolOptions {
  readonly planned: PlannedExecutor;
  readonly link: PrimaryLink;
  readonly log: Logger;
  readonly hooks?: ExecutorHooks;
}

/** The executor a proxy process uses for a named group: dispatcher here, arbiter in the primary. */
export function createRemotePool(options: RemotePoolOptions): Executor {
  const { planned, link } = options;
  const settings = planned.settings;
  if (!settings || planned.key.kind !== 'pool') throw new ScriptAliasError('SA_ERR_CONFIG_UNKNOWN_GROUP', `no settings for pool ${planned.id}`);
  const runtime = planned.key.runtime;
  const arbiter = link.arbiterFor(planned);
  const dispatcher = new Dispatcher({
    settings, runtime, arbiter, log: options.log,
    slotsOf: (worker) => slotLease(settings.threads, settings.processes, link.index, link.count, worker.slot),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  const stopReletting = link.onIndexChange(() => dispatcher.relet());
  const life: ManagedExecutor = new ManagedExecutor(() => ({
    async start() {
      const subscribed = arbiter.whenSubscribed();
      dispatcher.open();
      await subscribed;
    },
    dispatch: (job, req, res) => dispatcher.dispatch(job, req, res),
    // The processes' own view lives in the primary (it merges every proxy's status into it).
    status: (state) => dispatcher.status(state, [], { restarts: 0, restartsByReason: {} }),
    async drain() {
      stopReletting();
      await dispatcher.drain();
    },
    async stop() {
      stopReletting();
      dispatcher.close();
    },
  }));
  dispatcher.onStateChange = (state) => (state === 'ready' ? life.markReady() : life.markFailing());
  return life;
}

// Ref-counted executors keyed by id + fingerprint, so a reload keeps every unchanged group warm
// (same processes, same module state) and starts only what changed. An executor is closed
// gracefully when the last generation using it lets go, and stays reachable here until it has
// stopped, so that destroying the runtime also cuts an old generation that is still draining.
import type { Executor } from '../executor/executor.js';
import type { PlannedExecutor } from './plan.js';
import { fingerprint } from './plan.js';

interface Entry {
  readonly executor: Executor;
  readonly started: Promise<void>;
  refs: number;
}

export type ExecutorMaker = (planned: PlannedExecutor) => Promise<Executor>;

export class GroupRegistry {
  readonly #entries = new Map<string, Entry>();
  /** Let go of by every generation, still finishing in-flight work. */
  readonly #closing = new Map<Executor, Promise<void>>();
  readonly #make: ExecutorMaker;

  constructor(make: ExecutorMaker) {
    this.#make = make;
  }

  /**
   * The executor for `planned`, shared when an equal one is live. `started` settles when it is ready
   * (a reused executor is ready already); it rejects when a new one fails to start.
   */
  async acquire(planned: PlannedExecutor): Promise<{ executor: Executor; started: Promise<void>; reused: boolean }> {
    const id = `${planned.id}\0${fingerprint(planned)}`;
    const existing = this.#entries.get(id);
    if (existing) {
      existing.refs++;
      return { executor: existing.executor, started: existing.started, reused: true };
    }
    const executor = await this.#make(planned);
    const started = executor.start();
    started.catch(() => { /* observed by the caller; kept here so a late rejection is not unhandled */ });
    this.#entries.set(id, { executor, started, refs: 1 });
    return { executor, started, reused: false };
  }

  /** Drop one reference; the last one closes the executor (graceful) or destroys it (`now`). */
  async release(executor: Executor, now = false): Promise<void> {
    for (const [id, entry] of this.#entries) {
      if (entry.executor !== executor) continue;
      entry.refs--;
      if (entry.refs > 0) return;
      this.#entries.delete(id);
      const stopping = (now ? executor.destroy() : executor.close()).finally(() => this.#closing.delete(executor));
      this.#closing.set(executor, stopping);
      await stopping;
      return;
    }
  }

  /** Resolves when every executor let go of so far has stopped (graceful closes included). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#closing.values()]);
  }

  /** Now: destroys every executor, live or still closing. */
  async destroyAll(): Promise<void> {
    const all = [...[...this.#entries.values()].map((e) => e.executor), ...this.#closing.keys()];
    this.#entries.clear();
    await Promise.allSettled(all.map((executor) => executor.destroy()));
    await this.settled();
  }

  liveCount(): number {
    return this.#entries.size;
  }
}

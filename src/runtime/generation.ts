// One config generation: the frozen config, its alias table and the executors it routes to.
// Immutable once built, except that an executor the plan did not foresee (say, a Python script
// found under a directory alias of a node group) is added on first use.
import type { ResolvedConfig } from '../config/types.js';
import type { Executor } from '../executor/executor.js';
import type { AliasTable } from '../routing/alias-table.js';
import { buildAliasTable } from '../routing/alias-table.js';
import type { ExecutorKey } from '../executor/select.js';
import { planExecutors, groupSettings, globalDeadline, isolateMemoryLimit, type PlannedExecutor } from './plan.js';
import type { GroupRegistry } from './group-registry.js';
import { ScriptAliasError } from '../errors.js';
import type { Logger } from '../log.js';
import { buildForwardingRules, type ForwardingRules } from '../routing/forwarded.js';

export interface Generation {
  readonly id: number;
  readonly config: ResolvedConfig;
  readonly table: AliasTable;
  /** The trusted-proxy rules (trustedProxies + trustedProxyHeaders). */
  readonly forwarding: ForwardingRules;
  /** The executor for a key: at once when it runs, or a promise while a lazily created one starts. */
  executor(key: ExecutorKey): Executor | Promise<Executor>;
  executors(): ReadonlyMap<string, Executor>;
  /** Let go of every executor (the registry closes those no other generation uses). */
  release(now?: boolean): Promise<void>;
}

export interface BuildOptions {
  readonly id: number;
  readonly registry: GroupRegistry;
  readonly log: Logger;
  /** Reload: any executor that fails to start fails the whole build (the old generation stays). */
  readonly strict: boolean;
}

export async function buildGeneration(config: ResolvedConfig, options: BuildOptions): Promise<Generation> {
  const { registry, log } = options;
  const table = buildAliasTable(config);
  const live = new Map<string, Executor>();
  const starting = new Map<string, Promise<Executor>>();
  const plan = planExecutors(config);

  const acquired = await Promise.allSettled([...plan.values()].map(async (planned) => {
    const got = await registry.acquire(planned);
    live.set(planned.id, got.executor);
    try {
      await got.started;
    } catch (err) {
      if (options.strict) throw err;
      // First start: a failing group keeps retrying (with back-off) and reports itself as failing;
      // everything else serves (issue: "keeps the proxy serving everything else").
      log.error({ err, executor: planned.id, code: 'SA_ERR_WORKER_START_FAILED' }, 'executor failed to start');
    }
  }));
  const failure = acquired.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all([...live.values()].map((e) => registry.release(e, true)));
    throw new ScriptAliasError('SA_ERR_RELOAD_FAILED', 'a process group of the new config could not start', { cause: failure.reason });
  }

  let released = false;
  const generation: Generation = {
    id: options.id,
    config,
    table,
    forwarding: buildForwardingRules(config.trust),
    executor(key) {
      const id = key.id;
      const ready = live.get(id);
      if (ready) return ready;
      let pending = starting.get(id);
      if (!pending) {
        pending = startLazy(key, id);
        starting.set(id, pending);
      }
      return pending;
    },
    executors: () => live,
    async release(now = false) {
      if (released) return;
      released = true;
      // A request of this generation may be waiting for an executor it started on first use: that
      // executor takes the request first, then is let go with the rest (destroy does not wait).
      if (!now) await Promise.allSettled([...starting.values()]);
      await Promise.all([...live.values()].map((e) => registry.release(e, now)));
    },
  };

  async function startLazy(key: ExecutorKey, id: string): Promise<Executor> {
    const settings = key.kind === 'pool' ? groupSettings(config, key.processGroup, key.runtime) : null;
    const planned: PlannedExecutor = { id, key, settings, preload: [], requestTimeout: globalDeadline(config, key), memoryLimit: isolateMemoryLimit(config, key) };
    try {
      const got = await registry.acquire(planned);
      live.set(id, got.executor);
      await got.started.catch((err) => log.error({ err, executor: id, code: 'SA_ERR_WORKER_START_FAILED' }, 'executor failed to start'));
      return got.executor;
    } finally {
      starting.delete(id);
    }
  }

  return generation;
}

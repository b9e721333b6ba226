// Which executors a config needs, and what each preloads: a pure function of the ResolvedConfig.
// Named groups start warm in the runtimes their aliases' scripts need; any other pool (a .wsgi script
// found in a node group's folder, say) is created on first use.
import type { ResolvedConfig, ResolvedProcessGroup, Runtime, GroupSpec } from '../config/types.js';
import type { PreloadEntry } from '../protocol/messages.js';
import { selectExecutor, poolKey, type ExecutorKey } from '../executor/select.js';
import { GLOBAL_GROUP } from '../constants.js';
import { runtimeOfScript } from '../script/runtime-by-extension.js';

export interface PlannedExecutor {
  readonly id: string;
  readonly key: ExecutorKey;
  /** Group settings for pools (a synthetic one for the global group's Python companions). */
  readonly settings: ResolvedProcessGroup | null;
  readonly preload: readonly PreloadEntry[];
  /** Deadline in seconds (0 = none) of the inline and isolate executors; pools read theirs from settings. */
  readonly requestTimeout: number;
  /** MiB of V8 heap per isolate thread (defaults.memoryLimit; 0 = V8's default); 0 for other executors. */
  readonly memoryLimit: number;
}

export function groupSettings(config: ResolvedConfig, processGroup: string, runtime: Runtime): ResolvedProcessGroup | null {
  if (processGroup === GLOBAL_GROUP) return runtime === 'python' ? config.globalPython : null;
  return config.processGroups[processGroup] ?? null;
}

/** The isolates' heap limit in MiB (0 = none): only the isolate executor has one. */
export function isolateMemoryLimit(config: ResolvedConfig, key: ExecutorKey): number {
  return key.kind === 'isolate' ? config.defaults.memoryLimit : 0;
}

/** The global process group's deadline, for the executors that have no group settings. */
export function globalDeadline(config: ResolvedConfig, key: ExecutorKey): number {
  return key.kind === 'pool' ? 0 : config.defaults.requestTimeout;
}

function literalName(spec: GroupSpec): string | null {
  if (spec.kind === 'global') return GLOBAL_GROUP;
  if (spec.kind === 'literal') return spec.name;
  return null;
}

export function planExecutors(config: ResolvedConfig): Map<string, PlannedExecutor> {
  const plan = new Map<string, PlannedExecutor & { preload: PreloadEntry[] }>();
  const want = (key: ExecutorKey): { preload: PreloadEntry[] } => {
    const id = key.id;
    let entry = plan.get(id);
    if (!entry) {
      const settings = key.kind === 'pool' ? groupSettings(config, key.processGroup, key.runtime) : null;
      entry = { id, key, settings, preload: [], requestTimeout: globalDeadline(config, key), memoryLimit: isolateMemoryLimit(config, key) };
      plan.set(id, entry);
    }
    return entry;
  };
  // A named group starts warm only in the runtimes its scripts need (a group whose aliases are all
  // Python starts no Node worker); a group no alias reaches starts in its declared runtime, as
  // mod_wsgi starts every daemon process group. A script found later in another runtime (a .wsgi
  // file in a node group's folder) gets its pool on first use.
  const reached = new Set<string>();
  for (const context of [...config.virtualHosts, config.server]) {
    for (const entry of [...context.scriptAlias, ...context.scriptDirectories]) {
      const processGroup = literalName(entry.processGroup) ?? GLOBAL_GROUP;
      if (processGroup === GLOBAL_GROUP) continue;
      reached.add(processGroup);
      const isFile = 'targetKind' in entry && entry.targetKind === 'file';
      want(poolKey(processGroup, isFile ? runtimeOfScript(entry.path, entry.runtime) : entry.runtime));
    }
  }
  for (const group of Object.values(config.processGroups)) {
    if (!reached.has(group.name)) want(poolKey(group.name, group.runtime));
  }
  for (const context of [...config.virtualHosts, config.server]) {
    for (const alias of context.scriptAlias) {
      if (alias.targetKind !== 'file') continue;
      const processGroup = literalName(alias.processGroup) ?? GLOBAL_GROUP;
      const runtime = runtimeOfScript(alias.path, alias.runtime);
      const applicationGroup = literalName(alias.applicationGroup);
      if (alias.preload && applicationGroup !== null) {
        const entry = want(selectExecutor(processGroup, applicationGroup, runtime));
        const exists = entry.preload.some((p) => p.script === alias.path && p.applicationGroup === applicationGroup);
        if (!exists) entry.preload.push({ script: alias.path, applicationGroup, callable: alias.callableObject });
      } else if (runtime === 'python') {
        // Python pools are not free to start lazily (an interpreter per process): start them with the proxy.
        want(poolKey(processGroup, runtime));
      }
    }
  }
  return plan;
}

/** A fingerprint of everything that makes two executors interchangeable (reload keeps equal ones). */
export function fingerprint(planned: PlannedExecutor): string {
  return JSON.stringify([planned.key, planned.settings, planned.preload, planned.requestTimeout, planned.memoryLimit]);
}

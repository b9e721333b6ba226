// One status for a whole cluster: the primary's pools (processes, restarts) merged with what each
// proxy process reports (its dispatchers' in-flight, queue and served counts; its inline and
// isolate executors). Pure, so the rule is tested without processes.
import type { ExecutorStatus } from '../executor/executor.js';
import type { ReloadReport, RuntimeStatus } from '../runtime/runtime.js';

export interface ProxyStatus {
  readonly index: number;
  readonly pid: number;
  readonly status: RuntimeStatus | null;
}

export interface ClusterStatus extends RuntimeStatus {
  readonly proxies: readonly { readonly index: number; readonly pid: number; readonly generation: number | null }[];
}

export function mergeStatus(
  primary: { readonly generation: number; readonly configFile: string; readonly lastReload: ReloadReport | null },
  pools: ReadonlyMap<string, ExecutorStatus>,
  proxies: readonly ProxyStatus[],
): ClusterStatus {
  const executors: Record<string, ExecutorStatus> = {};
  const add = (id: string, part: ExecutorStatus): void => {
    const known = executors[id];
    if (!known) {
      executors[id] = part;
      return;
    }
    executors[id] = {
      ...known,
      inFlight: known.inFlight + part.inFlight, queued: known.queued + part.queued, served: known.served + part.served,
      restarts: known.restarts + part.restarts, processes: [...known.processes, ...part.processes],
    };
  };
  for (const proxy of proxies) {
    for (const [id, part] of Object.entries(proxy.status?.executors ?? {})) {
      // A pool's processes and restarts are the primary's to say; a proxy adds its requests.
      if (part.kind === 'process-group' && pools.has(id)) continue;
      add(id, part);
    }
  }
  for (const [id, executor] of pools) {
    let inFlight = 0;
    let queued = 0;
    let served = 0;
    for (const proxy of proxies) {
      const part = proxy.status?.executors[id];
      if (!part) continue;
      inFlight += part.inFlight;
      queued += part.queued;
      served += part.served;
    }
    executors[id] = { ...executor, inFlight, queued, served };
  }
  return {
    generation: primary.generation, configFile: primary.configFile, lastReload: primary.lastReload, executors,
    proxies: proxies.map((p) => ({ index: p.index, pid: p.pid, generation: p.status?.generation ?? null })),
  };
}

// Hooks an executor calls when something operators count happens (restarts, queue waits). The
// executor only calls them; src/ops/metrics.ts listens (through the runtime), never the reverse.

/** Why a worker process was replaced. `reload`: its group left the config or changed. */
export type RestartReason = 'crash' | 'maximumRequests' | 'timeout' | 'memory' | 'reload' | 'restartInterval' | 'inactivityTimeout';

export interface ExecutorHooks {
  restart(group: string, reason: RestartReason): void;
  /** A request left the queue for a slot (0 when a slot was free at once). */
  queueWait(group: string, seconds: number): void;
}

export const NO_HOOKS: ExecutorHooks = { restart: () => undefined, queueWait: () => undefined };

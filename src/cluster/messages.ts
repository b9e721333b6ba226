// What a cluster primary and its proxy processes say to each other over node:cluster's IPC channel
// (JSON). The primary owns the config and every pool's arbiter; a proxy owns its listeners, its
// inline and isolate executors, and one dispatcher per named group ("sub": one subscription).
import type { PlannedExecutor } from '../runtime/plan.js';
import type { WorkerEndpoint, Outcome } from '../executor/pool/arbiter.js';
import type { ReloadReport, RuntimeStatus } from '../runtime/runtime.js';
import type { SerializedError } from '../errors.js';
import type { MetricJson } from '../ops/metrics.js';

/** The config every proxy serves: the text the primary validated, and the file it came from. */
export interface ConfigPayload {
  readonly text: string;
  readonly origin: string;
}

export type PrimaryMessage =
  | { readonly t: 'sa:config'; readonly id: number; readonly config: ConfigPayload }
  | { readonly t: 'sa:subscribed'; readonly sub: number; readonly error?: SerializedError }
  | { readonly t: 'sa:worker-ready'; readonly sub: number; readonly worker: WorkerEndpoint }
  | { readonly t: 'sa:worker-draining'; readonly sub: number; readonly pid: number }
  | { readonly t: 'sa:worker-gone'; readonly sub: number; readonly pid: number }
  | { readonly t: 'sa:app-group'; readonly sub: number; readonly pid: number; readonly group: string; readonly socketPath: string }
  | { readonly t: 'sa:pool-state'; readonly sub: number; readonly state: 'ready' | 'failing' }
  | { readonly t: 'sa:app-group-result'; readonly id: number; readonly socketPath?: string; readonly error?: SerializedError }
  | { readonly t: 'sa:status'; readonly id: number }
  | { readonly t: 'sa:metrics'; readonly id: number }
  | { readonly t: 'sa:reopen-logs' }
  /** To the standby proxy: take the place of proxy `index` (one just died) and listen. */
  | { readonly t: 'sa:activate'; readonly index: number }
  | { readonly t: 'sa:stop'; readonly now: boolean };

export type ProxyMessage =
  /** Its message listener is on: node:cluster's 'online' comes before an ES module has run, and a
   *  message sent then would be lost. */
  | { readonly t: 'sa:hello' }
  /** The standby proxy loaded its code and checked the config: an activation is quick now. */
  | { readonly t: 'sa:standing-by' }
  | { readonly t: 'sa:listening'; readonly port: number; readonly httpsPorts: readonly number[] }
  | { readonly t: 'sa:start-failed'; readonly error: SerializedError }
  | { readonly t: 'sa:config-applied'; readonly id: number; readonly report: ReloadReport }
  | { readonly t: 'sa:subscribe'; readonly sub: number; readonly planned: PlannedExecutor }
  | { readonly t: 'sa:unsubscribe'; readonly sub: number }
  | { readonly t: 'sa:handed'; readonly sub: number; readonly pid: number }
  | { readonly t: 'sa:finished'; readonly sub: number; readonly pid: number; readonly outcome: Outcome }
  /** Batched counts: [pid, handed, finished] since the last report. */
  | { readonly t: 'sa:counts'; readonly sub: number; readonly counts: readonly (readonly [number, number, number])[] }
  | { readonly t: 'sa:released'; readonly sub: number; readonly pid: number }
  | { readonly t: 'sa:ensure-app-group'; readonly id: number; readonly sub: number; readonly pid: number; readonly group: string }
  | { readonly t: 'sa:status-result'; readonly id: number; readonly status: RuntimeStatus }
  /** Its request metrics as prom-client JSON ([] when metrics are off). */
  | { readonly t: 'sa:metrics-result'; readonly id: number; readonly metrics: MetricJson };

/** Ours (a cluster message may also come from another library, e.g. prom-client's aggregator). */
export function isClusterMessage(message: unknown): message is { t: string } {
  return typeof message === 'object' && message !== null && typeof (message as { t?: unknown }).t === 'string' && (message as { t: string }).t.startsWith('sa:');
}

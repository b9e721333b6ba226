// DESIGN §5's table as one function: where does a script run, given its resolved process group,
// application group and runtime. Python always runs in CPython processes (the global group's
// companions when the process group is %{GLOBAL}).
import { GLOBAL_GROUP } from '../constants.js';
import type { Runtime } from '../config/types.js';

export type ExecutorKey =
  | { readonly kind: 'inline' }
  | { readonly kind: 'isolate' }
  | { readonly kind: 'pool'; readonly processGroup: string; readonly runtime: Runtime };

// The proxy's own two executors have one key each (no object per request: this runs on every one).
const INLINE: ExecutorKey = Object.freeze({ kind: 'inline' });
const ISOLATE: ExecutorKey = Object.freeze({ kind: 'isolate' });

export function selectExecutor(processGroup: string, applicationGroup: string, runtime: Runtime): ExecutorKey {
  if (runtime === 'python' || processGroup !== GLOBAL_GROUP) return { kind: 'pool', processGroup, runtime };
  return applicationGroup === GLOBAL_GROUP ? INLINE : ISOLATE;
}

/** A stable string for a key (map keys, logs). */
export function executorKeyId(key: ExecutorKey): string {
  return key.kind === 'pool' ? `pool:${key.runtime}:${key.processGroup}` : key.kind;
}

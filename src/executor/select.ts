// DESIGN §5's table as one function: where does a script run, given its resolved process group,
// application group and runtime. Python always runs in CPython processes (the global group's
// companions when the process group is %{GLOBAL}).
import { GLOBAL_GROUP } from '../constants.js';
import type { Runtime } from '../config/types.js';

/** `id`: a stable string for the key (map keys, logs). */
export type ExecutorKey =
  | { readonly kind: 'inline'; readonly id: 'inline' }
  | { readonly kind: 'isolate'; readonly id: 'isolate' }
  | { readonly kind: 'pool'; readonly processGroup: string; readonly runtime: Runtime; readonly id: string };

// The proxy's own two executors have one key each, and each pool one per group and runtime: no
// object and no id string is built per request (this runs on every one; a fresh id string is hashed
// again on every map lookup).
const INLINE: ExecutorKey = Object.freeze({ kind: 'inline', id: 'inline' });
const ISOLATE: ExecutorKey = Object.freeze({ kind: 'isolate', id: 'isolate' });
const POOL_KEYS: Record<Runtime, Map<string, ExecutorKey>> = { node: new Map(), python: new Map() };

/** The key of a named group's pool for one runtime. */
export function poolKey(processGroup: string, runtime: Runtime): ExecutorKey {
  const keys = POOL_KEYS[runtime];
  let key = keys.get(processGroup);
  if (key === undefined) {
    key = Object.freeze({ kind: 'pool', processGroup, runtime, id: `pool:${runtime}:${processGroup}` });
    if (keys.size >= 4096) keys.clear(); // names come from configs only: a bound for very many reloads
    keys.set(processGroup, key);
  }
  return key;
}

export function selectExecutor(processGroup: string, applicationGroup: string, runtime: Runtime): ExecutorKey {
  if (runtime === 'python' || processGroup !== GLOBAL_GROUP) return poolKey(processGroup, runtime);
  return applicationGroup === GLOBAL_GROUP ? INLINE : ISOLATE;
}

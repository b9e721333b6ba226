// V8's heap growth for a proxy process of `scriptalias serve` (one process, or each cluster proxy).
//
// Why: a proxy that forwards bodies to a pool holds two array buffers per request (Node's HTTP parser
// copies each request-body chunk into a new one; each read from the worker's socket is another) and
// allocates little else, so its young-generation GCs are rare and those buffers pile up between them.
// When they pass a fixed amount V8 forces a young GC, and when the old generation's room to its limit is
// then smaller than the young generation (13 MB live, limit 37 MB here) that GC starts a full marking:
// a mark-compact after nearly every scavenge, ~90 in 5 s under wrk, in most runs. With the old
// generation allowed to grow to 4 × what is live (V8's own ceiling for its dynamic factor) the room stays
// larger: pool post-echo 273–311 → 191–202 µs of proxy CPU per request, pool big 1 133–1 757 → 826–987,
// 2 mark-compacts per run instead of 51–128; inline post-echo +10 %, hello unchanged (bench/README.md).
// The flag is read at each mark-compact, so setting it once at start is enough. Only for our own
// processes: the library (`scriptAlias()` on a user's redbird) leaves the host's V8 alone.
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 300;
const FLAG = '--heap-growing-percent';

/** The percent to set, or null when whoever started Node chose one (`node --heap-growing-percent=N`). */
export function heapGrowingPercentToSet(execArgv: readonly string[], nodeOptions: string | undefined): number | null {
  // V8 reads '-' and '_' in a flag's name alike.
  const chosen = (arg: string): boolean => arg.split('=', 1)[0]!.replaceAll('_', '-') === FLAG;
  if (execArgv.some(chosen)) return null;
  if (nodeOptions !== undefined && nodeOptions.split(/\s+/).some(chosen)) return null;
  return HEAP_GROWING_PERCENT;
}

/** Sets the proxy's heap growth unless Node was started with its own; returns what it set. */
export function tuneProxyHeapGrowth(): number | null {
  const percent = heapGrowingPercentToSet(process.execArgv, process.env.NODE_OPTIONS);
  if (percent !== null) v8.setFlagsFromString(`${FLAG}=${percent}`);
  return percent;
}

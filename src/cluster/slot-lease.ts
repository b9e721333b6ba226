// How a cluster shares one worker's slots among its proxy processes (docs/cluster.md: leases, not
// shared counts). Pure, so the rule is tested on its own.

/**
 * The slots of one worker a proxy may fill: the worker's threads split evenly over the proxies
 * (the remainder going to different proxies for different workers), so all proxies together never
 * send a worker more than `threads` requests. A proxy left with no slot anywhere (fewer slots in
 * the group than proxies) gets one per worker: a worker may then queue a request internally.
 */
export function slotLease(threads: number, processes: number, proxyIndex: number, proxyCount: number, workerSlot: number): number {
  if (processes * threads < proxyCount) return 1;
  const base = Math.floor(threads / proxyCount);
  const extra = threads % proxyCount;
  const turn = (proxyIndex - (workerSlot * extra) % proxyCount + proxyCount) % proxyCount;
  return base + (turn < extra ? 1 : 0);
}

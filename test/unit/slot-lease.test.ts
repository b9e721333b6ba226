// Cluster slot leases (src/cluster/slot-lease.ts): the proxies' leases on one worker add up to its
// threads, never more; every proxy gets somewhere to send; with fewer slots than proxies each gets one.
import test from 'ava';
import { slotLease } from '../../src/cluster/slot-lease.js';

test('leases on each worker add up to its threads, and every proxy holds at least one slot in the group', (t) => {
  for (const proxies of [1, 2, 3, 4]) {
    for (const processes of [1, 2, 3]) {
      for (const threads of [1, 2, 3, 5, 8, 32]) {
        if (processes * threads < proxies) continue;
        const label = `${proxies} proxies, ${processes}×${threads}`;
        const perProxy = new Array<number>(proxies).fill(0);
        for (let slot = 0; slot < processes; slot++) {
          let sum = 0;
          for (let index = 0; index < proxies; index++) {
            const lease = slotLease(threads, processes, index, proxies, slot);
            sum += lease;
            perProxy[index]! += lease;
          }
          t.is(sum, threads, `${label}: worker ${slot}`);
        }
        t.true(perProxy.every((n) => n >= 1), `${label}: ${perProxy.join(', ')}`);
      }
    }
  }
});

test('fewer slots in the group than proxies: one slot per worker for each proxy', (t) => {
  for (let index = 0; index < 4; index++) t.is(slotLease(1, 2, index, 4, 1), 1);
});

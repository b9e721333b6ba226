// Issue 15's done-when for maximumMemory: a leaking worker is recycled under wrk with zero failed
// requests. One process of four threads leaks ~256 KiB a request; with maximumMemory a few tens of
// MiB above a fresh worker's RSS it trips within a second or two, again and again, and every answer
// wrk sees is a 200 (no non-2xx, no socket error) while status() counts the recycles as memory.
import test from 'ava';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { startProxy, tempDir } from '../helpers/proxy.js';
import { fixture } from '../helpers/paths.js';
import { hasWrk, runWrk } from '../helpers/wrk.js';


test('maximumMemory recycles a leaking worker under wrk: zero non-2xx, zero socket errors, restarts by reason memory', async (t) => {
  if (!hasWrk) { t.fail('wrk is not installed (.ci/run installs it: apt-get install wrk)'); return; }
  t.timeout(60_000);
  const dir = tempDir(t);
  copyFileSync(fixture('pool', 'leak.cjs'), path.join(dir, 'leak.cjs'));
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 1, threads: 4, maximumMemory: 96 } },
    scriptAlias: [{ url: '/leak', path: 'leak.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const { code, out, requests } = await runWrk(t, ['-t1', '-c8', '-d5s', `${proxy.url}/leak`]);
  t.log(out.trim());
  t.is(code, 0);
  t.true(requests > 500, `${requests} requests`);
  t.false(/Non-2xx or 3xx responses/.test(out), 'every answer was a 2xx');
  t.false(/Socket errors/.test(out), 'no socket error');
  const group = proxy.running.plugin.status().executors['pool:node:g'];
  t.truthy(group);
  const byReason = group?.kind === 'process-group' ? group.restartsByReason ?? {} : {};
  t.log(`restarts by reason: ${JSON.stringify(byReason)}`);
  t.true((byReason.memory ?? 0) >= 1, 'recycled for memory at least once');
  t.is(byReason.crash ?? 0, 0, 'no worker crashed');
});

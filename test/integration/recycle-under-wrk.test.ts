// Issue 4's recycle check with a real load generator: maximumRequests 100 under 30 s of wrk. Every
// recycle starts the replacement first and lets the old process finish its requests, so wrk must
// see no non-2xx answer and no socket error. wrk comes from Debian's packages (.ci/run installs it).
import test from 'ava';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { startProxy, tempDir } from '../helpers/proxy.js';
import { fixture } from '../helpers/paths.js';
import { hasWrk, runWrk } from '../helpers/wrk.js';

const DURATION_S = Number(process.env.SA_WRK_SECONDS ?? 30);

(hasWrk || process.env.CI ? test : test.skip)('maximumRequests 100 under 30 s of wrk: zero non-2xx, zero socket errors, many recycles', async (t) => {
  t.timeout((DURATION_S + 30) * 1000);
  const dir = tempDir(t);
  copyFileSync(fixture('pool', 'report.cjs'), path.join(dir, 'report.cjs'));
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { processes: 2, threads: 8, maximumRequests: 100 } },
    scriptAlias: [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const { code, out, requests, non2xx, socketErrors } = await runWrk(t, ['-t1', '-c16', `-d${DURATION_S}s`, `${proxy.url}/r`]);
  t.log(out.trim());
  t.is(code, 0);
  t.true(requests > 1000, `${requests} requests`);
  t.is(non2xx, 0);
  t.is(socketErrors ?? 'none', 'none');
  const restarts = proxy.running.plugin.status().executors['pool:node:g']!.restarts;
  t.log(`${restarts} recycles`);
  // A process keeps taking requests until its replacement is ready, so it serves more than 100: the
  // count of recycles is below requests / 100, but there must be many of them.
  t.true(restarts >= DURATION_S, `${restarts} recycles for ${requests} requests`);
});

// Prometheus metrics on their own listener: the exposition passes `promtool check metrics`, and the
// counters move as this test's requests, a worker crash (kill -9), a maximumRequests recycle and
// reloads (applied and failed) happen. An address that cannot be bound fails serve with a coded error.
import test from 'ava';
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { fixture } from '../helpers/paths.js';
import { tempDir, startProxy, request, json } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';
import { scrape, sample, promtool } from '../helpers/metrics.js';
import { serve } from '../../plugin/serve.js';
import { silentLogger } from '../../src/log.js';
import { isScriptAliasError } from '../../src/errors.js';

function groupStatus(proxy: { running: { plugin: { status(): import('../../plugin/index.js').RuntimeStatus } } }, group: string) {
  const found = Object.values(proxy.running.plugin.status().executors).find((e) => e.processGroup === group && e.kind === 'process-group');
  if (!found) throw new Error(`no process group ${group}`);
  return found;
}

test('metrics: promtool-clean exposition; requests, crash, maximumRequests recycle and reloads move the counters', async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const scriptalias = {
    metrics: { listen: '127.0.0.1:0' },
    processGroups: { pool: { processes: 1, threads: 2, maximumRequests: 4 }, other: { processes: 1, threads: 1 } },
    scriptAlias: [
      { url: '/pooled', path: 'app.js', processGroup: 'pool', applicationGroup: '%{GLOBAL}' },
      { url: '/other', path: 'app.js', processGroup: 'other', applicationGroup: '%{GLOBAL}' },
    ],
  };
  const proxy = await startProxy(t, { plugins: { scriptalias } }, dir);
  const metricsUrl = proxy.running.metricsUrl!;
  t.truthy(metricsUrl);

  const first = await scrape(metricsUrl);
  t.is(first.status, 200);
  t.regex(first.type, /^text\/plain; version=0\.0\.4/);
  promtool(t, first.body);
  t.is(sample(first.body, 'scriptalias_config_generation'), 1);
  t.is(sample(first.body, 'scriptalias_workers', { group: 'pool', state: 'ready' }), 1);
  t.is(sample(first.body, 'scriptalias_slots', { group: 'pool', state: 'free' }), 2);
  t.is(sample(first.body, 'scriptalias_slots', { group: 'pool', state: 'busy' }), 0);
  t.is(sample(first.body, 'scriptalias_queue_depth', { group: 'pool' }), 0);
  t.true((sample(first.body, 'scriptalias_worker_resident_memory_bytes', { group: 'pool', pid: String(groupStatus(proxy, 'pool').processes[0]!.pid) }) ?? 0) > 0);
  t.true(sample(first.body, 'process_resident_memory_bytes')! > 0, "prom-client's default metrics");

  // Requests: 3 to pool (under maximumRequests), one 404 outside any alias is not ours (redbird's).
  for (let i = 0; i < 3; i++) t.is((await request(proxy.url, '/pooled?marker=1')).status, 200);
  const afterRequests = (await scrape(metricsUrl)).body;
  t.is(sample(afterRequests, 'scriptalias_requests_total', { vhost: 'localhost', group: 'pool', code: '200' }), 3);
  t.is(sample(afterRequests, 'scriptalias_request_duration_seconds_count', { group: 'pool' }), 3);
  t.is(sample(afterRequests, 'scriptalias_queue_wait_seconds_count', { group: 'pool' }), 3);
  t.false(afterRequests.includes('marker') || afterRequests.includes('/pooled'), 'paths are never labels');

  // A crash: kill -9 the other group's worker; it is replaced and counted as reason crash.
  const victim = (await json<{ pid: number }>(proxy.url, '/other')).body.pid;
  process.kill(victim, 'SIGKILL');
  const crashed = await waitFor('a crash restart', async () => {
    const text = (await scrape(metricsUrl)).body;
    return sample(text, 'scriptalias_worker_restarts_total', { group: 'other', reason: 'crash' }) === 1 ? text : undefined;
  });
  t.is(sample(crashed, 'scriptalias_worker_restarts_total', { group: 'pool', reason: 'crash' }), 0);
  await waitFor('the other group ready again', () => groupStatus(proxy, 'other').processes.some((p) => p.state === 'ready' && p.pid !== victim) || undefined);
  t.is((await request(proxy.url, '/other')).status, 200);

  // A recycle: the 4th request reaches maximumRequests.
  t.is((await request(proxy.url, '/pooled')).status, 200);
  await waitFor('a maximumRequests restart', async () => sample((await scrape(metricsUrl)).body, 'scriptalias_worker_restarts_total', { group: 'pool', reason: 'maximumRequests' }) === 1 || undefined);

  // A reload that changes "other": applied, generation 2, its process replaced for reason reload.
  const config = JSON.parse(readFileSync(proxy.configFile, 'utf8')) as { plugins: { scriptalias: typeof scriptalias } };
  config.plugins.scriptalias.processGroups.other.threads = 2;
  writeFileSync(proxy.configFile, JSON.stringify(config));
  t.like(await proxy.running.plugin.reload(), { applied: true, generation: 2 });
  const reloaded = (await scrape(metricsUrl)).body;
  t.is(sample(reloaded, 'scriptalias_reloads_total', { result: 'applied' }), 1);
  t.is(sample(reloaded, 'scriptalias_config_generation'), 2);
  t.is(sample(reloaded, 'scriptalias_worker_restarts_total', { group: 'other', reason: 'reload' }), 1);
  t.is(sample(reloaded, 'scriptalias_slots', { group: 'other', state: 'free' }), 2, 'gauges from the new generation only');

  // A broken config: counted as failed; generation stays.
  writeFileSync(proxy.configFile, '{ "plugins": ');
  t.like(await proxy.running.plugin.reload(), { applied: false });
  const failed = (await scrape(metricsUrl)).body;
  t.is(sample(failed, 'scriptalias_reloads_total', { result: 'failed' }), 1);
  t.is(sample(failed, 'scriptalias_config_generation'), 2);
  t.is(sample(failed, 'scriptalias_requests_total', { vhost: 'localhost', group: 'pool', code: '200' }), 4);
  promtool(t, failed);

  const notFound = await new Promise<number>((resolve, reject) => http.get(`${metricsUrl}/other`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject));
  t.is(notFound, 404);
});

test('metrics: an address that cannot be bound fails serve with SA_ERR_OPS_METRICS_LISTEN naming it, before the proxy starts', async (t) => {
  const blocker = net.createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const busy = (blocker.address() as net.AddressInfo).port;
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({
    proxy: { port: 0, host: '127.0.0.1' },
    plugins: { scriptalias: { metrics: { listen: `127.0.0.1:${busy}` }, processGroups: { pool: { processes: 1 } }, scriptAlias: [{ url: '/p', path: 'app.js', processGroup: 'pool' }] } },
  }));
  const err = await t.throwsAsync(serve(file, { log: silentLogger(), port: 0, watch: false }));
  t.true(isScriptAliasError(err) && err.code === 'SA_ERR_OPS_METRICS_LISTEN', String(err));
  t.true(err!.message.includes(`127.0.0.1:${busy}`), err!.message);
});

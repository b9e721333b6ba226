// A fleet from one config: `scriptalias serve --config-from etcd://…` against a real etcd
// (Debian's etcd-server). Two proxies apply a put within 1 s; an invalid value changes neither; etcd
// stopped and brought back with a change made meanwhile: applied on resume; unreachable at start:
// exit 1 with one coded line; --config-fallback serves the file until etcd is reached.
import test from 'ava';
import { spawnSync, spawn } from 'node:child_process';
import { copyFileSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fixture } from '../helpers/paths.js';
import { tempDir, request } from '../helpers/proxy.js';
import { cliPath, serveCli, type LogEntry } from '../helpers/cli.js';
import { startEtcd, ETCD_BIN } from '../helpers/etcd.js';
import { freePort } from '../helpers/ports.js';

const KEY = 'scriptalias/proxy.json';

/** A config whose one alias is at /NAME (so which config serves shows as 200 vs 404); app.js is relative. */
function config(name: string): string {
  return JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: { scriptAlias: [{ url: `/${name}`, path: 'app.js' }] } } }, null, 2);
}

/** The folder relative paths of the etcd value resolve against (--config-base). */
function base(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  return dir;
}

const reloaded = (e: LogEntry): boolean => e.msg === 'config reloaded';
const rejected = (e: LogEntry): boolean => e.code === 'SA_ERR_RELOAD_FAILED';
const lost = (e: LogEntry): boolean => e.code === 'SA_WRN_SOURCE_LOST';

if (!existsSync(ETCD_BIN)) {
  test('etcd tests need Debian\'s etcd-server (.ci/run installs it)', (t) => t.fail(`${ETCD_BIN} is missing`));
} else {
  test('two proxies on one etcd key both apply a put within 1 s; an invalid value changes neither (SA_ERR_RELOAD_FAILED)', async (t) => {
    const etcd = await startEtcd(t);
    await etcd.put(KEY, config('v1'));
    const dir = base(t);
    const proxies = await Promise.all([1, 2].map(() => serveCli(t, ['--config-from', etcd.url(KEY), '--config-base', dir])));
    for (const p of proxies) t.is((await request(p.url, '/v1')).status, 200, 'the value at start serves');

    const marks = proxies.map((p) => p.logs.entries.length);
    const putAt = performance.now();
    await etcd.put(KEY, config('v2'));
    const appliedMs = await Promise.all(proxies.map(async (p, i) => {
      await p.logs.next(reloaded, marks[i]);
      return performance.now() - putAt;
    }));
    t.log(`applied ${appliedMs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} after the put`);
    for (const ms of appliedMs) t.true(ms < 1000, `applied ${ms.toFixed(0)} ms after the put`);
    for (const p of proxies) {
      t.is((await request(p.url, '/v2')).status, 200);
      t.is((await request(p.url, '/v1')).status, 404);
    }

    // Invalid: JSON that stops short, then a schema error. Both rejected by both; /v2 keeps answering.
    for (const bad of ['{"proxy": ', JSON.stringify({ plugins: { scriptalias: { scriptAlias: [{ url: '/v3', path: 'app.js', bogus: 1 }] } } })]) {
      const before = proxies.map((p) => p.logs.entries.length);
      await etcd.put(KEY, bad);
      for (const [i, p] of proxies.entries()) {
        await p.logs.next(rejected, before[i]);
        const issues = p.logs.entries.slice(before[i]).filter((e) => e.code === 'SA_ERR_CONFIG_JSON' || e.code === 'SA_ERR_CONFIG_SCHEMA');
        t.true(issues.length > 0, 'the issue is logged with its code');
        t.false(p.logs.entries.slice(before[i]).some(reloaded), 'nothing applied');
        t.is((await request(p.url, '/v2')).status, 200, 'the old config keeps serving');
        t.is((await request(p.url, '/v3')).status, 404);
      }
    }
  });

  test('cluster: 2 from etcd: the primary reads the key once, both proxy processes serve a put within 1 s', async (t) => {
    const etcd = await startEtcd(t);
    const clustered = (name: string): string => JSON.stringify({ ...JSON.parse(config(name)), proxy: { port: 0, host: '127.0.0.1', cluster: 2 } });
    await etcd.put(KEY, clustered('v1'));
    const p = await serveCli(t, ['--config-from', etcd.url(KEY), '--config-base', base(t)]);
    t.is((await request(p.url, '/v1')).status, 200);
    const mark = p.logs.entries.length;
    const putAt = performance.now();
    await etcd.put(KEY, clustered('v2'));
    await p.logs.next((e) => e.msg === 'config reloaded (cluster)', mark);
    const ms = performance.now() - putAt;
    t.log(`applied in both proxies ${ms.toFixed(0)} ms after the put`);
    t.true(ms < 1000, `${ms.toFixed(0)} ms`);
    // Fresh connections are dealt to the proxies in turn: four requests reach both.
    for (let i = 0; i < 4; i++) {
      t.is((await request(p.url, '/v2')).status, 200);
      t.is((await request(p.url, '/v1')).status, 404);
    }
  });

  test('etcd stopped, a change made while the proxy cannot see it, etcd back: the watch resumes from the last revision and applies it (SA_WRN_SOURCE_LOST)', async (t) => {
    const etcd = await startEtcd(t);
    await etcd.put(KEY, config('v1'));
    const dir = base(t);
    const p = await serveCli(t, ['--config-from', etcd.url(KEY), '--config-base', dir]);
    await etcd.stop();
    const warning = await p.logs.next(lost);
    t.is(warning.code, 'SA_WRN_SOURCE_LOST');
    t.is((await request(p.url, '/v1')).status, 200, 'serves on while etcd is away');
    t.is(p.logs.entries.filter(lost).length, 1, 'one warning for the loss');

    // The change is written while the proxy cannot reach etcd: etcd runs on its data on another port.
    await etcd.start(await freePort());
    await etcd.put(KEY, config('v2'));
    await etcd.stop();
    const mark = p.logs.entries.length;
    await etcd.start();
    await p.logs.next(reloaded, mark, 20_000);
    t.is((await request(p.url, '/v2')).status, 200);
    t.is((await request(p.url, '/v1')).status, 404);
    t.is(p.logs.entries.filter(lost).length, 1, 'still one warning: reconnect attempts are not each logged');
  });

  test('etcd unreachable at start: serve exits 1 with one coded line (SA_ERR_SOURCE_UNAVAILABLE), within seconds', async (t) => {
    const port = await freePort();
    const startedAt = performance.now();
    const out = spawnSync(process.execPath, [cliPath, 'serve', '--config-from', `etcd://127.0.0.1:${port}/${KEY}`], { encoding: 'utf8', timeout: 20_000 });
    const tookMs = performance.now() - startedAt;
    t.log(`exited after ${tookMs.toFixed(0)} ms`);
    t.is(out.status, 1);
    const lines = out.stderr.trim().split('\n');
    t.is(lines.length, 1, out.stderr);
    t.regex(lines[0]!, /\[SA_ERR_SOURCE_UNAVAILABLE\]$/);
    // A refused connection fails at once; the bound leaves room for node's start on a loaded CI host.
    t.true(tookMs < 10_000, `took ${tookMs.toFixed(0)} ms`);
  });

  test('check --config-from validates the value: ok (exit 0), invalid (exit 2 with the issue), missing key (exit 1)', async (t) => {
    const etcd = await startEtcd(t);
    const dir = base(t);
    await etcd.put(KEY, config('v1'));
    const ok = spawnSync(process.execPath, [cliPath, 'check', '--config-from', etcd.url(KEY), '--config-base', dir], { encoding: 'utf8' });
    t.is(ok.status, 0, ok.stderr);
    t.is(ok.stdout, `ok: ${etcd.url(KEY)}\n`);
    await etcd.put(KEY, JSON.stringify({ plugins: { scriptalias: { scriptAlias: [{ url: '/x', path: 'app.js', processGroup: 'nope' }] } } }));
    const bad = spawnSync(process.execPath, [cliPath, 'check', '--config-from', etcd.url(KEY), '--config-base', dir], { encoding: 'utf8' });
    t.is(bad.status, 2);
    t.regex(bad.stderr, /\/plugins\/scriptalias\/scriptAlias\/0\/processGroup: .*\[SA_ERR_CONFIG_UNKNOWN_GROUP\]/);
    const missing = spawnSync(process.execPath, [cliPath, 'check', '--config-from', etcd.url('no/such/key')], { encoding: 'utf8' });
    t.is(missing.status, 1);
    t.regex(missing.stderr, /\[SA_ERR_SOURCE_UNAVAILABLE\]\n$/);
  });

  test('status and reload --config-from find the proxy through its state file; reload re-reads the key', async (t) => {
    const etcd = await startEtcd(t);
    const dir = base(t);
    const withSocket = (name: string): string => JSON.stringify({ ...JSON.parse(config(name)), plugins: { scriptalias: { statusSocket: 'admin.sock', scriptAlias: [{ url: `/${name}`, path: 'app.js' }] } } });
    await etcd.put(KEY, withSocket('v1'));
    const p = await serveCli(t, ['--config-from', etcd.url(KEY), '--config-base', dir, '--no-watch']);
    const status = spawnSync(process.execPath, [cliPath, 'status', '--config-from', etcd.url(KEY), '--json'], { encoding: 'utf8' });
    t.is(status.status, 0, status.stderr);
    t.is((JSON.parse(status.stdout) as { generation: number }).generation, 1);
    await etcd.put(KEY, withSocket('v2'));
    t.is((await request(p.url, '/v2')).status, 404, '--no-watch: not applied by itself');
    const reload = spawnSync(process.execPath, [cliPath, 'reload', '--config-from', etcd.url(KEY)], { encoding: 'utf8' });
    t.is(reload.status, 0, reload.stderr);
    t.regex(reload.stdout, /^reloaded: generation 2\n/);
    t.is((await request(p.url, '/v2')).status, 200);
  });

  test('--config-fallback: etcd unreachable at start serves the file and keeps retrying; once reached, its value applies', async (t) => {
    const port = await freePort();
    const dir = base(t);
    const fallback = path.join(dir, 'fallback.json');
    writeFileSync(fallback, config('fallback'));
    const p = await serveCli(t, ['--config-from', `etcd://127.0.0.1:${port}/${KEY}`, '--config-base', dir, '--config-fallback', fallback]);
    t.is((await request(p.url, '/fallback')).status, 200, 'the fallback file serves');
    t.truthy(p.logs.entries.find(lost), 'the unreachable source is a warning');
    const mark = p.logs.entries.length;
    const etcd = await startEtcd(t, { client: port });
    await etcd.put(KEY, config('v1'));
    await p.logs.next(reloaded, mark, 20_000);
    t.is((await request(p.url, '/v1')).status, 200);
    t.is((await request(p.url, '/fallback')).status, 404);
  });
}

test('a bad --config-from URL is a usage error (exit 2, SA_ERR_CLI_USAGE)', async (t) => {
  const child = spawn(process.execPath, [cliPath, 'serve', '--config-from', 'etcd://nohost/key'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const [code] = await once(child, 'exit');
  t.is(code, 2);
  t.regex(stderr.split('\n')[0]!, /\[SA_ERR_CLI_USAGE\]$/);
});

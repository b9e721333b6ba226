// `proxy.cluster: n` — the primary process. It validates the config once, owns every pool's
// arbiter (so each group's worker processes exist once, and preloads run once per worker), and
// forks n proxy processes through node:cluster that share the listening ports. A proxy that dies is
// replaced at once; a reload is validated and reconciled here, then every proxy swaps to it; status
// merges every proxy's view with the pools'. SIGKILL of the primary: proxies and workers notice
// their parent is gone and exit.
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig, ConfigText } from '../index.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import type { ReloadReport } from '../../src/runtime/runtime.js';
import { PoolHost, type ProxyChannel } from '../../src/cluster/pool-host.js';
import { isClusterMessage, type ConfigPayload, type PrimaryMessage, type ProxyMessage } from '../../src/cluster/messages.js';
import { mergeStatus, type ClusterStatus, type ProxyStatus } from '../../src/cluster/merge-status.js';
import { diffConfigs } from '../../src/config/diff.js';
import { ScriptAliasError, ConfigError, formatIssue, reviveError, serializeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { FileConfigFeed, type ConfigFeed } from '../config-feed/index.js';
import { claimStatusSocket } from '../status-endpoint.js';
import { startAdmin } from '../admin.js';
import type { MetricsServer, MetricJson } from '../../src/ops/metrics.js';
import { listenMetricsLazily } from '../metrics-lazy.js';
import { RuntimeEvents } from '../../src/runtime/events.js';

const PROXY_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proxy-main.js');
/** A proxy that dies this soon after it started counts as a failed start (back-off applies). */
const EARLY_DEATH_MS = 2_000;
const MAX_BACKOFF_MS = 10_000;
/** How long a proxy may take to answer a status request or to apply a config. */
const ANSWER_MS = 60_000;

export interface ClusterOptions {
  readonly log: Logger;
  readonly port?: number;
  readonly watch?: boolean;
  readonly logLevel: string;
  readonly logFormat: string;
}

export interface RunningCluster {
  readonly port: number;
  readonly url: string;
  readonly httpsPorts: readonly number[];
  /** The metrics listener's base URL, or null when metrics are off. */
  readonly metricsUrl: string | null;
  /** Every live proxy process's pid, by index. */
  proxyPids(): number[];
  /** The standby's pid once it is booted and holds the config (a proxy's death is then covered at once). */
  standbyPid(): number | null;
  status(): Promise<ClusterStatus>;
  reload(): Promise<ReloadReport>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

interface Proxy extends ProxyChannel {
  /** Its place (slot leases follow it); -1 for the standby until it is activated. */
  index: number;
  readonly worker: Worker;
  readonly startedAt: number;
  readonly listening: Promise<{ port: number; httpsPorts: readonly number[] }>;
  readonly answers: Map<number, (message: ProxyMessage) => void>;
  /** It said 'sa:hello': its message listener is on. Until then a message to it would be lost. */
  hello: boolean;
}

async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, host, resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The number of proxy processes `proxy.cluster` asks for. */
export function clusterSize(setting: number | 'auto'): number {
  return setting === 'auto' ? os.availableParallelism() : setting;
}

/** The feed's config, validated, with the text every proxy will get (what was validated is what they serve). */
async function readValidated(feed: ConfigFeed): Promise<{ config: ResolvedConfig; payload: ConfigPayload }> {
  const source = await feed.read();
  let payload: ConfigPayload;
  if (source instanceof ConfigText) {
    payload = { text: source.text, origin: path.resolve(source.origin) };
  } else if (typeof source === 'string') {
    const origin = path.resolve(source);
    try {
      payload = { text: await readFile(origin, 'utf8'), origin };
    } catch (err) {
      throw new ConfigError([{ file: origin, pointer: '', code: 'SA_ERR_CONFIG_READ', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
    }
  } else {
    payload = { text: JSON.stringify(source), origin: path.join(process.cwd(), '<inline>') };
  }
  return { config: await loadConfig(new ConfigText(payload.text, payload.origin)), payload };
}

/** Serves a config file or any other feed (etcd) with `proxy.cluster` proxy processes. */
export async function serveCluster(from: string | ConfigFeed, options: ClusterOptions): Promise<RunningCluster> {
  const feed: ConfigFeed = typeof from === 'string' ? new FileConfigFeed(from) : from;
  let config: ResolvedConfig;
  let payload: ConfigPayload;
  try {
    ({ config, payload } = await readValidated(feed));
  } catch (err) {
    await feed.close?.();
    throw err;
  }
  const size = clusterSize(config.proxy.cluster ?? 1);
  if (config.statusSocket) await claimStatusSocket(config.statusSocket);
  const metrics: MetricsServer | null = config.metrics ? await listenMetricsLazily(config.metrics) : null;
  try {
    return await runCluster(feed, config, payload, size, metrics, options);
  } catch (err) {
    await metrics?.close();
    await feed.close?.();
    throw err;
  }
}

async function runCluster(feed: ConfigFeed, initial: ResolvedConfig, initialPayload: ConfigPayload, size: number, metrics: MetricsServer | null, options: ClusterOptions): Promise<RunningCluster> {
  const { log } = options;
  let config = initial;
  let payload = initialPayload;
  /** Restarts and reloads, for the metrics the primary keeps. */
  const events = new RuntimeEvents();
  const pools = new PoolHost(log, events.hooks);
  await pools.reconcile(config, false);

  let generation = 1;
  let lastReload: ReloadReport | null = null;
  let nextId = 1;
  let stopping = false;
  // node:cluster shares one listening socket per address:port among the proxies it forks, so port 0
  // would be one socket for every cluster this process runs (tests do): pick free ports here.
  let port = options.port ?? config.proxy.port;
  if (port === 0) port = await freePort(config.proxy.host);
  const httpsPorts: number[] = [];
  for (const listener of config.proxy.ssl) httpsPorts.push(listener.port === 0 ? await freePort(listener.ip ?? config.proxy.host) : listener.port);
  const proxies = new Map<number, Proxy>();
  const earlyDeaths = new Map<number, number>();

  cluster.setupPrimary({ exec: PROXY_MAIN, args: [], silent: false });

  /** The next proxy, already booted and holding the config, waiting to take a dead one's place. */
  let standby: Proxy | null = null;
  let standbyReady = false;
  let standbyDeaths = 0;

  /** Forks proxy `index`, or the standby (index -1) when `index` is null. */
  const fork = (index: number | null): Proxy => {
    const worker = cluster.fork({
      SCRIPTALIAS_PROXY_INDEX: String(index ?? -1), SCRIPTALIAS_STANDBY: index === null ? '1' : '0', SCRIPTALIAS_CLUSTER_SIZE: String(size),
      SCRIPTALIAS_LOG_LEVEL: options.logLevel, SCRIPTALIAS_LOG_FORMAT: options.logFormat, SCRIPTALIAS_PORT: String(port),
      SCRIPTALIAS_HTTPS_PORTS: httpsPorts.join(','), SCRIPTALIAS_METRICS: metrics ? '1' : '0',
    });
    const answers = new Map<number, (message: ProxyMessage) => void>();
    let onListening!: (value: { port: number; httpsPorts: readonly number[] }) => void;
    let onFailed!: (err: Error) => void;
    const listening = new Promise<{ port: number; httpsPorts: readonly number[] }>((resolve, reject) => {
      onListening = resolve;
      onFailed = reject;
    });
    listening.catch(() => undefined);
    const proxy: Proxy = {
      id: worker.id, index: index ?? -1, worker, startedAt: Date.now(), listening, answers, hello: false,
      send: (message: PrimaryMessage) => {
        if (worker.isConnected()) worker.send(message);
      },
    };
    if (index === null) {
      standby = proxy;
      standbyReady = false;
    } else {
      proxies.set(index, proxy);
    }
    worker.on('message', (message: unknown) => {
      if (!isClusterMessage(message)) return;
      const m = message as ProxyMessage;
      if (pools.onMessage(proxy, m)) return;
      switch (m.t) {
        case 'sa:hello':
          proxy.hello = true;
          proxy.send({ t: 'sa:config', id: 0, config: payload });
          return;
        case 'sa:standing-by': if (standby === proxy) { standbyReady = true; standbyDeaths = 0; } return;
        case 'sa:listening': onListening({ port: m.port, httpsPorts: m.httpsPorts }); return;
        case 'sa:start-failed': onFailed(reviveError(m.error)); return;
        case 'sa:config-applied':
        case 'sa:metrics-result':
        case 'sa:status-result': {
          const answer = answers.get(m.id);
          answers.delete(m.id);
          answer?.(m);
          return;
        }
        default: return;
      }
    });
    // A send racing the proxy's death (EPIPE): its exit is what counts, handled below.
    worker.on('error', (err) => log.debug({ err, proxy: proxy.index }, 'proxy channel error'));
    worker.on('exit', (code, signal) => onProxyExit(proxy, code, (signal || null) as NodeJS.Signals | null, onFailed));
    return proxy;
  };

  const later = (deaths: number, run: () => void): void => {
    const delay = deaths > 0 ? Math.min(100 * 2 ** (deaths - 1), MAX_BACKOFF_MS) : 0;
    const timer = setTimeout(() => { if (!stopping) run(); }, delay);
    timer.unref();
  };

  function onProxyExit(proxy: Proxy, code: number | null, signal: NodeJS.Signals | null, onFailed: (err: Error) => void): void {
    pools.dropProxy(proxy.id);
    onFailed(new ScriptAliasError('SA_ERR_CLUSTER_PROXY_FAILED', `proxy process ${proxy.index} exited during start (code ${code}, signal ${signal})`));
    for (const answer of proxy.answers.values()) answer({ t: 'sa:start-failed', error: serializeError(new Error('proxy exited')) });
    const line = { code: 'SA_EVT_PROXY_EXIT', proxy: proxy.index, proxyPid: proxy.worker.process.pid, exitCode: code, signal };
    if (standby === proxy) {
      standby = null;
      if (stopping) return;
      log.warn(line, 'standby proxy process died; starting a new one');
      standbyDeaths++;
      later(standbyDeaths, () => fork(null));
      return;
    }
    if (proxies.get(proxy.index) === proxy) proxies.delete(proxy.index);
    if (stopping) { log.info(line, 'proxy process stopped'); return; }
    const next = standby;
    if (next && standbyReady) {
      // The standby takes the place at once; a new standby boots behind it.
      log.error({ ...line, replacement: next.worker.process.pid }, 'proxy process died; the standby takes its place');
      standby = null;
      next.index = proxy.index;
      proxies.set(proxy.index, next);
      next.send({ t: 'sa:activate', index: proxy.index });
      fork(null);
      return;
    }
    log.error(line, 'proxy process died; starting a new one');
    const early = Date.now() - proxy.startedAt < EARLY_DEATH_MS;
    const deaths = early ? (earlyDeaths.get(proxy.index) ?? 0) + 1 : 0;
    earlyDeaths.set(proxy.index, deaths);
    later(deaths, () => fork(proxy.index).listening.then(() => earlyDeaths.set(proxy.index, 0), () => undefined));
  }

  /** Ask one proxy and wait for its answer (null when it does not answer in time or is gone, and at
   *  once for one still booting: it would never hear the question, and its hello gets the config). */
  const ask = <T extends ProxyMessage>(proxy: Proxy, message: (id: number) => PrimaryMessage): Promise<T | null> => {
    if (!proxy.hello) return Promise.resolve(null);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { proxy.answers.delete(id); resolve(null); }, ANSWER_MS);
      timer.unref();
      proxy.answers.set(id, (m) => { clearTimeout(timer); resolve(m.t === 'sa:start-failed' ? null : m as T); });
      proxy.send(message(id));
    });
  };

  const stopProxies = async (now: boolean): Promise<void> => {
    stopping = true;
    const all = [...proxies.values(), ...(standby ? [standby] : [])];
    await Promise.all(all.map((p) => new Promise<void>((resolve) => {
      if (p.worker.isDead()) { resolve(); return; }
      p.worker.once('exit', () => resolve());
      // Still booting (no listener to hear 'sa:stop', nothing to drain): a signal stops it.
      if (!p.hello) { p.worker.process.kill('SIGTERM'); return; }
      p.send({ t: 'sa:stop', now });
      if (now) {
        const kill = setTimeout(() => p.worker.process.kill('SIGKILL'), 5_000);
        kill.unref();
      }
    })));
  };

  // Start: every proxy listening, or none.
  const first = [...Array(size).keys()].map((index) => fork(index));
  let bound: { port: number; httpsPorts: readonly number[] };
  try {
    const results = await Promise.all(first.map((p) => p.listening));
    bound = results[0]!;
  } catch (err) {
    await stopProxies(true);
    await pools.destroy();
    throw err;
  }
  // A proxy started later (one replaced after a crash) binds the port the first ones got.
  port = bound.port;
  fork(null);
  const host = config.proxy.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}`;


  let reloading: Promise<unknown> = Promise.resolve();
  const reloadNow = async (): Promise<ReloadReport> => {
    let next: Awaited<ReturnType<typeof readValidated>>;
    try {
      next = await readValidated(feed);
    } catch (err) {
      if (err instanceof ConfigError) for (const issue of err.issues) log.error({ code: issue.code, pointer: issue.pointer, file: issue.file }, formatIssue(issue));
      log.error({ code: 'SA_ERR_RELOAD_FAILED' }, 'new config rejected; the previous config keeps serving');
      lastReload = { applied: false, generation, needsRestart: [], error: serializeError(err) };
      events.emit('reload', { result: 'failed', generation });
      return lastReload;
    }
    const needsRestart = (['port', 'host', 'cluster'] as const)
      .filter((key) => next.config.proxy[key] !== config.proxy[key]).map((key) => `proxy.${key}`);
    let releaseOld: () => Promise<void>;
    try {
      releaseOld = await pools.reconcile(next.config, true);
    } catch (err) {
      log.error({ err, code: 'SA_ERR_RELOAD_FAILED' }, 'reload failed; the previous config keeps serving');
      lastReload = { applied: false, generation, needsRestart, error: serializeError(err) };
      events.emit('reload', { result: 'failed', generation });
      return lastReload;
    }
    const previous = config;
    ({ config, payload } = next);
    generation++;
    const reports = await Promise.all([...proxies.values()].map((p) => ask<Extract<ProxyMessage, { t: 'sa:config-applied' }>>(p, (id) => ({ t: 'sa:config', id, config: payload }))));
    standby?.send({ t: 'sa:config', id: 0, config: payload });
    void releaseOld().catch((err: unknown) => log.error({ err }, 'closing the previous pools failed'));
    const failed = reports.find((r) => r !== null && !r.report.applied);
    lastReload = failed
      ? { applied: false, generation, needsRestart, ...(failed.report.error ? { error: failed.report.error } : {}) }
      : { applied: true, generation, needsRestart, changes: diffConfigs(previous, config) };
    events.emit('reload', { result: lastReload.applied ? 'applied' : 'failed', generation });
    log.info({ generation, proxies: reports.length }, 'config reloaded (cluster)');
    return lastReload;
  };
  const reload = (): Promise<ReloadReport> => {
    const run = reloading.then(reloadNow);
    reloading = run.catch(() => undefined);
    return run;
  };

  const status = async (): Promise<ClusterStatus> => {
    const parts: ProxyStatus[] = await Promise.all([...proxies.values()].map(async (p) => {
      const answer = await ask<Extract<ProxyMessage, { t: 'sa:status-result' }>>(p, (id) => ({ t: 'sa:status', id }));
      return { index: p.index, pid: p.worker.process.pid ?? 0, status: answer?.status ?? null };
    }));
    return mergeStatus({ generation, configFile: config.file, lastReload }, pools.status(), parts.sort((a, b) => a.index - b.index));
  };

  const proxyMetrics = async (): Promise<readonly MetricJson[]> => {
    const answers = await Promise.all([...proxies.values()].map((p) => ask<Extract<ProxyMessage, { t: 'sa:metrics-result' }>>(p, (id) => ({ t: 'sa:metrics', id }))));
    return answers.flatMap((a) => (a ? [a.metrics] : []));
  };
  metrics?.attach({ events, status, proxyMetrics }, 'primary');
  const admin = await startAdmin({
    feed, statusSocket: config.statusSocket, metrics, watch: options.watch ?? true, log, status, reload,
    reopenLogs: () => { for (const p of proxies.values()) p.send({ t: 'sa:reopen-logs' }); },
  });
  // Logged last: once it says so, a config change is never missed (the watch is on).
  log.info({ url, proxies: size, config: feed.describe }, 'scriptalias listening (cluster)');

  return {
    port: bound.port, url, httpsPorts: bound.httpsPorts, metricsUrl: metrics?.url ?? null, status, reload,
    standbyPid: () => (standby && standbyReady ? standby.worker.process.pid ?? null : null),
    proxyPids: () => [...proxies.values()].sort((a, b) => a.index - b.index).map((p) => p.worker.process.pid ?? 0),
    async close() {
      await admin.stop();
      await stopProxies(false);
      await pools.close();
    },
    async destroy() {
      await admin.stop();
      await stopProxies(true);
      await pools.destroy();
    },
  };
}

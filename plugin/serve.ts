// `scriptalias serve`: builds redbird from a config feed (a proxy.json, or an etcd key), attaches the
// plugin, then listens; wires the feed's watch and SIGHUP to reload. Process groups are warm before
// the port opens.
import http, { type Server } from 'node:http';
import { Redbird } from 'redbird';
import { scriptAlias, loadConfig, type ScriptAliasHandle, type ConfigText, type ConfigSource, type ResolvedConfig } from './index.js';
import type { RemotePoolMaker } from '../src/runtime/executor-factory.js';
import { FileConfigFeed, type ConfigFeed } from './config-feed/index.js';
import { feedReloader } from './config-feed/reloader.js';
import { claimStatusSocket } from './status-endpoint.js';
import { startAdmin, type Admin } from './admin.js';
import type { MetricsServer } from '../src/ops/metrics.js';
import { listenMetricsLazily } from './metrics-lazy.js';
import { deferredTlsServers, listenNow, type RedbirdCertificates } from './tls-listeners.js';
import type { Logger } from '../src/log.js';
import { ScriptAliasError } from '../src/errors.js';

export interface ServeOptions {
  readonly log: Logger;
  /** Overrides proxy.port (0 = any free port). */
  readonly port?: number;
  /** Reload when the config (file or etcd key) changes (default true). */
  readonly watch?: boolean;
  /** Overrides the HTTPS listeners' ports, in proxy.ssl order (a cluster primary picks them). */
  readonly httpsPorts?: readonly number[];
  /** The feed's config as the caller already read and validated it (the CLI, deciding between one
   *  process and a cluster): served as it is, so what decided is what runs, and not read twice. */
  readonly initial?: { readonly source: ConfigSource; readonly config: ResolvedConfig };
  /** Cluster mode: this process is one of a primary's proxies (plugin/cluster/). It serves the config
   *  text the primary validated, dispatches named groups to the primary's pools, and leaves the
   *  status socket, metrics, state file, config watching and signals to the primary. */
  readonly clusterProxy?: {
    readonly config: ConfigText;
    readonly remotePool: RemotePoolMaker;
    /** Awaited with everything built, right before the listeners open (a standby waits here). */
    readonly beforeListen?: () => Promise<void>;
  };
}

export interface RunningProxy {
  readonly port: number;
  readonly url: string;
  /** The HTTPS listeners' ports (proxy.ssl order) and base URLs; empty without proxy.ssl. */
  readonly httpsPorts: readonly number[];
  readonly httpsUrls: readonly string[];
  /** The metrics listener's base URL (http://host:port), or null when metrics are off. */
  readonly metricsUrl: string | null;
  readonly plugin: ScriptAliasHandle;
  readonly redbird: Redbird;
  /** Re-read the config from its feed and apply it (what SIGHUP and changes do). */
  reload(): Promise<void>;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * redbird calls listen() inside its constructor, before the plugin could attach (and it maps port 0
 * to 8080). This server module hands redbird servers whose listen() waits until we call it.
 */
function deferredListen(): { module: typeof http; servers: Server[] } {
  const servers: Server[] = [];
  const module = {
    ...http,
    createServer: (...args: Parameters<typeof http.createServer>) => {
      const server = http.createServer(...args);
      server.listen = (() => server) as Server['listen'];
      servers.push(server);
      return server;
    },
  } as typeof http;
  return { module, servers };
}

/** listenNow, with a failure said in one line that names the address (a busy port, say). */
async function listenOrFail(server: Parameters<typeof listenNow>[0], port: number, host: string): Promise<number> {
  try {
    return await listenNow(server, port, host);
  } catch (err) {
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such local address' : (err as Error).message;
    throw new ScriptAliasError('SA_ERR_LISTEN_FAILED', `cannot listen on ${address}: ${why}`, { cause: err, details: { address } });
  }
}

/** Serves a config file (watched, ConfigMap swaps included) or any other feed (etcd). */
export async function serve(from: string | ConfigFeed, options: ServeOptions): Promise<RunningProxy> {
  const proxyOfCluster = options.clusterProxy !== undefined;
  const feed: ConfigFeed = typeof from === 'string' ? new FileConfigFeed(from) : from;
  // What the feed holds now (a path or text), loaded once here; the plugin keeps it as its source.
  // A cluster's proxy process serves the text its primary validated instead.
  let source: Awaited<ReturnType<ConfigFeed['read']>>;
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    if (options.initial && !options.clusterProxy) {
      ({ source, config } = options.initial);
    } else {
      source = options.clusterProxy?.config ?? await feed.read();
      config = await loadConfig(source);
    }
  } catch (err) {
    await feed.close?.();
    throw err;
  }
  // Before anything else starts: a live status socket (another proxy) or an unbindable metrics
  // address fails now, with one coded line.
  if (config.statusSocket && !proxyOfCluster) await claimStatusSocket(config.statusSocket);
  const metrics: MetricsServer | null = config.metrics && !proxyOfCluster ? await listenMetricsLazily(config.metrics) : null;
  try {
    return await serveWith(feed, source, config, options, metrics);
  } catch (err) {
    await metrics?.close();
    await feed.close?.();
    throw err;
  }
}

async function serveWith(feed: ConfigFeed, source: Awaited<ReturnType<ConfigFeed['read']>>, config: Awaited<ReturnType<typeof loadConfig>>, options: ServeOptions, metrics: MetricsServer | null): Promise<RunningProxy> {
  const { log } = options;
  const proxyOfCluster = options.clusterProxy !== undefined;
  const port = options.port ?? config.proxy.port;
  const host = config.proxy.host;
  const deferred = deferredListen();
  let plugin: ScriptAliasHandle | null = null;
  let redbird: Redbird | null = null;
  const tlsServers = deferredTlsServers(() => plugin?.config ?? null, () => redbird as unknown as RedbirdCertificates | null);
  const ssl = config.proxy.ssl.map((listener) => ({
    ...listener.options,
    port: listener.port, ip: listener.ip ?? host, key: listener.key, cert: listener.cert,
    ...(listener.ca.length > 0 ? { ca: [...listener.ca] } : {}),
    serverModule: tlsServers.moduleFor(listener.options.http2 === true),
  }));
  redbird = new Redbird({
    ...config.proxy.redbird,
    ...(ssl.length > 0 ? { ssl } : {}),
    port: port === 0 ? 8080 : port,
    host,
    serverModule: deferred.module,
    // redbird logs every unrouted request at warn: keep its errors only, and nothing when we are silent.
    logger: { name: 'redbird', level: log.level === 'silent' ? 'silent' : 'error' },
  } as unknown as ConstructorParameters<typeof Redbird>[0]);
  const proxy = redbird;
  let attached: ScriptAliasHandle;
  try {
    attached = await scriptAlias(proxy, source, {
      log, servers: [...deferred.servers, ...tlsServers.servers], loaded: config,
      ...(options.clusterProxy ? { remotePool: options.clusterProxy.remotePool } : {}),
    });
  } catch (err) {
    await proxy.close().catch(() => undefined);
    throw err;
  }
  plugin = attached;
  metrics?.attach(attached);
  const server = deferred.servers[0];
  if (!server) throw new Error('redbird created no HTTP server');
  await options.clusterProxy?.beforeListen?.();
  // Every listener opens only now that the plugin is ready (warm groups, routes registered).
  let actualPort: number;
  let httpsPorts: number[];
  try {
    actualPort = await listenOrFail(server, port, host);
    httpsPorts = [];
    for (const [index, tlsServer] of tlsServers.servers.entries()) {
      const listener = config.proxy.ssl[index]!;
      httpsPorts.push(await listenOrFail(tlsServer, options.httpsPorts?.[index] ?? listener.port, listener.ip ?? host));
    }
  } catch (err) {
    await attached.destroy();
    for (const tlsServer of tlsServers.servers) tlsServer.close();
    await proxy.close().catch(() => undefined);
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${actualPort}`;
  const httpsUrls = httpsPorts.map((p, i) => {
    const ip = config.proxy.ssl[i]!.ip ?? host;
    return `https://${ip.includes(':') ? `[${ip}]` : ip}:${p}`;
  });

  // Every reload (watch, SIGHUP, status socket) reads the feed anew, one at a time, latest wins.
  const reloadFromFeed = feedReloader(feed, () => attached, log);
  const reload = async (): Promise<void> => {
    await reloadFromFeed();
  };
  // A cluster's proxy process leaves the operators' side to its primary.
  const admin: Admin = proxyOfCluster ? { stop: async () => { await feed.close?.(); } } : await startAdmin({
    feed, statusSocket: config.statusSocket, metrics, watch: options.watch ?? true, log,
    status: () => attached.status(), reload: reloadFromFeed, reopenLogs: () => attached.reopenLogs(),
  });
  // Logged last: once it says so, a config change is never missed (the watch is on).
  log[proxyOfCluster ? 'debug' : 'info']({ url, ...(httpsUrls.length > 0 ? { https: httpsUrls } : {}), config: feed.describe }, 'scriptalias listening');

  const closeTls = (): void => {
    for (const tlsServer of tlsServers.servers) (tlsServer as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  };
  // close() and destroy() may both run (a second signal during a graceful stop): redbird closes once.
  let redbirdClosed: Promise<void> | null = null;
  // redbird closes only the last HTTPS server it made: the other proxy.ssl listeners are closed here.
  const closeRedbird = (): Promise<void> => (redbirdClosed ??= Promise.all([proxy.close(),
    ...tlsServers.servers.map((tlsServer) => (tlsServer.listening ? new Promise<void>((resolve) => tlsServer.close(() => resolve())) : undefined))])
    .then(() => undefined));
  return {
    port: actualPort, url, httpsPorts, httpsUrls, metricsUrl: metrics?.url ?? null, plugin: attached, redbird: proxy, reload,
    async close() {
      await admin.stop();
      await attached.close();
      await closeRedbird();
    },
    async destroy() {
      await admin.stop();
      await attached.destroy();
      server.closeAllConnections();
      closeTls();
      await closeRedbird();
    },
  };
}

// Public API: scriptAlias(redbird, config) → { reload, status, close, destroy }.
// Reads like a table of contents; the engine lives in src/.
import type { Redbird } from 'redbird';
import type { Server } from 'node:net';
import path from 'node:path';
import { loadConfigFile, loadConfigText, resolveConfigObject } from '../src/config/index.js';
import { ScriptAliasRuntime, type Claim, type ReloadReport, type RuntimeStatus } from '../src/runtime/runtime.js';
import type { ResolvedConfig } from '../src/config/types.js';
import type { RuntimeEvents } from '../src/runtime/events.js';
import type { RemotePoolMaker } from '../src/runtime/executor-factory.js';
import { attachToRedbird, registerRoutes, redbirdServers } from './redbird-adapter.js';
import { readTimeoutGuard } from './read-timeout.js';
import { silentLogger, type Logger } from '../src/log.js';
import { serializeError, ConfigError, formatIssue } from '../src/errors.js';
import { AccessLog } from '../src/ops/access-log.js';
import { trackRequest } from '../src/ops/request-record.js';
import type { ProxyConfig } from '../src/config/schema-types.js';

export { ScriptAliasError, ConfigError, isScriptAliasError, formatIssue, ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE } from '../src/errors.js';
export type { ErrorCode, ConfigIssue, SerializedError } from '../src/errors.js';
export type { ResolvedConfig } from '../src/config/types.js';
export type { ReloadReport, RuntimeStatus } from '../src/runtime/runtime.js';
export type { RuntimeEvents, RequestEvent } from '../src/runtime/events.js';
// The config as written (generated from schema/ by scripts/schema-types.js) and what a script sees.
export type {
  ProxyConfig, ScriptAliasConfig, ProcessGroupConfig, VirtualHostConfig, TlsListenerConfig,
  ScriptAliasEntry, ScriptAliasDirective, StaticAlias, ScriptDirectory,
} from '../src/config/schema-types.js';
/** What `req.scriptAlias` holds in a script (WSGI-like facts: SCRIPT_NAME, PATH_INFO, groups, scheme…). */
export type { ScriptAliasFacts as ScriptAliasInfo } from '../src/script/request-shape.js';

/**
 * A config as text with a name for where it came from (an etcd key, a cluster primary's copy): checked
 * like a file (duplicate keys and syntax errors get line:column); relative paths resolve against
 * `path.dirname(origin)`, so an origin of `/etc/scriptalias/etcd` anchors them in /etc/scriptalias.
 */
export class ConfigText {
  constructor(readonly text: string, readonly origin: string) {}
}

/** A config: the path of a proxy.json file, its parsed content (paths relative to `baseDir`), or text. */
export type ConfigSource = string | ProxyConfig | ConfigText;

export interface ScriptAliasOptions {
  /** pino logger; default: silent. */
  readonly log?: Logger;
  /** Folder relative paths of an object config resolve against; default: the process's cwd. */
  readonly baseDir?: string;
  /** Environment for %{ENV:NAME}; default: process.env at load time. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Register the config's plain `routes` with redbird too (default true). */
  readonly registerRoutes?: boolean;
  /** Further servers redbird made beside the two it keeps (serve's HTTPS servers, one per proxy.ssl
   *  entry): the plugin serves them too and puts them under requestReadTimeout. */
  readonly servers?: readonly Server[];
  /** Cluster mode only (serve's proxy processes): named groups dispatch to the primary's pools. */
  readonly remotePool?: RemotePoolMaker;
  /** `source` as loadConfig already gave it (serve loads it once for its own settings): used as it
   *  is rather than read and validated again. */
  readonly loaded?: ResolvedConfig;
}

export interface ScriptAliasHandle {
  /** Validate and apply a new config (default: the same source again). Never half-applies; an invalid
   *  config is reported (applied: false) and the current one keeps serving. */
  reload(source?: ConfigSource): Promise<ReloadReport>;
  /** Per group and per process: state, pid, in-flight, served, queue, restarts, RSS. */
  status(): RuntimeStatus;
  /** The config being served. */
  readonly config: ResolvedConfig;
  /** Requests, restarts, queue waits and reloads as they happen (what metrics count). */
  readonly events: RuntimeEvents;
  /** Graceful: stop taking requests, finish in-flight ones, stop every worker. */
  close(): Promise<void>;
  /** Now: cut in-flight requests and kill every worker. */
  destroy(): Promise<void>;
  /** Reopen the access log file by its name (after logrotate moved it; `serve` does it on SIGUSR1). */
  reopenLogs(): void;
}

/** Loads a config source through the one validation pipeline (throws ConfigError with every issue). */
export function loadConfig(source: ConfigSource, options: ScriptAliasOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ? { env: options.env } : {};
  if (typeof source === 'string') return loadConfigFile(path.resolve(source), env);
  if (source instanceof ConfigText) return loadConfigText(source.text, path.resolve(source.origin), env);
  return resolveConfigObject(source, path.join(path.resolve(options.baseDir ?? process.cwd()), '<inline>'), env);
}

/** Attaches the plugin to a running Redbird instance: script aliases, static files, then redbird's routes. */
export async function scriptAlias(redbird: Redbird, source: ConfigSource, options: ScriptAliasOptions = {}): Promise<ScriptAliasHandle> {
  const log = options.log ?? silentLogger();
  const withRoutes = options.registerRoutes ?? true;
  let current = source;
  const config = options.loaded ?? await loadConfig(source, options);
  const runtime = await ScriptAliasRuntime.create(config, { log, ...(options.remotePool ? { remotePool: options.remotePool } : {}) });
  let accessLog = AccessLog.create(config.accessLog, log);
  // Slow clients are cut on every listener; connections accepted before this call are not watched.
  const guard = readTimeoutGuard(() => runtime.config.requestReadTimeout, log);
  // redbird's servers: the plugin's own first listener tells the guard (no second listener per server).
  for (const server of redbirdServers(redbird)) guard.watch(server, false);
  // serve's listeners are attached below too: the same first listener tells the guard.
  for (const server of options.servers ?? []) guard.watch(server, false);
  const detach = attachToRedbird(redbird, (req, res, claimed?: Claim) => runtime.handle(req, res, claimed), (req, res) => {
    guard.onRequest(req, res);
    // One record per request for the access log and the metrics' 'request' event; none when both are off.
    if (accessLog !== null || runtime.events.listenerCount('request') > 0) trackRequest(req, res, accessLog, runtime.events);
  }, (method, url, host) => runtime.claim(method, url, host), options.servers);
  let unregister = withRoutes ? await registerRoutes(redbird, config.routes) : () => undefined;
  let attached = true;
  /** Hands redbird's servers and routes back, once: close() and destroy() may both run. */
  const letGo = (): void => {
    if (!attached) return;
    attached = false;
    detach();
    guard.stop();
    unregister();
  };
  const closeAccessLog = async (): Promise<void> => {
    const last = accessLog;
    accessLog = null;
    await last?.close();
  };

  return {
    async reload(next = current) {
      let resolved: ResolvedConfig;
      try {
        resolved = await loadConfig(next, options);
      } catch (err) {
        runtime.recordReloadFailure(err);
        if (err instanceof ConfigError) {
          for (const issue of err.issues) log.error({ code: issue.code, pointer: issue.pointer, file: issue.file }, formatIssue(issue));
        }
        log.error({ code: 'SA_ERR_RELOAD_FAILED' }, 'new config rejected; the previous config keeps serving');
        return { applied: false, generation: runtime.status().generation, needsRestart: [], error: serializeError(err) };
      }
      const previousRoutes = runtime.config.routes;
      const report = await runtime.reload(resolved);
      if (report.applied) {
        current = next;
        if (!(accessLog?.sameAs(resolved.accessLog) ?? resolved.accessLog === null)) {
          // New requests go to the new log; the old one closes (lines of requests still running are dropped).
          const old = accessLog;
          accessLog = AccessLog.create(resolved.accessLog, log);
          void old?.close();
        }
        if (withRoutes && JSON.stringify(previousRoutes) !== JSON.stringify(resolved.routes)) {
          unregister();
          unregister = await registerRoutes(redbird, resolved.routes);
        }
      }
      return report;
    },
    status: () => runtime.status(),
    events: runtime.events,
    get config() { return runtime.config; },
    async close() {
      letGo();
      await runtime.close();
      await closeAccessLog();
    },
    async destroy() {
      letGo();
      await runtime.destroy();
      await closeAccessLog();
    },
    reopenLogs: () => accessLog?.reopen(),
  };
}

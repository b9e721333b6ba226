// Entry of a cluster's proxy process (forked by primary.ts through node:cluster, so its listeners
// share the primary's ports). It waits for the config the primary validated, serves it with its own
// inline and isolate executors and a dispatcher per named group, and does what the primary says:
// swap to a new config, report status, reopen logs, stop. When the primary is gone it stops too.
// A standby (SCRIPTALIAS_STANDBY=1) builds everything (redbird, plugin, executors, its subscriptions
// to the pools) and waits before its listeners open: when a proxy dies the primary activates it, so
// the dead one's place is taken in the time a listen takes, not a Node boot.
import { serve, type RunningProxy } from '../serve.js';
import { ConfigText } from '../index.js';
import { makeLogger } from '../logger.js';
import { PrimaryLink, createRemotePool } from '../../src/cluster/remote-pool.js';
import { isClusterMessage, type PrimaryMessage, type ProxyMessage } from '../../src/cluster/messages.js';
import { serializeError } from '../../src/errors.js';
import { ScriptAliasMetrics } from '../../src/ops/metrics.js';
import { tuneProxyHeapGrowth } from '../heap-growth.js';

const env = process.env;
const count = Number(env.SCRIPTALIAS_CLUSTER_SIZE ?? 1);
let standby = env.SCRIPTALIAS_STANDBY === '1';
const baseLog = makeLogger(env.SCRIPTALIAS_LOG_LEVEL ?? 'info', env.SCRIPTALIAS_LOG_FORMAT ?? 'json');
let log = baseLog.child({ proxy: Number(env.SCRIPTALIAS_PROXY_INDEX ?? 0) });
process.title = standby ? 'scriptalias:standby' : 'scriptalias:proxy';
tuneProxyHeapGrowth();
const port = env.SCRIPTALIAS_PORT === undefined ? undefined : Number(env.SCRIPTALIAS_PORT);
const httpsPorts = env.SCRIPTALIAS_HTTPS_PORTS ? env.SCRIPTALIAS_HTTPS_PORTS.split(',').map(Number) : undefined;
/** The primary has a metrics listener (decided at its start, as in one process): only then does this
 *  proxy count its requests, which costs every request a record and a histogram observation. */
const countsMetrics = env.SCRIPTALIAS_METRICS === '1';

const tell = (message: ProxyMessage): void => {
  if (process.connected) process.send?.(message);
};
const link = new PrimaryLink(Number(env.SCRIPTALIAS_PROXY_INDEX ?? 0), count, tell);
let running: RunningProxy | null = null;
/** The requests this proxy answered, for the primary's scrape (the primary keeps the pools' metrics). */
let metrics: ScriptAliasMetrics | null = null;
/** The config to serve; a standby keeps the latest one until it is activated. */
let latest: { origin: string; text: string } | null = null;
let stopping: Promise<void> | null = null;
/** Resolves with the place a standby takes. */
let activate: (index: number) => void = () => undefined;
const activation = new Promise<number>((resolve) => { activate = resolve; });
/** Config swaps run one at a time, in the order the primary sent them. */
let swaps: Promise<unknown> = Promise.resolve();

/** A standby, with everything built: says so, and waits for its place. */
async function standBy(): Promise<void> {
  tell({ t: 'sa:standing-by' });
  const index = await activation;
  standby = false;
  link.setIndex(index);
  log = baseLog.child({ proxy: index });
  process.title = 'scriptalias:proxy';
}

async function start(file: string, text: string): Promise<void> {
  try {
    running = await serve(file, {
      log, watch: false, ...(port === undefined ? {} : { port }), ...(httpsPorts ? { httpsPorts } : {}),
      clusterProxy: {
        config: new ConfigText(text, file),
        remotePool: (planned, poolLog, hooks) => createRemotePool({ planned, link, log: poolLog, ...(hooks ? { hooks } : {}) }),
        ...(standby ? { beforeListen: standBy } : {}),
      },
    });
  } catch (err) {
    tell({ t: 'sa:start-failed', error: serializeError(err) });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  if (countsMetrics) metrics = new ScriptAliasMetrics(running.plugin, 'proxy');
  tell({ t: 'sa:listening', port: running.port, httpsPorts: running.httpsPorts });
  // A standby built with the config of its birth; the primary may have reloaded since.
  if (latest && latest.text !== text) await running.plugin.reload(new ConfigText(latest.text, latest.origin));
}

function stop(now: boolean): Promise<void> {
  stopping ??= (async () => {
    if (running) await (now ? running.destroy() : running.close()).catch((err: unknown) => log.error({ err }, 'stopping failed'));
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (message: unknown) => {
  if (!isClusterMessage(message)) return;
  const m = message as PrimaryMessage;
  if (link.onMessage(m)) return;
  switch (m.t) {
    case 'sa:config': {
      const { id, config } = m;
      const first = latest === null;
      latest = config;
      // A standby builds with its first config and picks up any later one when it is activated.
      if (first) swaps = swaps.then(() => start(config.origin, config.text));
      else if (!standby) {
        swaps = swaps.then(async () => {
          const report = await running!.plugin.reload(new ConfigText(config.text, config.origin));
          tell({ t: 'sa:config-applied', id, report });
        });
      }
      return;
    }
    case 'sa:activate':
      activate(m.index);
      return;
    case 'sa:status':
      // Still starting (an activated standby opening its listeners): nothing to count yet.
      tell({ t: 'sa:status-result', id: m.id, status: running?.plugin.status() ?? { generation: 0, configFile: latest?.origin ?? '', lastReload: null, executors: {} } });
      return;
    case 'sa:metrics':
      void (metrics?.json() ?? Promise.resolve([])).then((json) => tell({ t: 'sa:metrics-result', id: m.id, metrics: json }));
      return;
    case 'sa:reopen-logs':
      running?.plugin.reopenLogs();
      return;
    case 'sa:stop':
      void stop(m.now);
      return;
    default:
      return;
  }
});
tell({ t: 'sa:hello' });
// The primary is gone (killed, say): nothing will ever send requests' pools or configs again.
process.on('disconnect', () => void stop(true));
// A signal to the whole process group (Ctrl-C) reaches proxies too: stop gracefully, as the primary does.
process.on('SIGINT', () => void stop(false));
process.on('SIGTERM', () => void stop(false));

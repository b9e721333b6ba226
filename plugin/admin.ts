// How operators reach a running proxy, the same for one process and for a cluster's primary: the
// status socket (GET /status, POST /reload), the state file `status`/`reload` find it by (so they
// work while the config on disk is broken), the config feed's watch, SIGHUP (reload) and SIGUSR1
// (reopen the access log, logrotate's postrotate). stop() undoes all of it, once.
import type { ConfigFeed, FeedWatch } from './config-feed/index.js';
import type { MetricsServer } from '../src/ops/metrics.js';
import type { Logger } from '../src/log.js';
import { startStatusEndpoint } from './status-endpoint.js';
import { writeState, removeState } from './state-file.js';

export interface AdminOptions {
  readonly feed: ConfigFeed;
  readonly statusSocket: string | null;
  /** Already listening; logged here, recorded in the state file, closed by stop(). */
  readonly metrics: MetricsServer | null;
  /** Reload when the feed changes. */
  readonly watch: boolean;
  readonly log: Logger;
  status(): unknown;
  reload(): Promise<unknown>;
  reopenLogs(): void;
}

export interface Admin {
  /** Idempotent: close() and destroy() may both run (a second signal during a graceful stop). */
  stop(): Promise<void>;
}

export async function startAdmin(options: AdminOptions): Promise<Admin> {
  const { feed, metrics, log } = options;
  const statusEndpoint = options.statusSocket ? await startStatusEndpoint(options.statusSocket, options.status, options.reload) : null;
  if (metrics) log.info({ metrics: `${metrics.url}/metrics` }, 'metrics listening');
  const configFile = feed.stateKey;
  writeState({ configFile, pid: process.pid, statusSocket: options.statusSocket, metrics: metrics?.url ?? null, startedAt: new Date().toISOString() });
  const watcher: FeedWatch | null = options.watch ? await feed.watch(() => void options.reload()) : null;
  const onHangup = (): void => void options.reload();
  const onReopen = (): void => options.reopenLogs();
  process.on('SIGHUP', onHangup);
  process.on('SIGUSR1', onReopen);
  let stopped: Promise<void> | null = null;
  return {
    stop: () => (stopped ??= (async () => {
      process.removeListener('SIGHUP', onHangup);
      process.removeListener('SIGUSR1', onReopen);
      await watcher?.close();
      await feed.close?.();
      await statusEndpoint?.close();
      await metrics?.close();
      removeState(configFile);
    })()),
  };
}

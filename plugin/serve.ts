// `scriptalias serve`: builds redbird from a proxy.json, attaches the plugin, then listens; wires
// config-file watching and SIGHUP to reload. Process groups are warm before the port opens.
import http, { type Server } from 'node:http';
import { once } from 'node:events';
import { Redbird } from 'redbird';
import { scriptAlias, loadConfig, type ScriptAliasHandle } from './index.js';
import { watchConfigFile, type ConfigWatcher } from './watch.js';
import { startStatusEndpoint } from './status-endpoint.js';
import type { Logger } from '../src/log.js';

export interface ServeOptions {
  readonly log: Logger;
  /** Overrides proxy.port (0 = any free port). */
  readonly port?: number;
  /** Reload when the config file changes (default true). */
  readonly watch?: boolean;
}

export interface RunningProxy {
  readonly port: number;
  readonly url: string;
  readonly plugin: ScriptAliasHandle;
  readonly redbird: Redbird;
  /** Re-read the config file and apply it (what SIGHUP and file changes do). */
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

export async function serve(file: string, options: ServeOptions): Promise<RunningProxy> {
  const { log } = options;
  const config = await loadConfig(file);
  const port = options.port ?? config.proxy.port;
  const host = config.proxy.host;
  const deferred = deferredListen();
  const redbird = new Redbird({
    ...config.proxy.redbird,
    port: port === 0 ? 8080 : port,
    host,
    serverModule: deferred.module,
    // redbird logs every unrouted request at warn: keep its errors only, and nothing when we are silent.
    logger: { name: 'redbird', level: log.level === 'silent' ? 'silent' : 'error' },
  } as unknown as ConstructorParameters<typeof Redbird>[0]);
  let plugin: ScriptAliasHandle;
  try {
    plugin = await scriptAlias(redbird, file, { log });
  } catch (err) {
    await redbird.close().catch(() => undefined);
    throw err;
  }
  const server = deferred.servers[0];
  if (!server) throw new Error('redbird created no HTTP server');
  try {
    const realListen = http.Server.prototype.listen as (this: Server, port: number, host: string) => Server;
    realListen.call(server, port, host);
    await once(server, 'listening');
  } catch (err) {
    await plugin.destroy();
    await redbird.close().catch(() => undefined);
    throw err;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  log.info({ url, config: file }, 'scriptalias listening');

  const reload = async (): Promise<void> => {
    await plugin.reload(file);
  };
  const statusEndpoint = config.statusSocket ? await startStatusEndpoint(config.statusSocket, () => plugin.status(), () => plugin.reload(file)) : null;
  let watcher: ConfigWatcher | null = null;
  if (options.watch ?? true) watcher = await watchConfigFile(file, () => void reload());
  const onHangup = (): void => void reload();
  process.on('SIGHUP', onHangup);

  const stopWatching = async (): Promise<void> => {
    process.removeListener('SIGHUP', onHangup);
    await watcher?.close();
    await statusEndpoint?.close();
  };
  return {
    port: actualPort, url, plugin, redbird, reload,
    async close() {
      await stopWatching();
      await plugin.close();
      await redbird.close();
    },
    async destroy() {
      await stopWatching();
      await plugin.destroy();
      server.closeAllConnections();
      await redbird.close();
    },
  };
}

#!/usr/bin/env node
// `scriptalias serve|check|status`: argv parsing (node:util parseArgs), exit codes, printing every
// ConfigIssue. Exit 0 = ok, 2 = invalid config or usage, 1 = could not start (e.g. port in use),
// 3 = `reload` applied a change that needs a restart. A usage error is one line plus the usage.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { serve, type RunningProxy } from './serve.js';
import { serveCluster } from './cluster/primary.js';
import { loadConfig } from './index.js';
import { ConfigError, formatIssue, formatWarning, isScriptAliasError } from '../src/errors.js';
import { createLogger, type Logger } from '../src/log.js';
import { makeLogger } from './logger.js';
import type { ReloadReport } from '../src/runtime/runtime.js';
import type { ChangeSet } from '../src/config/diff.js';
import { readState } from './state-file.js';
import { checkStatusSocketDir } from './status-endpoint.js';
import { formatStatus } from './status-table.js';
import type { RuntimeStatus } from '../src/runtime/runtime.js';
import { importApacheCommand } from './import-command.js';
import { openConfigFeed, FileConfigFeed, type ConfigFeed } from './config-feed/index.js';
import { tuneProxyHeapGrowth } from './heap-growth.js';

const USAGE = `Usage:
  scriptalias serve <proxy.json> [--port N] [--no-watch] [--log-level LEVEL] [--log-format pretty|json]
      start redbird with the plugin; reloads on config change and on SIGHUP, reopens the access
      log file on SIGUSR1; logs are pretty on a terminal and JSON otherwise
  scriptalias serve --config-from etcd://HOST:PORT[,HOST:PORT]/KEY [--config-base DIR] [--config-fallback FILE] […]
      the config is the value of an etcd key, watched: every change is validated and applied, an
      invalid one is logged and the current config keeps serving; relative paths in it resolve
      against DIR (default: the current folder); unreachable at start: exit 1, or with
      --config-fallback serve FILE and keep retrying etcd (its value applies once reached)
  scriptalias check <proxy.json> [--strict]
  scriptalias check --config-from etcd://HOST:PORT/KEY [--config-base DIR] [--strict]
      validate the config; exit 0 (warnings printed), or print every problem and exit 2;
      --strict: exit 2 on any warning too (a missing script file, say)
  scriptalias status <proxy.json> | --config-from URL [--json]
      print a table of a running proxy's groups and processes (needs plugins.scriptalias.statusSocket);
      --json: the status as JSON. Works while the config file on disk is invalid
  scriptalias reload <proxy.json> | --config-from URL
      make a running proxy re-read its config now (needs statusSocket; SIGHUP does the same);
      prints what changed; exit 3 when a change takes effect only after a restart
  scriptalias import-apache <httpd.conf|site.conf> [-o proxy.json] [--strict]
      translate an Apache + mod_wsgi configuration (Include, Define, <VirtualHost>, WSGI*) into a
      proxy.json that check accepts; every line left out or read differently is reported on
      stderr with file:line and why; exit 2 (nothing written) when Apache would reject the
      file, or with --strict when anything was left out
  scriptalias --help | --version
`;

function version(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function printConfigError(err: unknown): number {
  if (err instanceof ConfigError) {
    for (const issue of err.issues) process.stderr.write(formatIssue(issue) + '\n');
    process.stderr.write(`${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found\n`);
    return 2;
  }
  const code = isScriptAliasError(err) ? err.code : (err as NodeJS.ErrnoException).code;
  process.stderr.write(`scriptalias: ${err instanceof Error ? err.message : String(err)}${code ? ` [${code}]` : ''}\n`);
  return 1;
}

async function check(from: string | ConfigFeed, strict: boolean): Promise<number> {
  try {
    const config = await loadConfig(typeof from === 'string' ? from : await from.read());
    for (const warning of config.warnings) process.stderr.write(formatWarning(warning) + '\n');
    if (config.statusSocket) checkStatusSocketDir(config.statusSocket);
    if (strict && config.warnings.length > 0) {
      process.stderr.write(`${config.warnings.length} warning${config.warnings.length === 1 ? '' : 's'} (--strict)\n`);
      return 2;
    }
    process.stdout.write(`ok: ${typeof from === 'string' ? config.file : from.describe}\n`);
    return 0;
  } catch (err) {
    // A config problem found past the schema (the status socket's folder) is still exit 2.
    if (isScriptAliasError(err) && err.code === 'SA_ERR_CONFIG_STATUS_SOCKET_DIR') return printConfigError(err) && 2;
    return printConfigError(err);
  } finally {
    if (typeof from !== 'string') await from.close?.();
  }
}

/** The running proxy's status socket: from what its serve recorded at start, else from the config. */
async function findSocket(file: string): Promise<string | number> {
  const recorded = readState(file);
  if (recorded?.statusSocket) return recorded.statusSocket;
  if (file.startsWith('etcd://')) {
    process.stderr.write(`scriptalias: no running proxy with a status socket recorded for ${file} [SA_ERR_OPS_STATUS_UNREACHABLE]\n`);
    return 1;
  }
  let socketPath: string | null;
  try {
    socketPath = (await loadConfig(file)).statusSocket;
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`scriptalias: no running proxy recorded for ${path.resolve(file)}, and its config is invalid: [SA_ERR_OPS_STATUS_UNREACHABLE]\n`);
    return printConfigError(err);
  }
  if (!socketPath) {
    process.stderr.write('scriptalias: status and reload need plugins.scriptalias.statusSocket in the config\n');
    return 2;
  }
  return socketPath;
}

async function admin(file: string, method: 'GET' | 'POST', route: string, show: (body: string) => string = (body) => body): Promise<number> {
  const socketPath = await findSocket(file);
  if (typeof socketPath === 'number') return socketPath;
  return new Promise((resolve) => {
    http.request({ socketPath, path: route, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (route === '/reload') {
          try {
            resolve(printReload(JSON.parse(body) as ReloadReport));
          } catch {
            process.stderr.write(`scriptalias: the proxy answered what is not a reload report: ${body.slice(0, 200)}\n`);
            resolve(1);
          }
          return;
        }
        try {
          process.stdout.write(res.statusCode === 200 ? show(body) : body);
        } catch {
          process.stdout.write(body);
        }
        resolve(res.statusCode === 200 ? 0 : 1);
      });
    }).on('error', (err) => {
      process.stderr.write(`scriptalias: no proxy answers on ${socketPath}: ${err.message} [SA_ERR_OPS_STATUS_UNREACHABLE]\n`);
      resolve(1);
    }).end();
  });
}

/** A reload's outcome for people: what changed; exit 0, 1 (rejected) or 3 (needs a restart). */
function printReload(report: ReloadReport): number {
  if (!report.applied) {
    const error = report.error;
    process.stderr.write(`scriptalias: reload rejected, the previous config keeps serving: ${error?.message ?? 'unknown error'}${error?.code ? ` [${error.code}]` : ''}\n`);
    return 1;
  }
  const lines: string[] = [];
  const list = (what: string, set: ChangeSet | undefined): void => {
    if (!set) return;
    for (const [verb, names] of [['added', set.added], ['removed', set.removed], ['changed', set.changed]] as const) {
      if (names.length > 0) lines.push(`  ${what} ${verb}: ${names.join(', ')}`);
    }
  };
  list('groups', report.changes?.groups);
  list('aliases', report.changes?.aliases);
  process.stdout.write(`reloaded: generation ${report.generation}${lines.length === 0 ? ', no group or alias changed' : ''}\n${lines.map((l) => l + '\n').join('')}`);
  if (report.needsRestart.length > 0) {
    process.stdout.write(`needs a restart to take effect: ${report.needsRestart.join(', ')} [SA_ERR_RELOAD_NEEDS_RESTART]\n`);
    return 3;
  }
  return 0;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const FORMATS = ['pretty', 'json'];


async function serveUntilSignal(from: string | ConfigFeed, port: number | undefined, watch: boolean, log: Logger, level: string, format: string): Promise<number> {
  let running: Pick<RunningProxy, 'close' | 'destroy'>;
  try {
    const options = { log, watch, ...(port === undefined ? {} : { port }) };
    const feed = typeof from === 'string' ? new FileConfigFeed(from) : from;
    const source = await feed.read();
    const config = await loadConfig(source);
    if (config.proxy.cluster !== null) {
      // proxy.cluster: this process becomes the primary of n proxy processes (plugin/cluster/); it
      // reads and validates the text it hands them, and each proxy tunes its own heap (proxy-main).
      running = await serveCluster(feed, { ...options, logLevel: level, logFormat: format });
    } else {
      // One process serves the very config that decided it (not a second read, which a file swapped
      // meanwhile could change), and answers the requests itself.
      tuneProxyHeapGrowth();
      running = await serve(feed, { ...options, initial: { source, config } });
    }
  } catch (err) {
    return printConfigError(err);
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: stop now.
        void running.destroy().finally(() => resolve(0));
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      void running.close().then(() => resolve(0), (err: unknown) => {
        log.error({ err }, 'graceful stop failed');
        void running.destroy().finally(() => resolve(1));
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        port: { type: 'string', short: 'p' },
        'no-watch': { type: 'boolean' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        strict: { type: 'boolean' },
        json: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        'config-from': { type: 'string' },
        'config-base': { type: 'string' },
        'config-fallback': { type: 'string' },
      },
    });
  } catch (err) {
    // node's message runs on with advice about '--'; its first sentence is the one line.
    return usageError(String((err as Error).message).split(/(?<=\.) /)[0]!.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(USAGE); return 0; }
  if (values.version) { process.stdout.write(version() + '\n'); return 0; }
  const [command, positionalFile, ...rest] = positionals;
  if (!command) return usageError('a command is needed');
  if (!['serve', 'check', 'status', 'reload', 'import-apache'].includes(command)) return usageError(`unknown command '${command}'`);
  const from = values['config-from'];
  if (from !== undefined && command === 'import-apache') return usageError('import-apache takes a file, not --config-from');
  if (from !== undefined && positionalFile !== undefined) return usageError(`give the config file or --config-from, not both`);
  if (from === undefined && (values['config-base'] !== undefined || values['config-fallback'] !== undefined)) return usageError(`--config-base and --config-fallback go with --config-from`);
  if (values['config-fallback'] !== undefined && command !== 'serve') return usageError('--config-fallback is for serve');
  const file = positionalFile ?? from;
  if (!file) return usageError(`${command} needs the config file: scriptalias ${command} <proxy.json>`);
  if (rest.length > 0) return usageError(`unexpected argument '${rest[0]}'`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (values.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) return usageError(`--port must be 0-65535, not '${values.port}'`);
  }
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.includes(level)) return usageError(`--log-level must be one of ${LEVELS.join(', ')}, not '${level}'`);
  const format = values['log-format'] ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (!FORMATS.includes(format)) return usageError(`--log-format must be pretty or json, not '${format}'`);
  const log = makeLogger(level, format);
  let feed: ConfigFeed | null = null;
  if (from !== undefined && (command === 'serve' || command === 'check')) {
    const opened = await openConfigFeed(from, {
      log,
      ...(values['config-base'] === undefined ? {} : { baseDir: values['config-base'] }),
      ...(values['config-fallback'] === undefined ? {} : { fallbackFile: values['config-fallback'] }),
    });
    if (typeof opened === 'string') return usageError(opened);
    feed = opened;
  }
  switch (command) {
    case 'check': return check(feed ?? file, values.strict === true);
    case 'import-apache': return importApacheCommand(file, values.output, values.strict === true);
    case 'status': return admin(file, 'GET', '/status', values.json ? undefined : (body) => formatStatus(JSON.parse(body) as RuntimeStatus));
    case 'reload': return admin(file, 'POST', '/reload');
    default: return serveUntilSignal(feed ?? file, port, !values['no-watch'], log, level, format);
  }
}

/** One line saying what is wrong, then the usage; exit 2 (never a stack). */
function usageError(message: string): number {
  process.stderr.write(`scriptalias: ${message} [SA_ERR_CLI_USAGE]\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`scriptalias: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

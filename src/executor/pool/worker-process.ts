// A handle on one worker process, as the arbiter holds it: spawn (Node fork or CPython with a Node IPC
// channel), init + ready handshake (preloads run before ready), application-group sockets, graceful
// shutdown with a SIGKILL deadline. It knows nothing of requests, slots or connections (a dispatcher's
// job, possibly in another proxy process): a worker is reachable by its socket paths alone.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ResolvedProcessGroup, Runtime } from '../../config/types.js';
import type { PreloadEntry, SupervisorMessage, WorkerMessage, ReadyMessage } from '../../protocol/messages.js';
import { assertNever } from '../../protocol/messages.js';
import { ScriptAliasError, reviveError } from '../../errors.js';
import { logWorkerMessage, type Logger } from '../../log.js';
import { GLOBAL_GROUP } from '../../constants.js';

export type ProcessState = 'starting' | 'ready' | 'draining' | 'stopped';

export interface SpawnOptions {
  readonly settings: ResolvedProcessGroup;
  readonly runtime: Runtime;
  readonly preload: readonly PreloadEntry[];
  readonly socketDir: string;
  readonly slot: number;
  readonly log: Logger;
  readonly workerEntry: { readonly node: string; readonly python: string };
  readonly onExit: (worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null) => void;
  /** A new application group's socket (created on a dispatcher's demand). */
  readonly onAppGroup?: (worker: WorkerProcess, applicationGroup: string, socketPath: string) => void;
}

/** How long a process may take to start and run its preloads before it counts as failed. */
const STARTUP_LIMIT_MS = 60_000;

export class WorkerProcess {
  readonly slot: number;
  readonly runtime: Runtime;
  readonly startedAt = Date.now();
  readonly ready: Promise<void>;
  #state: ProcessState = 'starting';
  #socketPath = '';
  readonly #appGroups = new Map<string, string>();
  readonly #pending = new Map<number, { resolve: (socket: string) => void; reject: (err: Error) => void }>();
  #nextId = 1;
  readonly #child: ChildProcess;
  readonly #log: Logger;
  readonly #exited: Promise<void>;
  readonly #onAppGroup: SpawnOptions['onAppGroup'];

  constructor(options: SpawnOptions) {
    this.slot = options.slot;
    this.runtime = options.runtime;
    this.#onAppGroup = options.onAppGroup;
    const { settings } = options;
    const { identity } = settings;
    // user=: HOME/USER/LOGNAME name that user, as mod_wsgi sets them; the group's env may still override.
    const env: NodeJS.ProcessEnv = { ...process.env, ...(identity && { HOME: identity.home, USER: identity.user, LOGNAME: identity.user }), ...settings.env };
    const cwd = settings.home ?? process.cwd();
    const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
    // libuv's child does setgroups(0) (supplementary groups cleared), setgid, setuid before exec:
    // nothing of the worker, let alone a script, ever runs with the proxy's identity.
    const ids = identity ? { uid: identity.uid, gid: identity.gid } : {};
    if (options.runtime === 'node') {
      this.#child = fork(options.workerEntry.node, [], { cwd, env, stdio, serialization: 'json', execArgv: [], ...ids });
    } else {
      if (settings.pythonHome) env.PYTHONHOME = settings.pythonHome;
      env.PYTHONUNBUFFERED = '1';
      this.#child = spawn(settings.python, [options.workerEntry.python], { cwd, env, stdio, serialization: 'json', ...ids });
    }
    // workerPid, not pid: pino writes the proxy's own pid as `pid` on every line (one key, one meaning).
    this.#log = options.log.child({ workerPid: this.#child.pid, slot: this.slot });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.#log.info({ stream: stream === this.#child.stdout ? 'stdout' : 'stderr' }, line));
    }
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    let startupTimer: NodeJS.Timeout | undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#child.on('message', (message: WorkerMessage) => this.#onMessage(message, resolve));
      this.#child.once('error', (err) => reject(new ScriptAliasError('SA_ERR_WORKER_START_FAILED', 'cannot start worker', { cause: err })));
      this.#child.once('exit', (code, signal) => {
        if (this.#state === 'starting') reject(new ScriptAliasError('SA_ERR_WORKER_START_FAILED', `worker exited during start (code ${code}, signal ${signal})`));
      });
      startupTimer = setTimeout(() => {
        reject(new ScriptAliasError('SA_ERR_WORKER_START_FAILED', 'worker did not become ready in time'));
        this.kill();
      }, STARTUP_LIMIT_MS);
      startupTimer.unref();
    });
    this.ready.then(() => clearTimeout(startupTimer), () => clearTimeout(startupTimer));
    this.#child.once('exit', (code, signal) => {
      this.#state = 'stopped';
      for (const pending of this.#pending.values()) pending.reject(new ScriptAliasError('SA_ERR_SCRIPT_CRASHED', 'worker exited'));
      this.#pending.clear();
      options.onExit(this, code, signal);
    });
    this.#log.info({ code: 'SA_EVT_WORKER_SPAWN', runtime: options.runtime }, 'worker spawned');
    this.#send({
      type: 'init', processGroup: settings.name, slot: this.slot, socketDir: options.socketDir, threads: settings.threads,
      preload: options.preload, displayName: settings.displayName, pythonPath: settings.pythonPath,
    });
  }

  get state(): ProcessState {
    return this.#state;
  }

  /** Takes no new requests from now on (it is being replaced or stopped). */
  markDraining(): void {
    if (this.#state !== 'stopped') this.#state = 'draining';
  }

  /** The global application group's socket ('' until ready). */
  get socketPath(): string {
    return this.#socketPath;
  }

  /** Application groups other than %{GLOBAL} known so far, with their sockets. */
  appGroupSockets(): Record<string, string> {
    return Object.fromEntries(this.#appGroups);
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  get appGroups(): string[] {
    return [GLOBAL_GROUP, ...this.#appGroups.keys()];
  }

  /** The socket of an application group in this process: at once when known, else it is created. */
  socketFor(applicationGroup: string): string | Promise<string> {
    if (applicationGroup === GLOBAL_GROUP) return this.#socketPath;
    const known = this.#appGroups.get(applicationGroup);
    if (known) return known;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#send({ type: 'ensure-app-group', id, applicationGroup });
    });
  }

  rssBytes(): number | null {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : null;
    } catch {
      return null;
    }
  }

  /** Graceful: the worker finishes in-flight requests (≤ gracefulMs) and exits; SIGKILL after killAfterMs more. */
  async shutdown(gracefulMs: number, killAfterMs: number): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'draining';
    this.#send({ type: 'shutdown', gracefulMs });
    const timer = setTimeout(() => this.kill(), gracefulMs + killAfterMs);
    timer.unref();
    await this.#exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  exited(): Promise<void> {
    return this.#exited;
  }

  #send(message: SupervisorMessage): void {
    if (this.#child.connected) this.#child.send(message);
  }

  #onMessage(message: WorkerMessage, onReady: () => void): void {
    switch (message.type) {
      case 'ready':
        this.#onReady(message);
        onReady();
        return;
      case 'app-group-ready':
        this.#appGroups.set(message.applicationGroup, message.socketPath);
        this.#onAppGroup?.(this, message.applicationGroup, message.socketPath);
        this.#pending.get(message.id)?.resolve(message.socketPath);
        this.#pending.delete(message.id);
        return;
      case 'app-group-failed':
        this.#pending.get(message.id)?.reject(reviveError(message.error));
        this.#pending.delete(message.id);
        return;
      case 'log': {
        logWorkerMessage(this.#log, message);
        return;
      }
      default:
        assertNever(message);
    }
  }

  #onReady(message: ReadyMessage): void {
    this.#socketPath = message.socketPath;
    for (const [group, socket] of Object.entries(message.appGroups)) this.#appGroups.set(group, socket);
    for (const result of message.preloads) {
      if (!result.ok) this.#log.warn({ code: 'SA_WRN_PRELOAD_FAILED', script: result.script, appGroup: result.applicationGroup, error: result.error }, 'preload failed');
    }
    if (this.#state === 'starting') this.#state = 'ready';
    this.#log.info({ code: 'SA_EVT_WORKER_READY' }, 'worker ready');
  }
}

// One worker thread per application group, created on first use: the isolates of the proxy's global
// process group and the non-%{GLOBAL} application groups inside a worker process. Each is reached
// over its own Unix socket (link 'socket': a worker process's groups, which the proxy connects to) or
// over a MessagePort (link 'port': the proxy's own isolates, no kernel on the body path); a thread
// that dies, or is retired (past a deadline), is created again on the next request.
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { PreloadEntry, PreloadResult, LogMessage, ThreadControlMessage, ThreadMessage } from '../protocol/messages.js';
import { assertNever } from '../protocol/messages.js';
import { ScriptAliasError } from '../errors.js';

const threadEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'thread-main.js');

export interface ThreadRealm {
  readonly applicationGroup: string;
  /** Link 'socket': the Unix socket the thread listens on; null on a 'port' link. */
  readonly socketPath: string | null;
  /** Link 'port': this side of the thread's mux channel (serve it with portTransport); null on a 'socket' link. */
  readonly port: MessagePort | null;
  readonly threadId: number;
  /** Results of the preloads the thread ran before it became ready. */
  readonly preloads: readonly PreloadResult[];
}

export interface ThreadRealms {
  /** The realm of `applicationGroup`, ready to take requests; starts it (with `preload`) if needed. */
  ensure(applicationGroup: string, preload?: readonly PreloadEntry[]): Promise<ThreadRealm>;
  /** The realm if it is up now (the hot path), else undefined. */
  ready(applicationGroup: string): ThreadRealm | undefined;
  groups(): string[];
  /**
   * Terminates `realm`'s thread now (it may be stuck in a CPU loop) and forgets it, so the next
   * request to its application group starts a fresh thread. No-op when it was replaced already.
   */
  retire(realm: ThreadRealm): Promise<void>;
  /**
   * How `realm`'s thread ended: 'memory' when it died of its heap limit (ERR_WORKER_OUT_OF_MEMORY),
   * 'other' when it ended otherwise, 'unknown' when it still runs after `waitMs`.
   */
  fate(realm: ThreadRealm, waitMs: number): Promise<ThreadFate>;
  close(gracefulMs: number): Promise<void>;
  destroy(): Promise<void>;
}

export type ThreadFate = 'memory' | 'other' | 'unknown';

export interface ThreadRealmsOptions {
  readonly socketDir: string;
  readonly onLog: (message: LogMessage) => void;
  /** MiB of V8 old-generation heap per thread (worker resourceLimits); 0 or absent = V8's default. */
  readonly memoryLimitMb?: number;
  /** Told when a thread ends (its socket is dead from then on). */
  readonly onExit?: (realm: ThreadRealm, fate: ThreadFate) => void;
  /** How the thread is reached: its own Unix socket (default) or a MessagePort. */
  readonly link?: 'socket' | 'port';
}

interface Entry {
  readonly worker: Worker;
  /** Settles when the thread has ended; 'memory' when its heap limit killed it. */
  readonly ended: Promise<ThreadFate>;
  readonly started: Promise<ThreadRealm>;
  realm: ThreadRealm | null;
  retired: boolean;
}

export function createThreadRealms(options: ThreadRealmsOptions): ThreadRealms {
  const entries = new Map<string, Entry>();
  // A realm outlives its entry (a request may still hold it): its end is looked up here.
  const endOf = new WeakMap<ThreadRealm, Promise<ThreadFate>>();
  const resourceLimits = options.memoryLimitMb ? { maxOldGenerationSizeMb: options.memoryLimitMb } : undefined;
  let closing = false;
  let seq = 0;

  const start = (applicationGroup: string, preload: readonly PreloadEntry[]): Entry => {
    // Socket names from a hash: group names are arbitrary text and sun_path is short.
    const name = createHash('sha1').update(applicationGroup).digest('hex').slice(0, 12);
    // A fresh path per thread: a terminated thread's libuv unlinks its socket path as it closes, which
    // must not remove the socket of the thread that replaces it.
    const channel = options.link === 'port' ? new MessageChannel() : null;
    const socketPath = channel ? null : path.join(options.socketDir, `t-${process.pid}-${name}-${++seq}.sock`);
    const link = channel ? { port: channel.port2 } : { socketPath };
    const worker = new Worker(threadEntry, {
      workerData: { ...link, applicationGroup, preload }, ...(channel && { transferList: [channel.port2] }), ...(resourceLimits && { resourceLimits }),
    });
    worker.unref();
    let outOfMemory = false;
    const ended = new Promise<ThreadFate>((resolve) => worker.once('exit', () => resolve(outOfMemory ? 'memory' : 'other')));
    const started = new Promise<ThreadRealm>((resolve, reject) => {
      worker.on('message', (message: ThreadMessage) => {
        switch (message.type) {
          case 'ready': {
            const realm = { applicationGroup, socketPath, port: channel?.port1 ?? null, threadId: worker.threadId, preloads: message.preloads };
            entry.realm = realm;
            endOf.set(realm, ended);
            resolve(realm);
            return;
          }
          case 'log':
            options.onLog(message);
            return;
          default:
            assertNever(message);
        }
      });
      worker.once('error', (err) => {
        if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          outOfMemory = true;
          // Not a failure of ours to log here: the owner hears of it through onExit (and logs it).
          reject(new ScriptAliasError('SA_ERR_POOL_UNAVAILABLE', `thread for application group ${applicationGroup} ran out of memory`, { cause: err }));
          return;
        }
        options.onLog({ type: 'log', level: 'error', code: 'SA_ERR_WORKER_START_FAILED', msg: 'application group thread failed', appGroup: applicationGroup, err: err.stack ?? String(err) });
        reject(new ScriptAliasError('SA_ERR_WORKER_START_FAILED', `thread for application group ${applicationGroup} failed`, { cause: err }));
      });
      worker.once('exit', (code) => {
        channel?.port1.close(); // its peer went with the thread
        if (entries.get(applicationGroup) === entry) entries.delete(applicationGroup);
        if (entry.realm) options.onExit?.(entry.realm, outOfMemory ? 'memory' : 'other');
        if (!closing && !entry.retired && !outOfMemory && code !== 0) options.onLog({ type: 'log', level: 'error', code: 'SA_ERR_SCRIPT_CRASHED', msg: `application group thread exited with ${code}`, appGroup: applicationGroup });
        reject(new ScriptAliasError('SA_ERR_WORKER_START_FAILED', `thread for application group ${applicationGroup} exited`));
      });
    });
    started.catch(() => undefined);
    const entry: Entry = { worker, ended, started, realm: null, retired: false };
    entries.set(applicationGroup, entry);
    return entry;
  };

  return {
    ensure(applicationGroup, preload = []) {
      if (closing) return Promise.reject(new ScriptAliasError('SA_ERR_POOL_UNAVAILABLE', 'shutting down'));
      return (entries.get(applicationGroup) ?? start(applicationGroup, preload)).started;
    },
    ready(applicationGroup) {
      return entries.get(applicationGroup)?.realm ?? undefined;
    },
    groups: () => [...entries.keys()],
    async retire(realm) {
      const entry = entries.get(realm.applicationGroup);
      if (!entry || entry.realm !== realm) return;
      entry.retired = true;
      entries.delete(realm.applicationGroup);
      await entry.worker.terminate();
      if (realm.socketPath) rmSync(realm.socketPath, { force: true });
    },
    async fate(realm, waitMs) {
      const ended = endOf.get(realm);
      if (!ended) return 'unknown';
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<ThreadFate>((resolve) => { timer = setTimeout(() => resolve('unknown'), waitMs); timer.unref(); });
      const fate = await Promise.race([ended, late]);
      clearTimeout(timer);
      return fate;
    },
    async close(gracefulMs) {
      closing = true;
      await Promise.all([...entries.values()].map(async (entry) => {
        const exited = new Promise((resolve) => entry.worker.once('exit', resolve));
        const shutdown: ThreadControlMessage = { type: 'shutdown', gracefulMs };
        entry.worker.postMessage(shutdown);
        const force = setTimeout(() => void entry.worker.terminate(), gracefulMs + 1000);
        force.unref();
        await exited;
        clearTimeout(force);
      }));
      entries.clear();
    },
    async destroy() {
      closing = true;
      await Promise.all([...entries.values()].map((entry) => entry.worker.terminate()));
      entries.clear();
    },
  };
}

// %{GLOBAL} process group + any other application group: one worker thread per application group
// inside the proxy process (DESIGN §5, row 2), created on first use or at start for preloads.
// Requests reach a thread through the HTTP bridge over a mux session on a MessagePort (no socket: a
// body is copied once per hop, bench/README.md), bodies streamed both ways with per-stream credit.
// Past requestTimeout a request gets 504 and its thread is terminated (it may spin in a CPU loop) and
// replaced on the next request; the thread's other in-flight requests get 502 as its streams close.
// A thread killed by its heap limit (defaults.memoryLimit) is replaced the same way; its in-flight
// requests get 503 (SA_ERR_POOL_UNAVAILABLE): the isolate was overloaded, the script did not crash.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Executor, ExecutorStatus } from './executor.js';
import { ManagedExecutor } from './lifecycle.js';
import { waitUntil } from './wait-until.js';

/** How long a closing isolate pool waits for its in-flight requests (mod_wsgi's graceful-timeout default). */
const GRACEFUL_MS = 15_000;
import type { ScriptJob } from '../protocol/job.js';
import type { PreloadEntry, LogMessage } from '../protocol/messages.js';
import { logWorkerMessage, type Logger } from '../log.js';
import { createThreadRealms, type ThreadRealm } from '../worker/thread-realms.js';
import { forwardRequest } from '../protocol/http-bridge.js';
import { MuxPool } from '../protocol/connection-pool.js';
import { portTransport } from '../protocol/mux-transport.js';
import { sendError } from '../http-error.js';
import { isScriptAliasError } from '../errors.js';
import { GLOBAL_GROUP } from '../constants.js';
import type { ExecutorHooks, RestartReason } from './events.js';

export interface IsolatePoolOptions {
  readonly log: Logger;
  readonly socketDir: string;
  readonly preload: readonly PreloadEntry[];
  /** Deadline per request in ms; 0 = none. */
  readonly requestTimeoutMs?: number;
  /** MiB of V8 old-generation heap per thread; 0 or absent = V8's default. */
  readonly memoryLimitMb?: number;
  /** Told of restarts (metrics). */
  readonly hooks?: ExecutorHooks;
}

/** How long a request whose thread connection broke waits to learn whether the heap limit killed it. */
const FATE_WAIT_MS = 2_000;

export function createIsolatePool(options: IsolatePoolOptions): Executor {
  const { log } = options;
  const pools = new Map<ThreadRealm, MuxPool>();
  let inFlight = 0;
  /** Requests waiting for their application group's thread to start. */
  let starting = 0;
  let served = 0;
  let restarts = 0;
  const restartsByReason: Partial<Record<RestartReason, number>> = {};
  const realms = createThreadRealms({
    socketDir: options.socketDir, onLog: (m) => logWorkerMessage(log, m), memoryLimitMb: options.memoryLimitMb ?? 0, link: 'port',
    onExit: (realm, fate) => {
      // Its connections are dead: the next request gets a fresh thread and a fresh pool.
      pools.get(realm)?.destroy();
      pools.delete(realm);
      if (fate !== 'memory') return;
      restarts++;
      restartsByReason.memory = (restartsByReason.memory ?? 0) + 1;
      options.hooks?.restart(GLOBAL_GROUP, 'memory');
      log.warn({ code: 'SA_EVT_WORKER_RECYCLE', appGroup: realm.applicationGroup, threadId: realm.threadId, reason: 'memory', memoryLimitMb: options.memoryLimitMb },
        'application group thread ran out of memory (memoryLimit); replaced on the next request');
    },
  });
  // Kept for the thread that replaces a retired or dead one: it preloads as the first one did.
  const preloadsOf = new Map<string, PreloadEntry[]>();
  for (const entry of options.preload) preloadsOf.set(entry.applicationGroup, [...(preloadsOf.get(entry.applicationGroup) ?? []), entry]);

  const poolFor = (realm: ThreadRealm): MuxPool => {
    let pool = pools.get(realm);
    if (!pool) {
      // One channel per thread: its session is the only one (a closed one means the thread is gone).
      const port = realm.port!;
      pool = new MuxPool(`thread ${realm.threadId}`, { connect: () => portTransport(port, { unref: true }) });
      pools.set(realm, pool);
    }
    return pool;
  };
  const forward = (realm: ThreadRealm, job: ScriptJob, req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    const lost = async (): Promise<'SA_ERR_SCRIPT_CRASHED' | 'SA_ERR_POOL_UNAVAILABLE'> =>
      (await realms.fate(realm, FATE_WAIT_MS)) === 'memory' ? 'SA_ERR_POOL_UNAVAILABLE' : 'SA_ERR_SCRIPT_CRASHED';
    forwardRequest(req, res, job, { pool: poolFor(realm) }, { timeoutMs: options.requestTimeoutMs ?? 0, log, ...(options.memoryLimitMb ? { lost } : {}) }, (outcome) => {
      inFlight--;
      served++;
      if (outcome === 'timeout') retire(realm, job.reqId);
    });
  };
  const retire = (realm: ThreadRealm, reqId: string): void => {
    if (realms.ready(realm.applicationGroup) !== realm) return; // replaced already (an earlier timeout)
    restarts++;
    restartsByReason.timeout = (restartsByReason.timeout ?? 0) + 1;
    log.info({ code: 'SA_EVT_WORKER_RECYCLE', appGroup: realm.applicationGroup, threadId: realm.threadId, reason: 'requestTimeout', reqId },
      'terminating application group thread');
    realms.retire(realm).catch((err: unknown) => log.warn({ err, appGroup: realm.applicationGroup }, 'terminating a thread failed'));
    // Closing its connections now answers the thread's other in-flight requests (502) at once.
    pools.get(realm)?.destroy();
    pools.delete(realm);
  };

  return new ManagedExecutor(() => ({
    async start() {
      await Promise.all([...preloadsOf].map(([group, entries]) => realms.ensure(group, entries)));
    },
    dispatch(job, req, res) {
      const realm = realms.ready(job.applicationGroup);
      if (realm) {
        forward(realm, job, req, res);
        return;
      }
      // Waiting for its thread counts as in flight: a graceful close meanwhile must not stop that thread.
      starting++;
      realms.ensure(job.applicationGroup, preloadsOf.get(job.applicationGroup)).then((ready) => {
        starting--;
        forward(ready, job, req, res);
      }, (err: unknown) => {
        starting--;
        log.error({ err, code: 'SA_ERR_WORKER_START_FAILED', appGroup: job.applicationGroup }, 'application group thread unavailable');
        sendError(res, isScriptAliasError(err) && err.code === 'SA_ERR_POOL_UNAVAILABLE' ? 'SA_ERR_POOL_UNAVAILABLE' : 'SA_ERR_SCRIPT_CRASHED', job.reqId);
      });
    },
    status(state): ExecutorStatus {
      return {
        kind: 'isolate', processGroup: GLOBAL_GROUP, runtime: 'node', state, inFlight, queued: 0, served, restarts,
        restartsByReason: { ...restartsByReason },
        processes: [{ pid: process.pid, slot: 0, state: state === 'ready' ? 'ready' : 'starting', inFlight, served,
          rssBytes: process.memoryUsage.rss(), appGroups: realms.groups() }],
      };
    },
    async drain() {
      // The answers on this side first: a request already sent may not have reached its thread yet.
      await waitUntil(() => inFlight === 0 && starting === 0, GRACEFUL_MS);
      await realms.close(GRACEFUL_MS);
      for (const pool of pools.values()) pool.destroy();
    },
    async stop() {
      await realms.destroy();
      for (const pool of pools.values()) pool.destroy();
    },
  }));
}

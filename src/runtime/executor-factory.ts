// Makes the executor a PlannedExecutor describes. The only module that knows every executor kind's
// constructor; the registry and generations stay independent of them.
import { chmod, chown, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import type { Executor } from '../executor/executor.js';
import type { PlannedExecutor } from './plan.js';
import { createInlineExecutor } from '../executor/inline.js';
import { createIsolatePool } from '../executor/isolate-pool.js';
import { createProcessGroup } from '../executor/process-group.js';
import { ScriptAliasError } from '../errors.js';
import type { UnixIdentity } from '../config/unix-identity.js';
import type { ExecutorHooks } from '../executor/events.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Worker entry points: the compiled Node worker and the Python worker shipped as source. */
export const WORKER_ENTRY = {
  node: path.resolve(here, '..', 'worker', 'process-main.js'),
  python: path.resolve(here, '..', '..', '..', 'src', 'worker', 'python', 'launch.py'),
} as const;

export interface FactoryContext {
  readonly log: Logger;
  /** A private (0700) folder; each executor gets its own sub-folder for sockets. */
  readonly socketRoot: string;
  nextSocketDir(): string;
  /** Told of restarts and queue waits (the runtime's events). */
  readonly hooks?: ExecutorHooks;
  /** Cluster mode: named groups are dispatchers of pools whose processes the primary owns. */
  readonly remotePool?: RemotePoolMaker;
}

export type RemotePoolMaker = (planned: PlannedExecutor, log: Logger, hooks: ExecutorHooks | undefined) => Executor;

export async function createExecutor(planned: PlannedExecutor, context: FactoryContext): Promise<Executor> {
  const { key } = planned;
  const log = context.log.child({ executor: planned.id });
  switch (key.kind) {
    case 'inline':
      return createInlineExecutor({ log, preload: planned.preload, requestTimeoutMs: planned.requestTimeout * 1000 });
    case 'isolate': {
      const socketDir = context.nextSocketDir();
      await mkdir(socketDir, { recursive: true, mode: 0o700 });
      return createIsolatePool({ log, socketDir, preload: planned.preload, requestTimeoutMs: planned.requestTimeout * 1000, memoryLimitMb: planned.memoryLimit,
        ...(context.hooks ? { hooks: context.hooks } : {}) });
    }
    case 'pool': {
      if (!planned.settings) throw new ScriptAliasError('SA_ERR_CONFIG_UNKNOWN_GROUP', `no settings for process group ${key.processGroup}`);
      if (context.remotePool) return context.remotePool(planned, log.child({ group: key.processGroup }), context.hooks);
      return createProcessGroup({
        settings: planned.settings, runtime: key.runtime, preload: planned.preload, socketDir: await poolSocketDir(planned.settings.identity, context),
        log: log.child({ group: key.processGroup }), workerEntry: WORKER_ENTRY,
        ...(context.hooks ? { hooks: context.hooks } : {}),
      });
    }
  }
}

/** A new socket folder for one pool's workers (handed to the group's user when it has one). */
export async function poolSocketDir(identity: UnixIdentity | null, context: Pick<FactoryContext, 'socketRoot' | 'nextSocketDir'>): Promise<string> {
  const socketDir = context.nextSocketDir();
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  if (identity) await handOver(socketDir, identity, context.socketRoot);
  return socketDir;
}

/**
 * A group with its own user gets its own socket folder: owned by that uid/gid, 0700, so its workers
 * can create their sockets there and no other non-root user can even reach them (the proxy, root,
 * passes). The root folder turns 0711: traversable to reach that one folder, still not listable;
 * its other sub-folders stay 0700 and owned by the proxy, so the root's x bit opens nothing else.
 */
async function handOver(socketDir: string, identity: UnixIdentity, socketRoot: string): Promise<void> {
  await chown(socketDir, identity.uid, identity.gid);
  await chmod(socketRoot, 0o711);
}

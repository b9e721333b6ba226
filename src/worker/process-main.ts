// Entry of a Node worker process of a named process group (forked by its group's arbiter). Control comes
// over the IPC channel (protocol/messages.ts): init → main realm (%{GLOBAL}) + preloads → ready;
// ensure-app-group → a worker-thread realm; shutdown → drain and exit 0. When the channel closes
// (the proxy died, even by SIGKILL) the process exits at once, so no worker is ever orphaned.
import path from 'node:path';
import type { SupervisorMessage, WorkerMessage, InitMessage, PreloadEntry, PreloadResult, LogMessage } from '../protocol/messages.js';
import { assertNever } from '../protocol/messages.js';
import { createScriptServer, type ScriptServer } from './script-server.js';
import type { ThreadRealms, ThreadRealm } from './thread-realms.js';
import { serializeError } from '../errors.js';
import { GLOBAL_GROUP } from '../constants.js';

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

const log = (message: LogMessage): void => send(message);

let main: ScriptServer | null = null;
let realms: ThreadRealms | null = null;
let socketDir = '';

/** Worker threads (and their modules) only when a non-%{GLOBAL} application group is used: a
 *  process that serves only %{GLOBAL} stays ~1 MiB smaller (idle RSS target). */
async function threadRealms(): Promise<ThreadRealms> {
  if (!realms) {
    const { createThreadRealms } = await import('./thread-realms.js');
    realms ??= createThreadRealms({ socketDir, onLog: log });
  }
  return realms;
}

/** A process's threads listen on sockets (the proxy connects to them): the realms' default link. */
function socketOf(realm: ThreadRealm): string {
  if (!realm.socketPath) throw new Error(`application group ${realm.applicationGroup} has no socket`);
  return realm.socketPath;
}

async function init(message: InitMessage): Promise<void> {
  process.title = message.displayName;
  const socketPath = path.join(message.socketDir, `p-${process.pid}.sock`);
  main = createScriptServer({ socketPath, applicationGroup: GLOBAL_GROUP, log });
  socketDir = message.socketDir;
  const byGroup = new Map<string, PreloadEntry[]>();
  for (const entry of message.preload) byGroup.set(entry.applicationGroup, [...(byGroup.get(entry.applicationGroup) ?? []), entry]);
  const preloads: PreloadResult[] = [];
  const appGroups: Record<string, string> = {};
  for (const [group, entries] of byGroup) {
    if (group === GLOBAL_GROUP) {
      preloads.push(...await main.preload(entries));
      continue;
    }
    const realm = await (await threadRealms()).ensure(group, entries).catch((err: unknown) => {
      preloads.push(...entries.map((e) => ({ script: e.script, applicationGroup: group, ok: false, error: serializeError(err) })));
      return null;
    });
    if (realm) {
      appGroups[group] = socketOf(realm);
      preloads.push(...realm.preloads);
    }
  }
  await main.listen();
  send({ type: 'ready', pid: process.pid, socketPath, preloads, appGroups });
}

async function shutdown(gracefulMs: number): Promise<void> {
  await Promise.all([main?.close(gracefulMs), realms?.close(gracefulMs)]);
  process.exit(0);
}

process.on('message', (message: SupervisorMessage) => {
  switch (message.type) {
    case 'init':
      init(message).catch((err: unknown) => {
        log({ type: 'log', level: 'error', code: 'SA_ERR_WORKER_START_FAILED', msg: 'worker failed to start', err: err instanceof Error ? err.stack : String(err) });
        process.exit(1);
      });
      return;
    case 'ensure-app-group': {
      const { id, applicationGroup } = message;
      if (!main) return;
      threadRealms().then((r) => r.ensure(applicationGroup)).then(
        (realm) => send({ type: 'app-group-ready', id, applicationGroup, socketPath: socketOf(realm) }),
        (err: unknown) => send({ type: 'app-group-failed', id, applicationGroup, error: serializeError(err) }),
      );
      return;
    }
    case 'shutdown':
      void shutdown(message.gracefulMs);
      return;
    default:
      assertNever(message);
  }
});
process.on('disconnect', () => process.exit(0));

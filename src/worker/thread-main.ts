// Entry of a worker thread that hosts one application group (an isolate): its own module cache and
// script server on its own Unix socket. Tells its parent when it is ready; stops on 'shutdown'.
import { parentPort, workerData } from 'node:worker_threads';
import type { PreloadEntry, LogMessage } from '../protocol/messages.js';
import { createScriptServer } from './script-server.js';

interface ThreadData {
  readonly socketPath: string;
  readonly applicationGroup: string;
  readonly preload: readonly PreloadEntry[];
}

export type ThreadMessage =
  | { readonly type: 'ready'; readonly preloads: unknown[] }
  | LogMessage;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('thread-main runs only as a worker thread');
  const data = workerData as ThreadData;
  const server = createScriptServer({ socketPath: data.socketPath, applicationGroup: data.applicationGroup, log: (m) => port.postMessage(m) });
  // Preload before listening: requests wait (the parent holds them until 'ready').
  const preloads = await server.preload(data.preload);
  await server.listen();
  port.postMessage({ type: 'ready', preloads });
  port.on('message', (message: { type: string; gracefulMs?: number }) => {
    if (message.type === 'shutdown') void server.close(message.gracefulMs ?? 0).then(() => process.exit(0));
  });
}

void main();

// Entry of a worker thread that hosts one application group (an isolate): its own module cache and
// script server on its own Unix socket. Tells its parent when it is ready; stops on 'shutdown'.
import { parentPort, workerData } from 'node:worker_threads';
import type { PreloadEntry, ThreadControlMessage, ThreadMessage } from '../protocol/messages.js';
import { assertNever } from '../protocol/messages.js';
import { createScriptServer } from './script-server.js';

interface ThreadData {
  readonly socketPath: string;
  readonly applicationGroup: string;
  readonly preload: readonly PreloadEntry[];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('thread-main runs only as a worker thread');
  const data = workerData as ThreadData;
  const send = (message: ThreadMessage): void => port.postMessage(message);
  const server = createScriptServer({ socketPath: data.socketPath, applicationGroup: data.applicationGroup, log: send });
  // Preload before listening: requests wait (the parent holds them until 'ready').
  const preloads = await server.preload(data.preload);
  await server.listen();
  send({ type: 'ready', preloads });
  port.on('message', (message: ThreadControlMessage) => {
    switch (message.type) {
      case 'shutdown':
        void server.close(message.gracefulMs).then(() => process.exit(0));
        return;
      default:
        assertNever(message.type); // one member today: its type, since a lone object type does not narrow to never
    }
  });
}

void main();

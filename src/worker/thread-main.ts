// Entry of a worker thread that hosts one application group (an isolate): its own module cache and
// script server, reached over its own Unix socket (an application group of a worker process: the
// proxy connects to it directly) or over a MessagePort (an isolate of the proxy itself). Tells its
// parent when it is ready; stops on 'shutdown'.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { PreloadEntry, ThreadControlMessage, ThreadMessage } from '../protocol/messages.js';
import { assertNever } from '../protocol/messages.js';
import { portTransport } from '../protocol/mux-transport.js';
import { createScriptServer } from './script-server.js';

interface ThreadData {
  /** Set: listen here. Unset: serve the mux session on `port`. */
  readonly socketPath?: string;
  readonly port?: MessagePort;
  readonly applicationGroup: string;
  readonly preload: readonly PreloadEntry[];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('thread-main runs only as a worker thread');
  const data = workerData as ThreadData;
  const send = (message: ThreadMessage): void => port.postMessage(message);
  const server = createScriptServer({ ...(data.socketPath && { socketPath: data.socketPath }), applicationGroup: data.applicationGroup, log: send });
  // Preload before serving: requests wait (the parent holds them until 'ready').
  const preloads = await server.preload(data.preload);
  if (data.port) server.attach(portTransport(data.port));
  else await server.listen();
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

// The local admin endpoint (off by default): GET /status and POST /reload on a Unix socket next to
// the config, used by `scriptalias status` and `scriptalias reload`. Never on a TCP port, so only local users with access to the path see it.
import http, { type Server } from 'node:http';
import net from 'node:net';
import { accessSync, constants, existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ScriptAliasError } from '../src/errors.js';

/** `check` and `serve`: the socket's folder must exist and be writable. */
export function checkStatusSocketDir(socketPath: string): void {
  const dir = path.dirname(socketPath);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ScriptAliasError('SA_ERR_CONFIG_STATUS_SOCKET_DIR', `statusSocket folder ${dir} does not exist or is not writable (${why})`);
  }
}

/** True when something accepts connections on the socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Before anything starts: a live socket belongs to another running proxy (refuse, never unlink it);
 * a stale one (its proxy died) is removed.
 */
export async function claimStatusSocket(socketPath: string): Promise<void> {
  checkStatusSocketDir(socketPath);
  if (!existsSync(socketPath)) return;
  if (await answers(socketPath)) {
    throw new ScriptAliasError('SA_ERR_OPS_STATUS_SOCKET_IN_USE', `another proxy is running on status socket ${socketPath}; stop it first (scriptalias status shows it)`);
  }
  rmSync(socketPath, { force: true });
}

export async function startStatusEndpoint(socketPath: string, status: () => unknown, reload: () => Promise<unknown>): Promise<{ close(): Promise<void> }> {
  await claimStatusSocket(socketPath);
  const server: Server = http.createServer((req, res) => {
    const answer = (value: unknown): void => {
      const body = JSON.stringify(value, null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    if (req.method === 'GET' && req.url === '/status') void Promise.resolve(status()).then(answer, (err: unknown) => answer({ error: String(err) }));
    else if (req.method === 'POST' && req.url === '/reload') void reload().then(answer, (err: unknown) => answer({ applied: false, error: String(err) }));
    else res.writeHead(404).end();
  });
  server.listen(socketPath);
  await once(server, 'listening');
  return {
    async close() {
      server.close();
      server.closeAllConnections();
      rmSync(socketPath, { force: true });
    },
  };
}

// The local admin endpoint (off by default): GET /status and POST /reload on a Unix socket next to
// the config, used by `scriptalias status` and `scriptalias reload`. Never on a TCP port, so only local users with access to the path see it.
import http, { type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { once } from 'node:events';

export async function startStatusEndpoint(socketPath: string, status: () => unknown, reload: () => Promise<unknown>): Promise<{ close(): Promise<void> }> {
  rmSync(socketPath, { force: true });
  const server: Server = http.createServer((req, res) => {
    const answer = (value: unknown): void => {
      const body = JSON.stringify(value, null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    if (req.method === 'GET' && req.url === '/status') answer(status());
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

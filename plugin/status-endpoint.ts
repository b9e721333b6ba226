// The local admin endpoint (off by default): GET /status on a Unix socket next to the config, read
// by `scriptalias status`. Never on a TCP port, so only local users with access to the path see it.
import http, { type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { once } from 'node:events';

export async function startStatusEndpoint(socketPath: string, status: () => unknown): Promise<{ close(): Promise<void> }> {
  rmSync(socketPath, { force: true });
  const server: Server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/status') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify(status(), null, 2) + '\n';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
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

// Runs an example: a tiny upstream on 127.0.0.1:8081 (the target of the examples' redbird route
// /upstream), then `scriptalias serve <proxy.json>` on 127.0.0.1:8080. Ctrl-C stops both.
// usage: node examples/run.js [examples/site/proxy.json]
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const config = path.resolve(process.argv[2] ?? path.join(here, 'site', 'proxy.json'));
const upstream = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`upstream got ${req.method} ${req.url}\n`);
});
upstream.listen(8081, '127.0.0.1', () => {
  const cli = path.join(here, '..', 'dist', 'plugin', 'cli.js');
  const proxy = spawn(process.execPath, [cli, 'serve', config], { stdio: 'inherit' });
  const stop = (signal) => proxy.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  proxy.on('exit', (code) => {
    upstream.close();
    process.exit(code ?? 0);
  });
});

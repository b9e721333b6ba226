// A floor for the inline path: redbird's own server (as `scriptalias serve` makes it) with the workload's
// listener as its only request listener, the /app prefix cut as the alias would: no plugin code at all.
// usage: node floor-redbird.mjs PORT WORKLOAD_DIR
import path from 'node:path';
import { createRequire } from 'node:module';
import { Redbird } from 'redbird';

const [port, workloadDir] = [Number(process.argv[2]), process.argv[3]];
const { application } = createRequire(import.meta.url)(path.join(workloadDir, 'app.js'));
const redbird = new Redbird({ port, host: '127.0.0.1', logger: { name: 'redbird', level: 'silent' } });
const server = redbird.server;
server.removeAllListeners('request');
server.on('request', (req, res) => {
  req.url = req.url.slice('/app'.length);
  application(req, res);
});
process.on('SIGTERM', () => process.exit(0));

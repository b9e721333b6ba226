// Route-only reload time: how long handle.reload() takes to validate a config that only changes a
// route (an alias URL) and swap it in, measured 50 times on a running proxy with one warm process
// group (which must survive untouched). Prints median and p95 in ms.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redbird } from 'redbird';
import { scriptAlias } from '../../dist/plugin/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-reload-'));
writeFileSync(path.join(dir, 'app.cjs'), 'exports.application = (req, res) => res.end("ok");\n');
const config = (url) => ({ plugins: { scriptalias: {
  processGroups: { g: { processes: 1 } },
  scriptAlias: [{ url, path: 'app.cjs' }, { url: '/pooled', path: 'app.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
} } });
const proxy = new Redbird({ port: 18232, host: '127.0.0.1' });
const handle = await scriptAlias(proxy, config('/a0'), { baseDir: dir });
const pidBefore = handle.status().executors['pool:node:g'].processes[0].pid;
const times = [];
for (let i = 1; i <= 50; i++) {
  const started = process.hrtime.bigint();
  const report = await handle.reload(config(`/a${i}`));
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (!report.applied) throw new Error('reload failed');
}
const pidAfter = handle.status().executors['pool:node:g'].processes[0].pid;
times.sort((a, b) => a - b);
console.log(`route-only reload (validate + build + swap), 50 runs: median ${times[25].toFixed(1)} ms, p95 ${times[47].toFixed(1)} ms; warm group kept: ${pidBefore === pidAfter}`);
await handle.close();
await proxy.close();
rmSync(dir, { recursive: true, force: true });

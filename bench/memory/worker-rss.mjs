// Idle and after-load memory of one warm worker process per runtime, from the processes themselves:
// RSS (VmRSS, what the issues' targets name) and PSS (RSS with pages shared between processes, such as
// the node/python binaries, divided among them). Each group has one process running the shared
// benchmark app (workloads/app.js, workloads/app.py with Flask), preloaded. "After load" = after 20 000
// hello requests over 16 keep-alive connections. Also prints a bare interpreter for scale.
// Usage: node bench/memory/worker-rss.mjs [workloads dir] (default: bench/.harness/workloads)
import { readFileSync, readlinkSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { childrenOf } from '../lib/proc.mjs';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Redbird } from 'redbird';
import { scriptAlias } from '../../dist/plugin/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const workloads = path.resolve(process.argv[2] ?? path.join(here, '..', '.harness', 'workloads'));
const python = process.env.SCRIPTALIAS_PYTHON ?? '/usr/bin/python3';
const KB_PER_MIB = 1024; // /proc reports kB

function memory(pid) {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  const pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);
  return { rss: rss / KB_PER_MIB, pss: pss / KB_PER_MIB };
}

async function load(port, urlPath, total) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let left = total;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (left-- > 0) {
      await new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
      });
    }
  }));
  agent.destroy();
}

const port = 18240;
const proxy = new Redbird({ port, host: '127.0.0.1', bunyan: false });
const handle = await scriptAlias(proxy, { plugins: { scriptalias: {
  python,
  processGroups: { js: { processes: 1, threads: 16 }, py: { processes: 1, threads: 8, runtime: 'python' } },
  scriptAlias: [
    { url: '/js', path: path.join(workloads, 'app.js'), processGroup: 'js', applicationGroup: '%{GLOBAL}' },
    { url: '/py', path: path.join(workloads, 'app.py'), processGroup: 'py', applicationGroup: '%{GLOBAL}' },
  ],
} } });
const pidOf = (name) => handle.status().executors[name].processes[0].pid;
const rows = [];
for (const [name, executor, url, target] of [['JS worker (node, app.js)', 'pool:node:js', '/js/hello', 50], ['Python worker (app.py + Flask)', 'pool:python:py', '/py/hello', 30]]) {
  const pid = pidOf(executor);
  const idle = memory(pid);
  await load(port, url, 20000);
  const after = memory(pid);
  rows.push({ name, idle, after, target });
}
const bare = (cmd, args) => {
  const out = execFileSync(cmd, args, { encoding: 'utf8' });
  return Number(/VmRSS:\s+(\d+)/.exec(out)[1]) / KB_PER_MIB;
};
const bareNode = bare(process.execPath, ['-e', "setTimeout(() => process.stdout.write(require('fs').readFileSync('/proc/self/status','utf8')), 200)"]);
const bareFlask = bare(python, ['-c', "import flask; print(open('/proc/self/status').read())"]);
await handle.close();
await proxy.close();

// Issue 16's idle-runtime rule, through the CLI as people run it: four Python-only named groups start
// four Python workers and no Node worker; the proxy's own RSS idle (all groups warm, preloaded).
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sa-mem-'));
const groups = ['a', 'b', 'c', 'd'];
writeFileSync(path.join(scratch, 'proxy.json'), JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
  python,
  processGroups: Object.fromEntries(groups.map((g) => [g, { processes: 1, threads: 8, runtime: 'python' }])),
  scriptAlias: groups.map((g) => ({ url: `/${g}`, path: path.join(workloads, 'app.py'), processGroup: g, applicationGroup: '%{GLOBAL}' })),
} } }));
const serve = spawn(process.execPath, [path.join(here, '..', '..', 'dist', 'plugin', 'cli.js'), 'serve', path.join(scratch, 'proxy.json'), '--no-watch', '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const url = await new Promise((resolve, reject) => {
  serve.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /"url":"(http:[^"]+)"/.exec(out);
    if (m) resolve(m[1]);
  });
  serve.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
});
// Idle: listening means every group's worker has started and preloaded app.py (both groups given).
// Right after start the proxy still holds the garbage of loading (schema compile, modules) in V8's
// young generation; V8's memory reducer gives it back after some seconds of quiet. Idle is read once
// RSS has settled (unchanged for 5 s, at least 25 s after listening: the reducer ran after ~16 s here;
// at most 60 s).
const proxyAtStart = memory(serve.pid);
const startedAt = Date.now();
let proxyIdle = proxyAtStart;
for (let same = 0; Date.now() - startedAt < 60000 && (same < 5 || Date.now() - startedAt < 25000);) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const now = memory(serve.pid);
  same = Math.abs(now.rss - proxyIdle.rss) < 0.5 ? same + 1 : 0;
  proxyIdle = now;
}
const settledAfter = (Date.now() - startedAt) / 1000;
for (const g of groups) await load(Number(new URL(url).port), `/${g}/hello`, 16); // every group answers
const children = childrenOf(serve.pid).map((pid) => ({ pid, exe: readlinkSync(`/proc/${pid}/exe`), ...memory(pid) }));
const proxyMem = memory(serve.pid);
serve.kill('SIGTERM');
await new Promise((resolve) => serve.once('exit', resolve));
rmSync(scratch, { recursive: true, force: true });

console.log('| process | RSS idle MiB | PSS idle MiB | RSS after load MiB | PSS after load MiB | target (RSS) | met (idle) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.idle.rss.toFixed(1)} | ${r.idle.pss.toFixed(1)} | ${r.after.rss.toFixed(1)} | ${r.after.pss.toFixed(1)} | ≤ ${r.target} | ${r.idle.rss <= r.target ? 'yes' : 'no'} |`);
}
const pythonWorkers = children.filter((c) => /python/.test(path.basename(c.exe)));
const nodeWorkers = children.filter((c) => /node/.test(path.basename(c.exe)));
const maxPython = Math.max(...pythonWorkers.map((c) => c.rss));
console.log(`\nFour Python-only groups through \`scriptalias serve\` (each 1 process, app.py + Flask, warm):`);
console.log('| measure | value | target | met |');
console.log('|---|---|---|---|');
console.log(`| worker processes started | ${pythonWorkers.length} Python, ${nodeWorkers.length} Node | 4 Python, 0 Node | ${pythonWorkers.length === 4 && nodeWorkers.length === 0 ? 'yes' : 'no'} |`);
console.log(`| proxy (\`serve\`) RSS idle (settled after ${settledAfter.toFixed(0)} s) | ${proxyIdle.rss.toFixed(1)} MiB (PSS ${proxyIdle.pss.toFixed(1)}) | ≤ 80 MiB | ${proxyIdle.rss <= 80 ? 'yes' : 'no'} |`);
console.log(`| proxy RSS right after listening (before V8's memory reducer) | ${proxyAtStart.rss.toFixed(1)} MiB | | |`);
console.log(`| proxy RSS after 64 requests | ${proxyMem.rss.toFixed(1)} MiB (PSS ${proxyMem.pss.toFixed(1)}) | | |`);
console.log(`| largest Python worker RSS | ${maxPython.toFixed(1)} MiB | ≤ 30 MiB | ${maxPython <= 30 ? 'yes' : 'no'} |`);
console.log(`\nFor scale: a bare \`node -e\` process ${bareNode.toFixed(1)} MiB RSS; \`${python} -c "import flask"\` ${bareFlask.toFixed(1)} MiB RSS.`);
process.exit(0);

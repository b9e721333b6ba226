// Idle and after-load memory of one warm worker process per runtime, from the processes themselves:
// RSS (VmRSS, what the issues' targets name) and PSS (RSS with pages shared between processes, such as
// the node/python binaries, divided among them). Each group has one process running the shared
// benchmark app (workloads/app.js, workloads/app.py with Flask), preloaded. "After load" = after 20 000
// hello requests over 16 keep-alive connections. Also prints a bare interpreter for scale.
// Usage: node bench/memory/worker-rss.mjs [workloads dir] (default: bench/.harness/workloads)
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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

console.log('| process | RSS idle MiB | PSS idle MiB | RSS after load MiB | PSS after load MiB | target (RSS) | met (idle) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.idle.rss.toFixed(1)} | ${r.idle.pss.toFixed(1)} | ${r.after.rss.toFixed(1)} | ${r.after.pss.toFixed(1)} | ≤ ${r.target} | ${r.idle.rss <= r.target ? 'yes' : 'no'} |`);
}
console.log(`\nFor scale: a bare \`node -e\` process ${bareNode.toFixed(1)} MiB RSS; \`${python} -c "import flask"\` ${bareFlask.toFixed(1)} MiB RSS.`);
process.exit(0);

// npm run bench:h2 — HTTP/2 req/s (h2load -c 8 -m 16, TLS on loopback) of bare Node's
// http2.createSecureServer and of the proxy's `ssl.http2` listener for the inline path and a JS pool
// (1 process × 16 slots), all serving the shared workloads/app.js /hello, in the same run: 3 rounds,
// server order rotated, medians; prints a markdown table with ratios to bare node.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, cpuTicks } from '../lib/proc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const appFile = path.resolve(process.env.SHARED_BENCH ?? path.join(root, '..', 'shared', 'bench'), 'workloads', 'app.js');
const seconds = Number(process.env.H2_SECONDS ?? 5);
const rounds = Number(process.env.H2_ROUNDS ?? 3);
if (spawnSync('h2load', ['--version']).status !== 0) {
  console.error('h2load is missing: apt-get install nghttp2-client');
  process.exit(1);
}
// Free ports picked now (never fixed ones: another bench on the machine may hold them, and h2load
// would then measure that server while ours failed to listen).
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const [httpPort, tlsPort, barePort] = [await freePort(), await freePort(), await freePort()];
// H2_BEFORE=<a checkout's root, built>: its proxy too, same config on its own ports, for before → after
// figures in one run.
const before = process.env.H2_BEFORE ? path.resolve(process.env.H2_BEFORE) : null;
const [beforeHttpPort, beforeTlsPort] = before ? [await freePort(), await freePort()] : [0, 0];
const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-h2bench-'));
const key = path.join(dir, 'site.key');
const cert = path.join(dir, 'site.crt');
spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key,
  '-out', cert, '-days', '2', '-subj', '/CN=localhost'], { stdio: 'ignore' });
const configOf = (port, sslPort) => JSON.stringify({
  proxy: { port, host: '127.0.0.1', ssl: { port: sslPort, key, cert, http2: true } },
  routes: [],
  plugins: { scriptalias: {
    // listenBacklog above h2load's 128 streams in flight: no request waits for a 503.
    processGroups: { bench: { processes: 1, threads: 16, runtime: 'node', listenBacklog: 256 } },
    scriptAlias: [
      { url: '/inline', path: appFile, processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/pool', path: appFile, processGroup: 'bench', applicationGroup: '%{GLOBAL}' },
    ],
  } },
});
writeFileSync(path.join(dir, 'proxy.json'), configOf(httpPort, tlsPort));
if (before) writeFileSync(path.join(dir, 'before.json'), configOf(beforeHttpPort, beforeTlsPort));

const children = [];
const cleanup = () => { for (const child of children) child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); };
process.on('exit', cleanup);

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`port ${port} never opened`);
}

children.push(spawn(process.execPath, [path.join(root, 'bench', 'h2', 'bare.mjs'), appFile, key, cert, String(barePort)], { stdio: 'ignore' }));
children.push(spawn(process.execPath, [path.join(root, 'dist', 'plugin', 'cli.js'), 'serve', path.join(dir, 'proxy.json')], { stdio: 'ignore' }));
if (before) children.push(spawn(process.execPath, [path.join(before, 'dist', 'plugin', 'cli.js'), 'serve', path.join(dir, 'before.json')], { stdio: 'ignore' }));
for (const child of children) {
  child.once('exit', (code) => { console.error(`a server exited early (code ${code})`); process.exit(1); });
}
await waitPort(barePort);
await waitPort(tlsPort);
if (before) await waitPort(beforeTlsPort);

const [barePid, proxyPid, beforePid] = children.map((c) => c.pid);
const servers = [
  { name: 'bare node http2.createSecureServer', url: `https://127.0.0.1:${barePort}/hello`, pid: barePid },
  { name: 'scriptalias inline (h2)', url: `https://127.0.0.1:${tlsPort}/inline/hello`, pid: proxyPid },
  { name: 'scriptalias JS pool 1×16 (h2)', url: `https://127.0.0.1:${tlsPort}/pool/hello`, pid: proxyPid },
];
if (before) {
  servers.push({ name: 'before: scriptalias inline (h2)', url: `https://127.0.0.1:${beforeTlsPort}/inline/hello`, pid: beforePid },
    { name: 'before: scriptalias JS pool 1×16 (h2)', url: `https://127.0.0.1:${beforeTlsPort}/pool/hello`, pid: beforePid });
}

/** CPU time (user + system, µs) a process used so far: robust when the machine is shared. */
function cpuMicros(pid) {
  return cpuTicks(pid) * 1e6 / CLK_TCK;
}

function h2load(url, duration, pid) {
  const before = pid ? cpuMicros(pid) : 0;
  // No --warm-up-time: its requests are not counted but their CPU was, ~20 % too much per request
  // (every server is warmed by the 2 s run before the rounds).
  const run = spawnSync('h2load', ['-c', '8', '-m', '16', '-t', '1', '-D', String(duration), url], { encoding: 'utf8' });
  const rate = /finished in [^,]+, ([\d.]+) req\/s/.exec(run.stdout);
  const done = /requests: \d+ total, \d+ started, (\d+) done/.exec(run.stdout);
  const ok = /status codes: (\d+) 2xx/.exec(run.stdout);
  if (!rate || !done || !ok) throw new Error(`h2load failed for ${url}: ${run.stdout}${run.stderr}`);
  // Only 2xx answers count for req/s; CPU/request is over every request h2load sent.
  const answered = Number(done[1]);
  const rps = answered === 0 ? 0 : Number(rate[1]) * Number(ok[1]) / answered;
  const cpu = pid ? (cpuMicros(pid) - before) / Math.max(1, answered) : 0;
  return { rps, cpu, protocol: /Application protocol: (\S+)/.exec(run.stdout)?.[1] };
}

for (const server of servers) h2load(server.url, 2); // warm: JIT, script loads, pool connections
const samples = new Map(servers.map((s) => [s.name, []]));
const cpu = new Map(servers.map((s) => [s.name, []]));
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < servers.length; i++) {
    const server = servers[(i + round) % servers.length];
    const got = h2load(server.url, seconds, server.pid);
    if (got.protocol !== 'h2') throw new Error(`${server.name}: negotiated ${got.protocol}, not h2`);
    samples.get(server.name).push(got.rps);
    cpu.get(server.name).push(got.cpu);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples.get(servers[0].name));
console.log(`h2load -c 8 -m 16 -t 1 -D ${seconds}, ${rounds} rounds (order rotated), medians; ${os.cpus().length} CPUs\n`);
const baseCpu = median(cpu.get(servers[0].name));
console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| server | h2 req/s (2xx) | × bare node h2 | rounds | server CPU µs/request | bare CPU ÷ this |');
console.log('|---|---|---|---|---|---|');
for (const server of servers) {
  const xs = samples.get(server.name);
  const c = median(cpu.get(server.name));
  console.log(`| ${server.name} | ${Math.round(median(xs))} | ${(median(xs) / base).toFixed(2)} | ${xs.map(Math.round).join(', ')} | ${c.toFixed(0)} | ${(baseCpu / c).toFixed(2)} |`);
}
console.log('\nCPU is the proxy process only: the pool\'s worker process is not counted.');
cleanup();
process.exit(0);

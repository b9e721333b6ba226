// Slowloris bench: p50/p99 of ordinary requests to a scriptalias proxy, idle and while 1 000 slowloris
// connections are held (hold.mjs, a separate process), with requestReadTimeout on (defaults) and off.
// The proxy runs as `scriptalias serve` in its own process; the measuring client here.
// Usage (after npm run build): node bench/slowloris/run.mjs [--slow 1000] [--requests 3000] [--concurrency 8]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '..', '..', 'dist', 'plugin', 'cli.js');
const { values } = parseArgs({ options: { slow: { type: 'string', default: '1000' }, requests: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '8' } } });
const SLOW = Number(values.slow), REQUESTS = Number(values.requests), CONCURRENCY = Number(values.concurrency);

function lines(child) {
  const queue = [], waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => { const w = waiters.shift(); if (w) w(l); else queue.push(l); });
  return () => queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve));
}

async function startProxy(dir, requestReadTimeout) {
  writeFileSync(path.join(dir, 'hello.cjs'), "exports.application = (req, res) => { res.setHeader('content-type', 'text/plain'); res.end('hello'); };\n");
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0 }, plugins: { scriptalias: { requestReadTimeout, scriptAlias: [{ url: '/hello', path: 'hello.cjs' }] } } }));
  const child = spawn(process.execPath, [cli, 'serve', file, '--port', '0', '--no-watch', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const next = lines(child);
  for (;;) {
    const line = await next();
    const entry = JSON.parse(line);
    if (entry.url) return { child, url: new URL(entry.url) };
  }
}

function once(url) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    http.get({ host: url.hostname, port: url.port, path: '/hello', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    }).on('error', reject);
  });
}

async function measure(url) {
  const ms = [];
  let left = REQUESTS, not200 = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) { const r = await once(url); ms.push(r.ms); if (r.status !== 200) not200++; }
  }));
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { p50: at(0.5), p99: at(0.99), max: ms[ms.length - 1], not200 };
}

async function holdSlowloris(url) {
  const child = spawn(process.execPath, [path.join(here, 'hold.mjs'), url.port, String(SLOW)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(child);
  const first = JSON.parse(await next());
  return { first, async report() { child.stdin.write('\n'); return JSON.parse(await next()); }, stop() { child.stdin.end(); } };
}

const runs = [];
for (const [label, rrt] of [['requestReadTimeout on (20-40 / 20, 500 B/s)', {}], ['requestReadTimeout off', { header: 0, body: 0 }]]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-slowloris-'));
  const { child, url } = await startProxy(dir, rrt);
  try {
    await measure(url); // warm-up (JIT, script load)
    const idle = await measure(url);
    const slow = await holdSlowloris(url);
    const loaded = await measure(url);
    const after = await slow.report();
    slow.stop();
    runs.push({ label, idle, loaded, held: after.held, opened: slow.first.connected });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (n) => n.toFixed(2);
console.log(`${REQUESTS} GETs (new connection each, ${CONCURRENCY} at a time), idle vs while ${SLOW} slowloris connections are held`);
console.log('| run | idle p50 ms | idle p99 ms | loaded p50 ms | loaded p99 ms | p99 ratio | slow conns held at end | non-200 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  console.log(`| ${r.label} | ${f(r.idle.p50)} | ${f(r.idle.p99)} | ${f(r.loaded.p50)} | ${f(r.loaded.p99)} | **${f(r.loaded.p99 / r.idle.p99)}×** | ${r.held}/${r.opened} | ${r.idle.not200 + r.loaded.not200} |`);
}
console.log(`p99 ratio (loaded / idle, requestReadTimeout on): ${f(runs[0].loaded.p99 / runs[0].idle.p99)}`);

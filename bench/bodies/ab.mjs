#!/usr/bin/env node
// A/B of two built checkouts on the body workloads, alternating A and B within each round so that
// both see the same noise on a shared machine. Prints req/s and, steadier than req/s, CPU time per
// request: utime+stime deltas (/proc/<pid>/stat) of the proxy and its worker processes over the wrk
// run, divided by the requests wrk counted. An isolate's thread is inside the proxy's figure.
//   node bench/bodies/ab.mjs --a /path/to/base --b . [--rounds 3] [--duration 5] [--prof DIR]
//        [isolate|pool-js1 ...] [post-echo|big|hello ...]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, cpuTicks, family } from '../lib/proc.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const WORKLOADS = process.env.WORKLOAD_DIR ?? path.resolve(ROOT, '../shared/bench/workloads');
const PATHS = { hello: '/hello', jsonraw: '/jsonraw', 'post-echo': '/echo', big: '/big' };
const TICK_US = 1e6 / CLK_TCK;

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); if (i < 0) return dflt; const [, v] = args.splice(i, 2); return v; };
const sides = { A: path.resolve(opt('a', ROOT)), B: path.resolve(opt('b', ROOT)) };
const rounds = Number(opt('rounds', '3'));
const duration = Number(opt('duration', '5'));
const prof = opt('prof', '');
const variants = args.filter((a) => !(a in PATHS));
const workloads = args.filter((a) => a in PATHS);
if (variants.length === 0) variants.push('isolate', 'pool-js1');
if (workloads.length === 0) workloads.push('post-echo', 'big');

const scratch = mkdtempSync(path.join(tmpdir(), 'sa-bodies-'));
let port = 18400;

function cpu(pids) {
  let own = 0; let workers = 0;
  for (const [i, pid] of pids.entries()) { try { const t = cpuTicks(pid); if (i === 0) own += t; else workers += t; } catch { /* gone */ } }
  // The proxy's main thread alone (its event loop); the rest of `own` is its isolate threads, GC helpers and libuv's pool.
  const main = cpuTicks(pids[0], `/task/${pids[0]}`);
  return { own, workers, main };
}
function wrk(url, workload, seconds) {
  const a = ['-t1', '-c32', `-d${seconds}s`];
  if (workload === 'post-echo') a.push('-s', path.join(WORKLOADS, 'post.lua'));
  const out = execFileSync('wrk', [...a, url]).toString();
  const n = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (errors) throw new Error(`wrk saw ${errors} errors:\n${out}`);
  return { n, rps };
}
async function up(url) {
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(url); await r.arrayBuffer(); if (r.ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}
async function once(side, variant, workload, round) {
  const p = port++;
  // 'node': bare node-server.js with the same app, the reference (same on both sides).
  const bare = variant === 'node';
  const conf = bare ? '' : readFileSync(path.join(ROOT, 'bench/conf', `scriptalias-${variant}.json.in`), 'utf8')
    .replaceAll('@PORT@', String(p)).replaceAll('@WORKLOAD_DIR@', WORKLOADS);
  const file = path.join(scratch, `${side}-${variant}-${p}.json`);
  if (!bare) writeFileSync(file, conf);
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(prof, `${side}-${variant}-${workload}`)}`] : [];
  const argv = bare ? [path.join(WORKLOADS, 'node-server.js'), String(p)] : [path.join(sides[side], 'dist/plugin/cli.js'), 'serve', file];
  const child = spawn(process.execPath, [...flags, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const base = `http://127.0.0.1:${p}${bare ? '' : '/app'}`;
  const url = `${base}${PATHS[workload]}`;
  try {
    await up(`${base}/hello`);
    wrk(url, workload, 1); // warm-up: JIT, pooled connections
    const pids = family(child.pid);
    const before = cpu(pids);
    const { n, rps } = wrk(url, workload, duration);
    const after = cpu(pids);
    return { side, variant, workload, round, n, rps,
      proxyUs: ((after.own - before.own) * TICK_US) / n, mainUs: ((after.main - before.main) * TICK_US) / n, workerUs: ((after.workers - before.workers) * TICK_US) / n };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const results = [];
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) for (const workload of workloads) {
    const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const side of order) {
      const r = await once(side, variant, workload, round);
      results.push(r);
      console.error(`${side} ${variant} ${workload} #${round}: ${r.rps.toFixed(0)} req/s, proxy ${r.proxyUs.toFixed(1)} µs/req (main thread ${r.mainUs.toFixed(1)}), workers ${r.workerUs.toFixed(1)} µs/req`);
    }
  }
}
console.log(`\nA = ${sides.A}\nB = ${sides.B}\nwrk -t1 -c32 -d${duration}s, ${rounds} rounds alternating, medians\n`);
console.log('| path | workload | A req/s | B req/s | A proxy µs/req | B proxy µs/req | A main thread | B main thread | A workers µs/req | B workers µs/req |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const variant of variants) for (const workload of workloads) {
  const of = (side, key) => median(results.filter((r) => r.side === side && r.variant === variant && r.workload === workload).map((r) => r[key]));
  const f = (x, d) => x.toFixed(d);
  console.log(`| ${variant} | ${workload} | ${f(of('A', 'rps'), 0)} | ${f(of('B', 'rps'), 0)} | ${f(of('A', 'proxyUs'), 1)} | ${f(of('B', 'proxyUs'), 1)} | ${f(of('A', 'mainUs'), 1)} | ${f(of('B', 'mainUs'), 1)} | ${f(of('A', 'workerUs'), 1)} | ${f(of('B', 'workerUs'), 1)} |`);
}

// 1 000 slowloris connections (bench/slowloris/hold.mjs, its own process: partial heads, one byte a
// second) are held open while ordinary requests keep being answered: every one 200, none of the slow
// connections dropped before its window, and p50/p99 within 5× of an idle run on the same proxy (with
// floors: the suite runs tests in parallel; bench/slowloris/run.mjs gives the real figure).
import test from 'ava';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { startProxy, tempDir, writeTree } from '../helpers/proxy.js';
import { repoRoot } from '../helpers/paths.js';

const SLOW = 1000;
const REQUESTS = 300;
const CONCURRENCY = 4;

interface Held { held: number; connected: number; closed: number; failed: number }

function get(url: URL): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    http.get({ host: url.hostname, port: url.port, path: '/hello', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
    }).on('error', reject);
  });
}

async function measure(url: URL): Promise<{ statuses: number[]; p50: number; p99: number }> {
  const ms: number[] = [];
  const statuses: number[] = [];
  let left = REQUESTS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) { const r = await get(url); ms.push(r.ms); statuses.push(r.status); }
  }));
  ms.sort((a, b) => a - b);
  return { statuses, p50: ms[Math.floor(0.5 * ms.length)]!, p99: ms[Math.floor(0.99 * ms.length)]! };
}

test('1 000 slowloris connections held: ordinary requests all answered 200, p50 and p99 within 5x of idle', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'hello.cjs': "exports.application = (req, res) => res.end('hello');\n" });
  // A head window longer than the test, so every slow connection is still held when we count them.
  const proxy = await startProxy(t, { plugins: { scriptalias: { requestReadTimeout: { header: '60-90' }, scriptAlias: [{ url: '/hello', path: 'hello.cjs' }] } } }, dir);
  const url = new URL(proxy.url);
  await measure(url); // warm-up
  const idle = await measure(url);

  const holder = spawn(process.execPath, [path.join(repoRoot, 'bench', 'slowloris', 'hold.mjs'), String(proxy.port), String(SLOW)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  t.teardown(async () => { holder.stdin.end(); await exited; });
  const replies = readline.createInterface({ input: holder.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Held> => JSON.parse(String((await replies.next()).value)) as Held;
  const first = await next();
  t.is(first.connected, SLOW, `${first.failed} slowloris connections failed to open`);

  const loaded = await measure(url);
  holder.stdin.write('\n');
  const after = await next();
  t.true(loaded.statuses.every((s) => s === 200), `not all 200: ${[...new Set(loaded.statuses)].join(', ')}`);
  t.is(loaded.statuses.length, REQUESTS);
  t.is(after.held, SLOW, `${after.closed} slow connections were closed while held`);
  // Floors, because the suite runs files in parallel on a small machine: p99 of 300 samples is their
  // third-worst, and a neighbour test's burst lands in it. 5x of a floored figure only catches a proxy
  // that the slow connections really stall.
  t.true(loaded.p50 <= 5 * Math.max(idle.p50, 20), `p50 ${loaded.p50.toFixed(1)} ms under slowloris vs ${idle.p50.toFixed(1)} ms idle`);
  t.true(loaded.p99 <= 5 * Math.max(idle.p99, 100), `p99 ${loaded.p99.toFixed(1)} ms under slowloris vs ${idle.p99.toFixed(1)} ms idle`);
  t.log(`p50 idle ${idle.p50.toFixed(2)} ms, with ${SLOW} slowloris ${loaded.p50.toFixed(2)} ms; p99 ${idle.p99.toFixed(2)} / ${loaded.p99.toFixed(2)} ms`);
});

#!/usr/bin/env node
// Self time per function (and per file) of .cpuprofile files (node --cpu-prof), top N, as a share of
// the samples that were not idle: where a hop's CPU goes.   node profile-summary.mjs FILE... [--top 25]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const t = args.indexOf('--top');
const top = t >= 0 ? Number(args.splice(t, 2)[1]) : 25;
for (const file of args) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = p.timeDeltas;
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0)));
  const fn = new Map(); const files = new Map(); let busy = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName === '(idle)' || functionName === '(program)' && false) continue;
    busy += us;
    const short = url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^node:/, '');
    const key = `${functionName || '(anon)'} ${short}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    files.set(short || functionName, (files.get(short || functionName) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  console.log(`\n## ${file}: ${(busy / 1000).toFixed(0)} ms busy`);
  for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(us)}  file ${k}`);
  console.log('');
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`);
}

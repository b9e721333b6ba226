#!/usr/bin/env node
// Runs the vendored conformance oracle (test/conformance/oracle, see VENDORED.md there) against the
// built CLI for both runtimes and raises the per-scenario floors in test/conformance/ratchet.json to
// what matches now (never lowers one).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const conformance = path.join(root, 'test', 'conformance', 'oracle');
const file = path.join(root, 'test', 'conformance', 'ratchet.json');
const ratchet = JSON.parse(readFileSync(file, 'utf8'));
const cli = path.join(root, 'dist', 'plugin', 'cli.js');
for (const runtime of ['js', 'python']) {
  const out = spawnSync('python3', [path.join(conformance, 'run_against.py'), '--runtime', runtime, '--settle', '0.2',
    '--cmd', `${process.execPath} ${cli} serve {config} --no-watch --log-level warn`], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  const fails = out.split('\n').filter((l) => l.startsWith('FAIL '));
  for (const name of readdirSync(path.join(conformance, 'scenarios')).filter((n) => n.endsWith('.json'))) {
    const scenario = JSON.parse(readFileSync(path.join(conformance, 'scenarios', name), 'utf8'));
    const matched = scenario.requests.length - fails.filter((l) => l.startsWith(`FAIL ${scenario.id}/`)).length;
    ratchet[runtime][scenario.id] = Math.max(ratchet[runtime][scenario.id] ?? 0, matched);
  }
  console.log(runtime, out.split('\n').find((l) => l.startsWith('conformance:')));
}
writeFileSync(file, JSON.stringify(ratchet, null, 2) + '\n');

// Runs the scenarios recorded from real Apache + mod_wsgi (oracle/, vendored from shared/conformance:
// see oracle/VENDORED.md) against our CLI, once per runtime, and holds each scenario to the ratchet in
// ratchet.json: the number of matching requests may rise, never fall. One test per scenario, titled
// with its id.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, oracleDir } from '../helpers/paths.js';
import { findPython } from '../helpers/python.js';

type RuntimeName = 'js' | 'python';
interface Ratchet { js: Record<string, number>; python: Record<string, number> }

const conformanceDir = oracleDir;
const ratchet = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'conformance', 'ratchet.json'), 'utf8')) as Ratchet;
const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

function scenarioSizes(): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const name of readdirSync(path.join(conformanceDir, 'scenarios')).sort()) {
    if (!name.endsWith('.json')) continue;
    const scenario = JSON.parse(readFileSync(path.join(conformanceDir, 'scenarios', name), 'utf8')) as { id: string; requests: unknown[] };
    sizes.set(scenario.id, scenario.requests.length);
  }
  return sizes;
}

/** Runs run_against.py; returns per scenario the number of matching requests, and the FAIL lines. */
function runHarness(runtime: RuntimeName, python: string): { matched: Map<string, number>; failures: string[]; summary: string } {
  const result = spawnSync('python3', [path.join(conformanceDir, 'run_against.py'), '--runtime', runtime, '--settle', '0.2',
    '--cmd', `${process.execPath} ${cli} serve {config} --no-watch --log-level warn`], {
    encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(python)}:${process.env.PATH ?? ''}` }, maxBuffer: 64 * 1024 * 1024,
  });
  const lines = (result.stdout ?? '').split('\n');
  const failures = lines.filter((l) => l.startsWith('FAIL '));
  const matched = new Map<string, number>();
  for (const [id, size] of scenarioSizes()) {
    const failed = failures.filter((l) => l.startsWith(`FAIL ${id}/`)).length;
    matched.set(id, size - failed);
  }
  const summary = lines.find((l) => l.startsWith('conformance:')) ?? `harness output: ${result.stdout}${result.stderr}`;
  return { matched, failures, summary };
}

const debianPython = findPython();
for (const runtime of ['js', 'python'] as const) {
  if (runtime === 'python' && debianPython === null) {
    test(`conformance (${runtime}) needs a python3`, (t) => t.fail('no python3 found'));
    continue;
  }
  if (!existsSync(cli)) {
    test(`conformance (${runtime}) needs the built CLI`, (t) => t.fail(`${cli} missing: run npm run build`));
    continue;
  }
  const { matched, failures, summary } = runHarness(runtime, debianPython ?? 'python3');
  test(`conformance (${runtime}) total: ${summary}`, (t) => {
    t.log(summary);
    t.regex(summary, /^conformance: \d+\/\d+/);
  });
  for (const [id, count] of matched) {
    const floor = ratchet[runtime][id] ?? 0;
    test(`conformance (${runtime}) ${id}: ${count} matching, ratchet ${floor}`, (t) => {
      const mine = failures.filter((l) => l.startsWith(`FAIL ${id}/`));
      if (mine.length > 0) t.log(mine.join('\n'));
      t.true(count >= floor, `${id}: ${count} requests match, ratchet says at least ${floor}`);
    });
  }
}

// Runs the conformance oracle's run_against.py with a serve command and counts, per scenario, the
// requests that match their recorded answers (scenario size minus its FAIL lines).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { oracleDir } from './paths.js';
import { claimPort } from './ports.js';

export interface OracleRun {
  readonly matched: ReadonlyMap<string, number>;
  readonly failures: readonly string[];
  readonly summary: string;
}

/**
 * Async, so a direct run and a round trip can go side by side. Each run claims a port of its own
 * (test/helpers/ports.ts) for all its scenarios: the oracle's own choice, bind(0) then close, let two
 * runs get the same port now and then, and one scenario's requests reached the other's server.
 */
export async function runOracle(runtime: 'js' | 'python', command: string, python: string, only?: string): Promise<OracleRun> {
  const { port, release } = await claimPort();
  const child = spawn('python3', [path.join(oracleDir, 'run_against.py'), '--runtime', runtime, '--settle', '0.2', '--port', String(port), '--cmd', command, ...(only ? ['--only', only] : [])], {
    env: { ...process.env, PATH: `${path.dirname(python)}:${process.env['PATH'] ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  await new Promise<void>((resolve) => child.on('close', () => resolve())).finally(release);
  const lines = stdout.split('\n');
  const failures = lines.filter((l) => l.startsWith('FAIL '));
  const matched = new Map<string, number>();
  for (const name of readdirSync(path.join(oracleDir, 'scenarios')).sort()) {
    if (!name.endsWith('.json') || (only && name !== `${only}.json`)) continue;
    const scenario = JSON.parse(readFileSync(path.join(oracleDir, 'scenarios', name), 'utf8')) as { id: string; requests: unknown[] };
    matched.set(scenario.id, scenario.requests.length - failures.filter((l) => l.startsWith(`FAIL ${scenario.id}/`)).length);
  }
  const summary = lines.find((l) => l.startsWith('conformance:')) ?? `harness output: ${stdout}${stderr}`;
  return { matched, failures, summary };
}

// Runs the conformance oracle's run_against.py with a serve command and counts, per scenario, the
// requests that match their recorded answers (scenario size minus its FAIL lines).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { oracleDir } from './paths.js';

export interface OracleRun {
  readonly matched: ReadonlyMap<string, number>;
  readonly failures: readonly string[];
  readonly summary: string;
}

/** The lowest port the kernel hands out for bind(0) and outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A port for one oracle run (all its scenarios, one after the other). The oracle's own choice, bind(0)
 * then close, let two runs side by side (this file's, or another test file's) get the same port now and
 * then: one scenario's server failed to bind and its requests reached the other's. So: a port below the
 * kernel's ephemeral range (no bind(0) or client socket takes it), claimed with a lock file that every
 * test process checks, and free when claimed.
 */
async function claimPort(): Promise<{ port: number; release: () => void }> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    const lock = path.join(os.tmpdir(), `scriptalias-oracle-port-${port}`);
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      continue; // another run holds it (or a crashed one left it: there are thousands more)
    }
    if (await canBind(port)) return { port, release: () => rmSync(lock, { force: true }) };
    rmSync(lock, { force: true });
  }
  throw new Error('no port for the conformance oracle below the ephemeral range');
}

/** Async, so a direct run and a round trip can go side by side (each run claims a port of its own). */
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

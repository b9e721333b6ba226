// wrk (Debian's package; .ci/run installs it) as a child: started with teardown registered, its
// summary parsed into the counts the load tests assert on.
import { spawn, spawnSync } from 'node:child_process';
import { setPriority } from 'node:os';
import type { ExecutionContext } from 'ava';

export const hasWrk = spawnSync('wrk', ['--version']).error === undefined;

export interface WrkResult {
  readonly code: number | null;
  /** wrk's whole summary, for t.log. */
  readonly out: string;
  readonly requests: number;
  /** "Non-2xx or 3xx responses", 0 when wrk printed none. */
  readonly non2xx: number;
  /** What follows "Socket errors: ", or null when wrk printed no such line. */
  readonly socketErrors: string | null;
  /** connect + read + write + timeout errors. */
  readonly socketErrorCount: number;
}

/**
 * Starts `wrk args…`; `done` resolves with its parsed summary when it exits. `nice` (0–19) lowers
 * wrk's CPU priority: it still loads an otherwise idle machine fully, but gives way to the processes
 * under test (and the test's own probes) when the suite's other files keep the cores busy.
 */
export function startWrk(t: ExecutionContext, args: readonly string[], nice = 0): { done: Promise<WrkResult> } {
  const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  if (nice > 0 && wrk.pid !== undefined) setPriority(wrk.pid, nice);
  t.teardown(() => wrk.kill('SIGKILL'));
  let out = '';
  wrk.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const done = new Promise<WrkResult>((resolve) => wrk.once('close', (code) => {
    const socketErrors = /Socket errors: (.*)/.exec(out)?.[1] ?? null;
    resolve({
      code, out,
      requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      socketErrors,
      socketErrorCount: [...(socketErrors ?? '').matchAll(/(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0),
    });
  }));
  return { done };
}

/** Runs `wrk args…` to its end. */
export function runWrk(t: ExecutionContext, args: readonly string[]): Promise<WrkResult> {
  return startWrk(t, args).done;
}

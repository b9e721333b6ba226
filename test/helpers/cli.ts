// The CLI as a child process: `scriptalias serve` started for real, resolved once it logs that it
// listens (its JSON log line carries the URL), killed at teardown if the test left it running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { repoRoot } from './paths.js';

export const cliPath = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

export async function startCli(t: ExecutionContext, file: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, url } = await serveCli(t, [file, '--no-watch']);
  return { child, url };
}

export interface LogEntry { readonly msg?: string; readonly code?: string; readonly url?: string; readonly [field: string]: unknown }

/** A serve child's JSON log lines, kept and waited on as they arrive (an event, never a poll). */
export class LogLines {
  readonly entries: LogEntry[] = [];
  readonly #waiters = new Set<{ test: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }>();

  push(entry: LogEntry): void {
    this.entries.push(entry);
    for (const waiter of this.#waiters) {
      if (waiter.test(entry)) { this.#waiters.delete(waiter); waiter.resolve(entry); }
    }
  }

  /** The first line from index `from` on that passes `test`; rejects after limitMs. */
  next(test: (e: LogEntry) => boolean, from = 0, limitMs = 15_000): Promise<LogEntry> {
    const seen = this.entries.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve: (e: LogEntry) => { clearTimeout(timer); resolve(e); } };
      const timer = setTimeout(() => { this.#waiters.delete(waiter); reject(new Error(`no log line matched within ${limitMs} ms; lines: ${JSON.stringify(this.entries.slice(from))}`)); }, limitMs);
      this.#waiters.add(waiter);
    });
  }
}

/** `scriptalias serve ARGS` with JSON logs (a pipe, so JSON): resolved once it listens. */
export async function serveCli(t: ExecutionContext, args: readonly string[]): Promise<{ child: ChildProcess; url: string; logs: LogLines; stderr: () => string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const logs = new LogLines();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { logs.push(JSON.parse(line) as LogEntry); } catch { /* not a log line */ }
  });
  // One process, or a cluster's primary ("scriptalias listening (cluster)").
  const listening = logs.next((e) => typeof e.msg === 'string' && e.msg.startsWith('scriptalias listening') && typeof e.url === 'string', 0, 30_000);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`))));
  exited.catch(() => undefined); // after it listens, an exit is the test's business
  const entry = await Promise.race([listening, exited]);
  return { child, url: entry.url as string, logs, stderr: () => stderr };
}

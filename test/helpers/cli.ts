// The CLI as a child process: `scriptalias serve` started for real, resolved once it logs that it
// listens (its JSON log line carries the URL), killed at teardown if the test left it running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { repoRoot } from './paths.js';

export const cliPath = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

export async function startCli(t: ExecutionContext, file: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', file, '--no-watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { url?: string; msg?: string };
        if (entry.msg === 'scriptalias listening' && entry.url) resolve(entry.url);
      } catch { /* not a log line */ }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

// What a running `serve` recorded at start (its status socket, pid), keyed by the config file's
// absolute path, so `scriptalias status` and `reload` find it while the file on disk is broken.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServeState {
  readonly configFile: string;
  readonly pid: number;
  readonly statusSocket: string | null;
  readonly metrics: string | null;
  readonly startedAt: string;
}

/** A private folder per user: $XDG_RUNTIME_DIR/scriptalias, else <tmp>/scriptalias-<uid>. */
export function stateDir(): string {
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  return runtimeDir ? path.join(runtimeDir, 'scriptalias') : path.join(os.tmpdir(), `scriptalias-${process.getuid?.() ?? 'user'}`);
}

/** Keyed by the config file's absolute path, or by the source URL (etcd://…) as given. */
export function stateFile(configFile: string): string {
  const source = /^[a-z][a-z0-9+.-]*:\/\//.test(configFile) ? configFile : path.resolve(configFile);
  const key = createHash('sha256').update(source).digest('hex').slice(0, 32);
  return path.join(stateDir(), `${key}.json`);
}

export function writeState(state: ServeState): string {
  const file = stateFile(state.configFile);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write then rename: a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

/** The state of a live serve process for this config, or null (none recorded, or its process is gone). */
export function readState(configFile: string): ServeState | null {
  let state: ServeState;
  try {
    state = JSON.parse(readFileSync(stateFile(configFile), 'utf8')) as ServeState;
  } catch {
    return null;
  }
  try {
    process.kill(state.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return null;
  }
  return state;
}

/** Removes the record if it is still this process's. */
export function removeState(configFile: string, pid = process.pid): void {
  const file = stateFile(configFile);
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as ServeState;
    if (state.pid === pid) rmSync(file, { force: true });
  } catch { /* gone already */ }
}

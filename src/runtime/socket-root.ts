// The proxy's socket root: a private folder in the temp directory (short path: Unix socket paths
// are limited to 107 bytes) with an owner.pid naming this process. A proxy killed with SIGKILL
// cannot remove its folder, so each start sweeps the folders it can prove are a dead proxy's.
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SOCKET_ROOT_PREFIX = 'sa-';
export const OWNER_FILE = 'owner.pid';

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and ')': count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Creates the folder (0700) and its owner.pid: "<pid> <start time>". */
export function createSocketRoot(tmp = os.tmpdir()): string {
  const root = mkdtempSync(path.join(tmp, SOCKET_ROOT_PREFIX));
  writeFileSync(path.join(root, OWNER_FILE), `${process.pid} ${startTime(process.pid) ?? ''}\n`, { mode: 0o600 });
  return root;
}

/** True only when the owner file proves its process gone: no such pid, or the pid now belongs to a
 *  process started at another time (reused). Anything unreadable or odd counts as alive. */
function ownerIsDead(root: string): boolean {
  let text: string;
  try {
    text = readFileSync(path.join(root, OWNER_FILE), 'utf8');
  } catch {
    return false; // no owner file: not provably ours (an older proxy, or someone else's sa-* folder)
  }
  const m = /^(\d+) (\d*)\n$/.exec(text);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, someone else's
  }
  const now = startTime(pid);
  return m[2] !== '' && now !== null && now !== m[2];
}

/**
 * Removes `sa-*` folders in `tmp` that this uid owns (a real folder, not a link) and whose
 * owner.pid names a process that no longer runs. Returns the removed paths; never throws.
 */
export function sweepDeadSocketRoots(tmp = os.tmpdir(), keep?: string): string[] {
  const removed: string[] = [];
  const uid = process.geteuid?.() ?? -1;
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(SOCKET_ROOT_PREFIX)) continue;
    const root = path.join(tmp, name);
    if (root === keep) continue;
    try {
      const stat = lstatSync(root);
      if (!stat.isDirectory() || stat.uid !== uid) continue;
      if (!ownerIsDead(root)) continue;
      rmSync(root, { recursive: true, force: true });
      removed.push(root);
    } catch { /* raced with its owner or another sweeper: leave it */ }
  }
  return removed;
}

// What the bench scripts read from /proc about the processes they start: CPU time and the process tree.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second (/proc times are in these). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process (or, with task = `/task/<tid>`, one of its threads), in clock ticks. */
export function cpuTicks(pid, task = '') {
  const f = statAfterName(`/proc/${pid}${task}/stat`);
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
}

/** The pids whose parent is `pid`. */
export function childrenOf(pid) {
  return [...parents()].filter(([, parent]) => parent === pid).map(([child]) => child);
}

/** `root` and every process below it, root first. */
export function family(root) {
  const parent = parents();
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** The fields of a stat file after the command name (which may hold spaces and parentheses). */
function statAfterName(file) {
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function parents() {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { parent.set(Number(d), Number(statAfterName(`/proc/${d}/stat`)[1])); } catch { /* gone */ }
  }
  return parent;
}

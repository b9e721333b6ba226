// The sweep's proof of death, in a private temp folder: a gone pid, or a live pid started at another
// time (reused), counts as dead; our own pid, a live owner, a missing or odd owner.pid, links and
// other prefixes never do.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/proxy.js';
import { createSocketRoot, sweepDeadSocketRoots } from '../../src/runtime/socket-root.js';

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

test('only provably dead owners are swept', (t) => {
  const tmp = tempDir(t);
  const root = (name: string, owner: string | null): string => {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    if (owner !== null) writeFileSync(path.join(dir, 'owner.pid'), owner);
    return dir;
  };
  const gone = root('sa-gone', '2147483646 123\n');
  const reused = root('sa-reused', `1 ${Number(startTimeOf(1)) + 1}\n`);
  const alive = root('sa-alive', `1 ${startTimeOf(1)}\n`);
  const aliveNoTime = root('sa-alive-notime', '1 \n');
  const ours = root('sa-ours', `${process.pid} 1\n`);
  const noOwner = root('sa-none', null);
  const odd = root('sa-odd', 'x\n');
  const otherPrefix = root('xx-gone', '2147483646 123\n');
  symlinkSync(gone, path.join(tmp, 'sa-link'));
  const mine = createSocketRoot(tmp);
  t.regex(readFileSync(path.join(mine, 'owner.pid'), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`));

  const removed = sweepDeadSocketRoots(tmp, mine).sort();
  t.deepEqual(removed, [gone, reused].sort());
  for (const kept of [alive, aliveNoTime, ours, noOwner, odd, otherPrefix, mine]) t.true(existsSync(kept), kept);
});

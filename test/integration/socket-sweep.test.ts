// Socket folders left behind: a `scriptalias serve` killed with SIGKILL cannot remove its socket
// folder; the next proxy to start removes it (its owner.pid names a dead process), and never touches
// a live proxy's folder, a folder without owner.pid, or one whose owner still runs.
import test, { type ExecutionContext } from 'ava';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { startCli } from '../helpers/cli.js';
import { startProxy, tempDir, json } from '../helpers/proxy.js';
import { waitFor } from '../helpers/events.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

/** Starts `scriptalias serve` with a named group (so its folder holds sockets) and waits until it listens. */
async function startServe(t: ExecutionContext, dir: string): Promise<{ child: ChildProcess; url: string }> {
  copyFileSync(fixture('pool', 'report.cjs'), path.join(dir, 'report.cjs'));
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
    processGroups: { g: { processes: 1 } },
    scriptAlias: [{ url: '/r', path: 'report.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }));
  return startCli(t, file);
}

/** The socket root whose owner.pid names `pid`. */
function socketRootOf(pid: number): string | undefined {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith('sa-')) continue;
    try {
      if (readFileSync(path.join(os.tmpdir(), name, 'owner.pid'), 'utf8').startsWith(`${pid} `)) return path.join(os.tmpdir(), name);
    } catch { /* not a socket root */ }
  }
  return undefined;
}

/** A fake sa-* folder in the temp directory, removed at teardown if it survives. */
function fakeRoot(t: ExecutionContext, owner: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sa-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  if (owner !== null) writeFileSync(path.join(dir, 'owner.pid'), owner);
  return dir;
}

test('after kill -9 of a serve, the next proxy start removes its socket folder; a live proxy\'s folder and unprovable folders stay', async (t) => {
  const dead = await startServe(t, tempDir(t));
  const live = await startServe(t, tempDir(t));
  t.is((await json(dead.url, '/r')).status, 200, 'the group\'s worker made its socket');
  const deadRoot = socketRootOf(dead.child.pid!);
  const liveRoot = socketRootOf(live.child.pid!);
  t.truthy(deadRoot);
  t.truthy(liveRoot);
  t.true(readdirSync(deadRoot!).length > 1, 'the folder holds more than owner.pid');

  // Folders the sweep cannot prove dead: no owner.pid; a live owner (pid 1); garbage in owner.pid.
  const noOwner = fakeRoot(t, null);
  const liveOwner = fakeRoot(t, '1 \n');
  const garbage = fakeRoot(t, 'not a pid\n');

  dead.child.kill('SIGKILL');
  await once(dead.child, 'exit');
  t.true(existsSync(deadRoot!), 'SIGKILL leaves the folder behind');

  // A proxy that starts now sweeps it.
  const next = await startProxy(t, { plugins: { scriptalias: { scriptAlias: [] } } });
  t.truthy(next.url);
  t.false(existsSync(deadRoot!), 'the dead proxy\'s folder is gone');
  t.true(existsSync(liveRoot!), 'a live proxy\'s folder is never touched');
  t.is((await json(live.url, '/r')).status, 200, 'and the live proxy keeps serving through its sockets');
  for (const kept of [noOwner, liveOwner, garbage]) t.true(existsSync(kept), kept);
  t.truthy(socketRootOf(process.pid), 'the new proxy wrote its own owner.pid');
});

test('a clean shutdown removes the proxy\'s own folder', async (t) => {
  const served = await startServe(t, tempDir(t));
  const root = socketRootOf(served.child.pid!);
  t.truthy(root);
  served.child.kill('SIGTERM');
  await once(served.child, 'exit');
  await waitFor('the folder to go', () => (existsSync(root!) ? undefined : true));
  t.pass();
});

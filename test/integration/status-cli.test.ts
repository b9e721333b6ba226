// `scriptalias status` for people and programs: the table of a running 2-group proxy, `--json`, both
// while the config file on disk is broken (found through what serve recorded at start); a second
// serve on a live status socket refuses (and leaves the socket alone); check wants its folder.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { startCli } from '../helpers/cli.js';
import { tempDir, request } from '../helpers/proxy.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

function writeConfig(dir: string, scriptalias: Record<string, unknown>): string {
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias } }, null, 2));
  return file;
}


function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

interface StatusJson {
  generation: number;
  configFile: string;
  lastReload: { applied: boolean } | null;
  executors: Record<string, { processGroup: string; processes: Array<{ pid: number; state: string }> }>;
}

test('status: a table of a running 2-group proxy, --json, both with a broken config on disk; a second serve refuses', async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const file = writeConfig(dir, {
    statusSocket: 'admin.sock',
    processGroups: { alpha: { processes: 2, threads: 2 }, beta: { processes: 1, threads: 4 } },
    scriptAlias: [
      { url: '/a', path: 'app.js', processGroup: 'alpha', applicationGroup: '%{GLOBAL}' },
      { url: '/b', path: 'app.js', processGroup: 'beta', applicationGroup: '%{GLOBAL}' },
    ],
  });
  const { child, url } = await startCli(t, file);
  for (let i = 0; i < 3; i++) t.is((await request(url, '/a')).status, 200);
  t.is((await request(url, '/b')).status, 200);

  const asJson = run('status', file, '--json');
  t.is(asJson.status, 0, asJson.stderr);
  const status = JSON.parse(asJson.stdout) as StatusJson;
  const pids = Object.values(status.executors).flatMap((e) => e.processes.map((p) => p.pid));
  t.is(pids.length, 3);

  const table = run('status', file);
  t.is(table.status, 0, table.stderr);
  t.regex(table.stdout, /^GROUP\s+KIND\s+PID\s+STATE\s+SLOTS\s+QUEUE\s+SERVED\s+RESTARTS\s+RSS MiB\s+UPTIME/m);
  t.regex(table.stdout, /^alpha\s+process-group node\s+ready\s+0\/4\s+0\s+3\s+0/m);
  t.regex(table.stdout, /^beta\s+process-group node\s+ready\s+0\/4\s+0\s+1\s+0/m);
  for (const pid of pids) t.regex(table.stdout, new RegExp(`^  slot \\d\\s+${pid}\\s+ready\\s+0/\\d\\s+\\d+\\s+\\d+\\.\\d\\s+\\d+s`, 'm'));
  t.true(table.stdout.includes(`generation 1  config ${file}`), table.stdout);
  t.regex(table.stdout, /last reload: none since start/);

  // A second serve of the same config finds the socket live: refuses, one coded line, socket kept.
  const second = run('serve', file, '--no-watch');
  t.is(second.status, 1);
  t.regex(second.stderr, /SA_ERR_OPS_STATUS_SOCKET_IN_USE/);
  t.is(second.stderr.trim().split('\n').length, 1, second.stderr);
  t.true(existsSync(path.join(dir, 'admin.sock')));
  t.is(run('status', file, '--json').status, 0, 'the first proxy still answers');

  // The config on disk breaks: status (table and JSON) still work; reload reports the failure.
  writeFileSync(file, '{ "plugins": { "scriptalias": ');
  const reload = run('reload', file);
  t.is(reload.status, 1, 'a rejected reload exits 1');
  t.regex(reload.stderr, /reload rejected, the previous config keeps serving: .*SA_ERR_CONFIG_JSON/);
  const brokenJson = run('status', file, '--json');
  t.is(brokenJson.status, 0, brokenJson.stderr);
  t.like(JSON.parse(brokenJson.stdout) as StatusJson, { generation: 1, lastReload: { applied: false } });
  const brokenTable = run('status', file);
  t.is(brokenTable.status, 0, brokenTable.stderr);
  t.regex(brokenTable.stdout, /last reload: failed: .*SA_ERR_CONFIG_JSON.*\(still serving generation 1\)/);
  t.regex(brokenTable.stdout, /^alpha\s/m);

  child.kill('SIGTERM');
  await once(child, 'exit');
  // Stopped: nothing recorded any more, and the broken config cannot name a socket.
  const after = run('status', file);
  t.not(after.status, 0);
});

test('check: the statusSocket folder must exist and be writable', (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('cli', 'app.js'), path.join(dir, 'app.js'));
  const file = writeConfig(dir, { statusSocket: 'missing/admin.sock', scriptAlias: [{ url: '/a', path: 'app.js' }] });
  const out = run('check', file);
  t.is(out.status, 2);
  t.regex(out.stderr, /SA_ERR_CONFIG_STATUS_SOCKET_DIR/);
  t.true(out.stderr.includes(path.join(dir, 'missing')), out.stderr);
  writeConfig(dir, { statusSocket: 'admin.sock', scriptAlias: [{ url: '/a', path: 'app.js' }] });
  t.is(run('check', file).status, 0);
});

// Per-group Unix users (mod_wsgi's WSGIDaemonProcess user= group=) through the real proxy, as root:
// each group's workers (Node and Python) run as their own throw-away user with no supplementary
// groups, their sockets are 0600 in a 0700 folder of that user, and neither user can connect to the
// other's socket. `check` refuses unknown users/groups and a non-root proxy at the key's pointer.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startProxy, tempDir, writeTree, json } from '../helpers/proxy.js';
import { repoRoot } from '../helpers/paths.js';
import { pythonApp } from '../helpers/python.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
const PYTHON = '/usr/bin/python3'; // Debian's, readable by any user (a pyenv shim under /root is not)
const isRoot = process.geteuid?.() === 0;
const NOT_ROOT = 'these tests switch users and must run as root (CI runs as root)';

interface Account { name: string; uid: number; gid: number }

/** A throw-away system user, removed at teardown. */
function createUser(t: ExecutionContext): Account {
  const name = `sa-test-${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  t.teardown(() => { spawnSync('userdel', [name]); });
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' })));
  return { name, uid: uid!, gid: gid! };
}

/** A temp folder the workers' users can read (mkdtemp makes it 0700). */
function sharedDir(t: ExecutionContext): string {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  return dir;
}

const NODE_ID = `const { execFileSync } = require('node:child_process');
function application(req, res) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
    idU: Number(execFileSync('id', ['-u'], { encoding: 'utf8' })), idG: execFileSync('id', ['-G'], { encoding: 'utf8' }).trim().split(' ').map(Number),
    home: process.env.HOME, user: process.env.USER, pid: process.pid,
  }));
}
module.exports = { application };
`;

const PY_ID = pythonApp('unix-id');

interface IdReport { uid: number; gid: number; groups: number[]; idU: number; idG: number[]; home: string; user: string; pid: number }

/** Socket files of this process's proxies (owner.pid names us) whose owner is `uid`. */
function socketsOf(uid: number): string[] {
  const found: string[] = [];
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith('sa-')) continue;
    const root = path.join(os.tmpdir(), name);
    try {
      if (!readFileSync(path.join(root, 'owner.pid'), 'utf8').startsWith(`${process.pid} `)) continue;
    } catch { continue; }
    for (const sub of readdirSync(root)) {
      const dir = path.join(root, sub);
      if (!lstatSync(dir).isDirectory()) continue;
      for (const file of readdirSync(dir)) {
        const stat = lstatSync(path.join(dir, file));
        if (stat.isSocket() && stat.uid === uid) found.push(path.join(dir, file));
      }
    }
  }
  return found;
}

/** Connects to a Unix socket as `account`; the child prints "connected" or the error code. Async, so
 *  the proxy in this process keeps serving; a generous limit for a loaded CI machine. */
async function connectAs(account: Account, socket: string): Promise<string> {
  const code = `require('node:net').connect(${JSON.stringify(socket)}).on('connect', function () { console.log('connected'); this.destroy(); }).on('error', (e) => console.log(e.code));`;
  const child = spawn(process.execPath, ['-e', code], { uid: account.uid, gid: account.gid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const [status, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return out.trim() || `no output (exit ${status}, signal ${signal})`;
}

test('two groups, two users: workers (Node and Python) run as their user with no supplementary groups; neither user reaches the other\'s socket', async (t) => {
  if (!isRoot) { t.fail(NOT_ROOT); return; }
  if (!existsSync(PYTHON)) { t.fail(`${PYTHON} is missing (install python3)`); return; }
  const a = createUser(t);
  const b = createUser(t);
  const dir = sharedDir(t);
  writeTree(dir, { 'id.cjs': NODE_ID, 'id.wsgi': PY_ID });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python: PYTHON,
    processGroups: {
      ga: { processes: 1, threads: 2, user: a.name },
      gb: { processes: 1, threads: 2, user: String(b.uid), runtime: 'python', python: PYTHON },
    },
    scriptAlias: [
      { url: '/a', path: 'id.cjs', processGroup: 'ga', applicationGroup: '%{GLOBAL}' },
      { url: '/b', path: 'id.wsgi', processGroup: 'gb', applicationGroup: '%{GLOBAL}' },
      { url: '/self', path: 'id.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
    ],
  } } }, dir);

  const [ra, rb, self] = await Promise.all(['/a', '/b', '/self'].map((p) => json<IdReport>(proxy.url, p)));
  t.is(ra!.status, 200);
  t.is(rb!.status, 200);
  for (const [report, account] of [[ra!.body, a], [rb!.body, b]] as const) {
    t.is(report.uid, account.uid);
    t.is(report.idU, account.uid, '`id -u` from the script');
    t.is(report.gid, account.gid, 'the user\'s primary group');
    t.deepEqual([...new Set(report.idG)], [account.gid], 'supplementary groups cleared: not even root\'s group 0');
    t.false(report.groups.includes(0));
    t.is(report.user, account.name);
  }
  t.is(self!.body.uid, 0, 'the global group stays the proxy\'s');

  // Sockets: 0600, in a 0700 folder owned by that user, under a root folder others may only traverse.
  const socketsA = socketsOf(a.uid);
  const socketsB = socketsOf(b.uid);
  t.true(socketsA.length >= 1 && socketsB.length >= 1, `sockets found: ${socketsA} / ${socketsB}`);
  for (const [socket, account] of [...socketsA.map((s) => [s, a] as const), ...socketsB.map((s) => [s, b] as const)]) {
    t.is(lstatSync(socket).mode & 0o777, 0o600, socket);
    const folder = lstatSync(path.dirname(socket));
    t.is(folder.mode & 0o777, 0o700);
    t.is(folder.uid, account.uid);
    t.is(lstatSync(path.dirname(path.dirname(socket))).mode & 0o777, 0o711);
  }
  // Each user reaches its own socket (the probe works) and never the other's.
  t.is(await connectAs(a, socketsA[0]!), 'connected');
  t.is(await connectAs(b, socketsB[0]!), 'connected');
  t.is(await connectAs(a, socketsB[0]!), 'EACCES');
  t.is(await connectAs(b, socketsA[0]!), 'EACCES');
});

test('group= alone switches only the group: uid stays the proxy\'s, gid is that group, no supplementary groups', async (t) => {
  if (!isRoot) { t.fail(NOT_ROOT); return; }
  const a = createUser(t);
  const dir = sharedDir(t);
  writeTree(dir, { 'id.cjs': NODE_ID });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    processGroups: { g: { group: a.name } },
    scriptAlias: [{ url: '/g', path: 'id.cjs', processGroup: 'g', applicationGroup: '%{GLOBAL}' }],
  } } }, dir);
  const r = await json<IdReport>(proxy.url, '/g');
  t.is(r.status, 200);
  t.is(r.body.uid, 0);
  t.is(r.body.gid, a.gid);
  t.deepEqual([...new Set(r.body.idG)], [a.gid]);
});

function check(file: string, as?: Account): { status: number | null; stderr: string } {
  const out = spawnSync(process.execPath, [cli, 'check', file], { encoding: 'utf8', cwd: '/', ...(as && { uid: as.uid, gid: as.gid }) });
  return { status: out.status, stderr: out.stderr };
}

function writeConfig(dir: string, groups: Record<string, unknown>): string {
  writeFileSync(path.join(dir, 'app.js'), 'module.exports = { application: (req, res) => res.end("ok") };\n');
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy: { port: 0 }, plugins: { scriptalias: {
    processGroups: groups, scriptAlias: [{ url: '/x', path: 'app.js', processGroup: Object.keys(groups)[0] }],
  } } }));
  chmodSync(file, 0o644);
  return file;
}

test('check: an unknown user or group is SA_ERR_CONFIG_UNIX_USER at its pointer', (t) => {
  if (!isRoot) { t.fail(NOT_ROOT); return; }
  const dir = sharedDir(t);
  const missing = `sa-nobody-${randomBytes(4).toString('hex')}`;
  const out = check(writeConfig(dir, { g: { user: missing, group: missing } }));
  t.is(out.status, 2, out.stderr);
  t.regex(out.stderr, /\/plugins\/scriptalias\/processGroups\/g\/user[^\n]*SA_ERR_CONFIG_UNIX_USER|SA_ERR_CONFIG_UNIX_USER[^\n]*\/plugins\/scriptalias\/processGroups\/g\/user/);
  t.regex(out.stderr, /\/plugins\/scriptalias\/processGroups\/g\/group[^\n]*SA_ERR_CONFIG_UNIX_USER|SA_ERR_CONFIG_UNIX_USER[^\n]*\/plugins\/scriptalias\/processGroups\/g\/group/);
  t.is(check(writeConfig(dir, { g: { user: 'root' } })).status, 0, 'an existing user passes as root');
});

test('check: a proxy that is not root cannot switch users (SA_ERR_CONFIG_NOT_ROOT at the pointer); its own user is fine', (t) => {
  if (!isRoot) { t.fail(NOT_ROOT); return; }
  const a = createUser(t);
  const b = createUser(t);
  const dir = sharedDir(t);
  const other = check(writeConfig(dir, { g: { user: b.name } }), a);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /SA_ERR_CONFIG_NOT_ROOT/);
  t.regex(other.stderr, /\/plugins\/scriptalias\/processGroups\/g\/user/);
  const own = check(writeConfig(dir, { g: { user: a.name } }), a);
  t.is(own.status, 0, own.stderr);
});

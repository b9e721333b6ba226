// Issue 15 item 5: the CLI as a person meets it. A usage error (unknown flag or command, bad
// --log-level/--log-format) is one coded line and the usage, exit 2, never a stack; a busy port is
// one line naming the address, exit 1; `reload` prints what changed and exits 3 when a change needs
// a restart. Item 4: logs are JSON when stdout is not a terminal, pretty with --log-format pretty.
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { tempDir } from '../helpers/proxy.js';

const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');

function writeConfig(dir: string, scriptalias: Record<string, unknown>, proxy: Record<string, unknown> = { port: 0, host: '127.0.0.1' }): string {
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, JSON.stringify({ proxy, plugins: { scriptalias } }, null, 2));
  return file;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const usage = run(['--help']).stdout;

const USAGE_ERRORS: ReadonlyArray<[string, string[], RegExp]> = [
  ['an unknown flag', ['serve', 'x.json', '--bogus'], /^scriptalias: Unknown option '--bogus' \[SA_ERR_CLI_USAGE\]$/],
  ['a bad --log-level', ['serve', 'x.json', '--log-level', 'loud'], /^scriptalias: --log-level must be one of .*, not 'loud' \[SA_ERR_CLI_USAGE\]$/],
  ['a bad --log-format', ['serve', 'x.json', '--log-format', 'xml'], /^scriptalias: --log-format must be pretty or json, not 'xml' \[SA_ERR_CLI_USAGE\]$/],
  ['a bad --port', ['serve', 'x.json', '--port', 'http'], /^scriptalias: --port must be 0-65535, not 'http' \[SA_ERR_CLI_USAGE\]$/],
  ['an unknown command', ['frob', 'x.json'], /^scriptalias: unknown command 'frob' \[SA_ERR_CLI_USAGE\]$/],
  ['a missing config file argument', ['check'], /^scriptalias: check needs the config file: .* \[SA_ERR_CLI_USAGE\]$/],
  ['an extra argument', ['check', 'x.json', 'y.json'], /^scriptalias: unexpected argument 'y.json' \[SA_ERR_CLI_USAGE\]$/],
];

for (const [what, args, line] of USAGE_ERRORS) {
  test(`${what}: one coded line plus the usage, exit 2, no stack`, (t) => {
    const out = run(args);
    t.is(out.status, 2);
    t.is(out.stdout, '');
    t.true(out.stderr.endsWith(usage), out.stderr);
    const before = out.stderr.slice(0, out.stderr.length - usage.length);
    t.regex(before, /^[^\n]*\n$/, 'exactly one line before the usage');
    t.regex(before.trimEnd(), line);
    t.false(/\n\s+at /.test(out.stderr), 'no stack');
  });
}

test('a busy port: one line naming the address, exit 1', async (t) => {
  const blocker = net.createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const dir = tempDir(t);
  copyFileSync(fixture('access', 'hello.cjs'), path.join(dir, 'hello.cjs'));
  const file = writeConfig(dir, { scriptAlias: [{ url: '/hello', path: 'hello.cjs' }] }, { port, host: '127.0.0.1' });
  const out = run(['serve', file, '--no-watch', '--log-level', 'warn']);
  t.is(out.status, 1);
  t.is(out.stderr, `scriptalias: cannot listen on 127.0.0.1:${port}: the address is already in use [SA_ERR_LISTEN_FAILED]\n`);
});

async function startCli(t: ExecutionContext, file: string, extra: string[] = []): Promise<{ child: ChildProcess; first: string }> {
  const child = spawn(process.execPath, [cli, 'serve', file, '--no-watch', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => { if (line.includes('scriptalias listening')) resolve(line); });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, first };
}

test('reload prints the groups and aliases it added, removed and changed, and exits 3 when a restart is needed', async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('access', 'hello.cjs'), path.join(dir, 'hello.cjs'));
  const base = {
    statusSocket: 'admin.sock',
    processGroups: { a: { processes: 1 }, b: { processes: 1 } },
    scriptAlias: [{ url: '/a', path: 'hello.cjs', processGroup: 'a' }, { url: '/b', path: 'hello.cjs', processGroup: 'b' }],
  };
  const file = writeConfig(dir, base);
  const { child } = await startCli(t, file);
  writeConfig(dir, {
    ...base,
    processGroups: { a: { processes: 2 }, c: { processes: 1 } },
    scriptAlias: [{ url: '/a', path: 'hello.cjs', processGroup: 'a' }, { url: '/b', path: 'hello.cjs', processGroup: 'c' }, { url: '/new', path: 'hello.cjs' }],
  });
  const changed = run(['reload', file]);
  t.is(changed.status, 0, changed.stderr);
  t.is(changed.stdout, [
    'reloaded: generation 2',
    '  groups added: c', '  groups removed: b', '  groups changed: a',
    '  aliases added: /new', '  aliases changed: /b', '',
  ].join('\n'));
  const same = run(['reload', file]);
  t.is(same.stdout, 'reloaded: generation 3, no group or alias changed\n');
  // A new port is recorded for the next start: exit 3.
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { proxy: { port: number } };
  writeFileSync(file, JSON.stringify({ ...raw, proxy: { ...raw.proxy, port: 1 } }));
  const restart = run(['reload', file]);
  t.is(restart.status, 3, restart.stdout + restart.stderr);
  t.regex(restart.stdout, /needs a restart to take effect: proxy\.port \[SA_ERR_RELOAD_NEEDS_RESTART\]\n$/);
  child.kill('SIGTERM');
  await once(child, 'exit');
});

test('logs are JSON when stdout is not a terminal and pretty with --log-format pretty', async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture('access', 'hello.cjs'), path.join(dir, 'hello.cjs'));
  const file = writeConfig(dir, { accessLog: false, scriptAlias: [{ url: '/hello', path: 'hello.cjs' }] });
  const json = await startCli(t, file);
  t.like(JSON.parse(json.first), { msg: 'scriptalias listening', level: 30 });
  json.child.kill('SIGTERM');
  await once(json.child, 'exit');
  const pretty = await startCli(t, file, ['--log-format', 'pretty']);
  t.regex(pretty.first, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(scriptalias\/\d+\): scriptalias listening$/);
  pretty.child.kill('SIGTERM');
  await once(pretty.child, 'exit');
});

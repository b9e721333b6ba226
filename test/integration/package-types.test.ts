// What a user gets from npm: `npm pack` the repo (built), install the tarball in a fresh project, and
// type-check a consumer with `--strict --skipLibCheck false`: a valid config compiles, a typo doesn't.
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/proxy.js';

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const OK_CONSUMER = `import { scriptAlias, loadConfig, type ProxyConfig, type ScriptAliasConfig, type ProcessGroupConfig,
  type ScriptAliasInfo, type ScriptAliasHandle, type ConfigSource } from 'redbird-scriptalias';
import type { Redbird } from 'redbird';
import type { IncomingMessage } from 'node:http';

const group: ProcessGroupConfig = { processes: 2, threads: 4 };
const block: ScriptAliasConfig = {
  processGroups: { app: group },
  scriptAlias: [{ url: '/x', path: 'x.js', processGroup: 'app' }, '/y scripts/y.js process-group=app'],
  accessLog: { format: 'combined', path: 'logs/access.log' },
};
const config: ProxyConfig = { proxy: { port: 0 }, routes: [], plugins: { scriptalias: block } };
const fromFile: ConfigSource = 'proxy.json';

export async function attach(proxy: Redbird): Promise<ScriptAliasHandle> {
  await loadConfig(fromFile);
  return scriptAlias(proxy, config);
}
export function scheme(req: IncomingMessage & { scriptAlias: ScriptAliasInfo }): string {
  return req.scriptAlias.urlScheme + ' ' + req.scriptAlias.scriptName + req.scriptAlias.pathInfo;
}
`;

const TYPO_CONSUMER = `import { scriptAlias } from 'redbird-scriptalias';
import type { Redbird } from 'redbird';

export const attach = (proxy: Redbird) =>
  scriptAlias(proxy, { plugins: { scriptalias: { scriptAlias: [{ url: '/x', pth: 'x' }] } } });
`;

function tsconfig(file: string): string {
  return JSON.stringify({
    compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'] },
    files: [file],
  });
}

/** tsc's diagnostics, minus those inside redbird's own .d.ts (not ours: they name http-proxy and pino's
 *  Logger, which redbird's published types get wrong under skipLibCheck false). */
function ourDiagnostics(output: string): string[] {
  return output.split('\n').filter((line) => /error TS\d+/.test(line) && !line.startsWith('node_modules/redbird/'));
}

const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network|proxy/i;

async function installPacked(t: ExecutionContext): Promise<string | null> {
  const dir = tempDir(t, 'sa-pack-');
  const pack = await run('npm', ['pack', '--silent', '--pack-destination', dir], repoRoot);
  if (pack.code !== 0) { t.fail(`npm pack failed:\n${pack.stderr}`); return null; }
  const tarball = path.join(dir, pack.stdout.trim().split('\n').pop()!);
  const project = path.join(dir, 'consumer');
  await run('mkdir', ['-p', project], dir);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // @types/node: the package's types name node:http/node:net, as any Node consumer's do.
  const install = await run('npm', ['install', '--no-audit', '--no-fund', tarball, 'typescript@5', '@types/node@20'], project);
  if (install.code !== 0) {
    const why = OFFLINE.test(install.stderr) ? 'npm cannot reach the registry (this test needs it)' : 'npm install of the packed tarball failed';
    t.fail(`${why}:\n${install.stderr.slice(-4000)}`);
    return null;
  }
  return project;
}

test('the packed package type-checks in a consumer (strict, skipLibCheck false) and rejects a config typo', async (t) => {
  t.timeout(300_000);
  const project = await installPacked(t);
  if (!project) return;
  const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');

  writeFileSync(path.join(project, 'ok.ts'), OK_CONSUMER);
  writeFileSync(path.join(project, 'tsconfig.ok.json'), tsconfig('ok.ts'));
  const ok = await run(process.execPath, [tsc, '-p', 'tsconfig.ok.json'], project);
  t.deepEqual(ourDiagnostics(ok.stdout + ok.stderr), [], `the valid consumer compiles:\n${ok.stdout}${ok.stderr}`);

  writeFileSync(path.join(project, 'typo.ts'), TYPO_CONSUMER);
  writeFileSync(path.join(project, 'tsconfig.typo.json'), tsconfig('typo.ts'));
  const typo = await run(process.execPath, [tsc, '-p', 'tsconfig.typo.json'], project);
  t.not(typo.code, 0, 'the consumer with "pth" does not compile');
  const errors = ourDiagnostics(typo.stdout + typo.stderr);
  t.true(errors.length > 0 && errors.every((line) => line.startsWith('typo.ts')), errors.join('\n'));
  t.regex(errors.join('\n'), /typo\.ts\(5,\d+\): error TS\d+: .*'pth' does not exist in type 'ScriptAliasEntry'/, 'the error names the typo');
});

// A `serve {config}` command for run_against.py that goes the long way round: the scenario's
// proxy.config.json → Apache httpd.conf by the oracle's own generator (record.py's httpd_conf) →
// `scriptalias import-apache` → `scriptalias serve` of the imported file. The import report goes to
// <config>.import-report; a failed import exits 1, which fails the scenario's requests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths.js';

const configFile = process.argv[2];
if (!configFile) {
  process.stderr.write('usage: roundtrip-serve.js PROXY_CONFIG_JSON\n');
  process.exit(2);
}
const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sa-roundtrip-'));
const conf = spawnSync(process.env['ROUNDTRIP_PYTHON'] ?? 'python3', [path.join(repoRoot, 'test', 'helpers', 'oracle_httpd_conf.py'), configFile, tmp], { encoding: 'utf8' });
if (conf.status !== 0) {
  process.stderr.write(`httpd_conf failed: ${conf.stderr}\n`);
  process.exit(1);
}
const httpdConf = path.join(tmp, 'httpd.conf');
writeFileSync(httpdConf, conf.stdout);
const imported = path.join(tmp, 'proxy.json');
const run = spawnSync(process.execPath, [cli, 'import-apache', httpdConf, '-o', imported], { encoding: 'utf8' });
writeFileSync(`${configFile}.import-report`, run.stderr);
if (run.status !== 0) {
  process.stderr.write(`import-apache failed (${run.status}):\n${run.stderr}\n`);
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
const child = spawn(process.execPath, [cli, 'serve', imported, '--no-watch', '--log-level', 'warn'], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});

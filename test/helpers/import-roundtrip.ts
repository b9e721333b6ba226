// The import-apache round trip on the conformance oracle, for one runtime: every scenario's config
// → the oracle's own Apache generator (record.py's httpd_conf) → `scriptalias import-apache` →
// `scriptalias serve` (test/helpers/roundtrip-serve.ts), run with the scenario's requests, beside a
// run of the scenario's own config. Each scenario must match as many requests both ways.
import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { oracleDir, repoRoot } from './paths.js';
import { findPython } from './python.js';
import { runOracle } from './oracle-run.js';

export function registerRoundTrip(runtime: 'js' | 'python'): void {
  const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
  const roundtrip = path.join(repoRoot, 'dist', 'test', 'helpers', 'roundtrip-serve.js');
  const python = findPython();
  if (python === null) {
    test(`import round trip (${runtime}) needs a python3`, (t) => t.fail('no python3 found (record.py\'s httpd_conf and run_against.py need one)'));
    return;
  }
  if (!existsSync(cli)) {
    test(`import round trip (${runtime}) needs the built CLI`, (t) => t.fail(`${cli} missing: run npm run build`));
    return;
  }
  // One test per scenario, one after the other: each runs the scenario's own config and its round
  // trip side by side, so results arrive every few seconds.
  for (const id of scenarioIds()) {
    test.serial(`import round trip (${runtime}) ${id}: the imported config matches as many requests as the direct one`, async (t) => {
      const [direct, imported] = await Promise.all([
        runOracle(runtime, `${process.execPath} ${cli} serve {config} --no-watch --log-level warn`, python, id),
        runOracle(runtime, `${process.execPath} ${roundtrip} {config}`, python, id),
      ]);
      if (imported.failures.length > 0) t.log(imported.failures.join('\n'));
      t.regex(imported.summary, /^conformance: \d+\/\d+/);
      t.is(imported.matched.get(id), direct.matched.get(id), `direct: ${direct.summary}; imported: ${imported.summary}`);
    });
  }
}

function scenarioIds(): string[] {
  return readdirSync(path.join(oracleDir, 'scenarios')).filter((n) => n.endsWith('.json')).sort().map((n) => n.slice(0, -'.json'.length));
}

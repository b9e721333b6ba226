// The README's error table is generated from src/errors.ts and must not drift from it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

test('README error table equals what scripts/error-table.js renders from the catalogue', (t) => {
  const rendered = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'error-table.js')], { encoding: 'utf8' });
  t.is(rendered.status, 0, rendered.stderr);
  t.regex(rendered.stdout, /^\| `SA_ERR_CONFIG_INVALID` \| exit 2 \|/m);
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = /<!-- error-table:start -->\n([\s\S]*?)<!-- error-table:end -->/.exec(readme);
  t.truthy(section, 'README has the error-table markers');
  t.is(section![1], rendered.stdout, 'run: npm run docs:errors');
});

// The README's config reference is generated from schema/ and must not drift from it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

test('README config reference equals what scripts/config-reference.js renders from the schema', (t) => {
  const rendered = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'config-reference.js')], { encoding: 'utf8' });
  t.is(rendered.status, 0, rendered.stderr);
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(readme);
  t.truthy(section, 'README has the config-reference markers');
  t.is(section![1], rendered.stdout, 'run: node scripts/config-reference.js --write');
});

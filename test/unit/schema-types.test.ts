// The config types and the bundled (self-contained) schema are generated from schema/ and must not
// drift from it; the bundled schema compiles in a plain Ajv with no second file; the types reject typos.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Redbird } from 'redbird';
import { repoRoot } from '../helpers/paths.js';
import { scriptAlias, type ProxyConfig, type ScriptAliasConfig, type ProcessGroupConfig, type ScriptAliasInfo } from '../../plugin/index.js';

const bundledFile = path.join(repoRoot, 'schema', 'proxy-config.bundled.schema.json');

function render(which: 'types' | 'bundled'): string {
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'schema-types.js'), '--print', which], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`scripts/schema-types.js --print ${which} failed: ${run.stderr}`);
  return run.stdout;
}

test('src/config/schema-types.ts equals what scripts/schema-types.js generates from the schema', (t) => {
  const committed = readFileSync(path.join(repoRoot, 'src', 'config', 'schema-types.ts'), 'utf8');
  t.is(committed, render('types'), 'run: node scripts/schema-types.js --write');
});

test('schema/proxy-config.bundled.schema.json equals what scripts/schema-types.js bundles', (t) => {
  t.is(readFileSync(bundledFile, 'utf8'), render('bundled'), 'run: node scripts/schema-types.js --write');
});

test('the bundled schema compiles in a fresh Ajv2020 on its own and validates examples/site/proxy.json', (t) => {
  const bundled = JSON.parse(readFileSync(bundledFile, 'utf8')) as Record<string, unknown>;
  t.notRegex(JSON.stringify(bundled), /"\$ref":"[^#]/, 'every $ref is local (no second file)');
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
  const validate = ajv.compile(bundled);
  const site = JSON.parse(readFileSync(path.join(repoRoot, 'examples', 'site', 'proxy.json'), 'utf8')) as unknown;
  t.true(validate(site), JSON.stringify(validate.errors));
  const typo = { plugins: { scriptalias: { scriptAlias: [{ url: '/x', pth: 'x' }] } } };
  t.false(validate(typo), 'an unknown key in an alias is rejected');
  // Even a default Ajv (strict, no allowUnionTypes) compiles it: it only logs about union types.
  t.notThrows(() => new Ajv2020({ logger: false }).compile(bundled));
});

test('the exported types: a valid config compiles, a typo does not (checked by tsc when the tests build)', (t) => {
  const group: ProcessGroupConfig = { processes: 2 };
  const block: ScriptAliasConfig = { processGroups: { app: group }, scriptAlias: [{ url: '/x', path: 'x.js' }, '/y y.js'] };
  const config: ProxyConfig = { proxy: { port: 0 }, plugins: { scriptalias: block } };
  const info: Pick<ScriptAliasInfo, 'scriptName' | 'urlScheme'> = { scriptName: '/x', urlScheme: 'https' };
  // Never called: only here so tsc checks the call's argument types.
  const typed = (proxy: Redbird): unknown => [
    scriptAlias(proxy, config),
    // @ts-expect-error -- "pth" is not a key of a script alias (the schema's "path")
    scriptAlias(proxy, { plugins: { scriptalias: { scriptAlias: [{ url: '/x', pth: 'x' }] } } }),
    // @ts-expect-error -- processes is a number
    scriptAlias(proxy, { plugins: { scriptalias: { processGroups: { app: { processes: 'two' } } } } }),
  ];
  t.is(typeof typed, 'function');
  t.is(info.urlScheme, 'https');
});

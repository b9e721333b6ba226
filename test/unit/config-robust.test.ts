// Config robustness (issue 11 item 8), one case per fix: unknown %{...} expansions, any nesting
// depth, duplicate keys and a bad proxy.cluster each give a coded issue at a pointer or line:column.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError, type ConfigIssue, type ConfigSource } from '../../plugin/index.js';
import { scanJson } from '../../src/config/json-scan.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/proxy.js';

const hello = path.join(repoRoot, 'examples', 'basic', 'scripts', 'hello.js');
const BLOCK = '/plugins/scriptalias';

async function issuesOf(t: Parameters<typeof tempDir>[0], text: string): Promise<readonly ConfigIssue[]> {
  const file = path.join(tempDir(t, 'sa-robust-'), 'proxy.json');
  writeFileSync(file, text);
  const err = await t.throwsAsync(loadConfig(file), { instanceOf: ConfigError });
  return err!.issues;
}

const config = (scriptalias: Record<string, unknown>, proxy: Record<string, unknown> = {}): string =>
  JSON.stringify({ proxy: { port: 0, ...proxy }, plugins: { scriptalias } }, null, 2);

test('unknown %{...} in a directive, an object entry and the defaults: SA_ERR_CONFIG_EXPANSION at each pointer', async (t) => {
  const issues = await issuesOf(t, config({
    defaults: { applicationGroup: '%{FOO}' },
    scriptAlias: [
      `/a ${hello} application-group=%{BOGUS}`,
      { url: '/b', path: hello, applicationGroup: '%{FOO}' },
      { url: '/c', path: hello, processGroup: '%{ENV:}' },
      { url: '/ok', path: hello, applicationGroup: '%{ENV:HOME}' },
    ],
  }));
  t.deepEqual(issues.map((i) => [i.code, i.pointer]), [
    ['SA_ERR_CONFIG_EXPANSION', `${BLOCK}/defaults/applicationGroup`],
    ['SA_ERR_CONFIG_EXPANSION', `${BLOCK}/scriptAlias/0`],
    ['SA_ERR_CONFIG_EXPANSION', `${BLOCK}/scriptAlias/1/applicationGroup`],
    ['SA_ERR_CONFIG_EXPANSION', `${BLOCK}/scriptAlias/2/processGroup`],
  ]);
  t.regex(issues[1]!.message, /%\{BOGUS\}/);
});

test('known expansions still resolve', async (t) => {
  const file = path.join(tempDir(t, 'sa-robust-'), 'proxy.json');
  writeFileSync(file, config({ scriptAlias: [
    { url: '/g', path: hello, processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
    { url: '/r', path: hello, applicationGroup: '%{RESOURCE}' },
    { url: '/s', path: hello, applicationGroup: '%{SERVER}' },
    { url: '/e', path: hello, applicationGroup: '%{ENV:SA_ROBUST}' },
  ] }));
  const resolved = await loadConfig(file, { env: { SA_ROBUST: 'x' } });
  t.deepEqual(resolved.server.scriptAlias.map((a) => a.applicationGroup), [
    { kind: 'global' }, { kind: 'resource' }, { kind: 'server' }, { kind: 'literal', name: 'x' },
  ]);
});

test('5 000 levels deep: SA_ERR_CONFIG_JSON at the line:column of the first too-deep value, no stack overflow', async (t) => {
  const text = `{\n  "proxy": {"x": ${'['.repeat(5000)}${']'.repeat(5000)}}}`;
  const issues = await issuesOf(t, text);
  t.is(issues.length, 1);
  t.is(issues[0]!.code, 'SA_ERR_CONFIG_JSON');
  // depth 64 = root + proxy + 62 arrays; the 63rd "[" (the first is at column 18) is the first too deep.
  t.regex(issues[0]!.message, /line 2, column 80: nested deeper than 64 levels/);
  t.true(issues[0]!.pointer.startsWith('/proxy/x/0/0'));
});

test('a deep or cyclic inline object config: a coded issue, not a crash', async (t) => {
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i += 1) deep = { k: deep };
  const err = await t.throwsAsync(loadConfig({ proxy: { x: deep } } as ConfigSource) /* untyped on purpose: runtime checks */, { instanceOf: ConfigError });
  t.is(err!.issues[0]!.code, 'SA_ERR_CONFIG_JSON');
  t.true(err!.issues[0]!.pointer.startsWith('/proxy/x/k/k'));
  const cyclic: Record<string, unknown> = { proxy: { port: 0 } };
  (cyclic.proxy as Record<string, unknown>).self = cyclic;
  const cycle = await t.throwsAsync(loadConfig(cyclic), { instanceOf: ConfigError });
  t.is(cycle!.issues[0]!.code, 'SA_ERR_CONFIG_JSON');
});

test('duplicate keys: SA_ERR_CONFIG_JSON "duplicate key" with line:column and pointer, each one listed', async (t) => {
  const text = '{\n  "proxy": {"port": 0, "port": 1},\n  "plugins": {"scriptalias": {}, "scriptalias": {}}\n}';
  const issues = await issuesOf(t, text);
  t.deepEqual(issues.map((i) => [i.code, i.pointer]), [['SA_ERR_CONFIG_JSON', '/proxy/port'], ['SA_ERR_CONFIG_JSON', '/plugins/scriptalias']]);
  t.regex(issues[0]!.message, /^duplicate key at line 2, column 24: "port" appears twice/);
  t.regex(issues[1]!.message, /line 3, column 34/);
});

test('every JSON syntax error names a line and column (V8 omits the position for some)', (t) => {
  for (const [text, offset] of [['{"a":}', 5], ['{"a":1', 6], ['{"a":1}x', 7], ['', 0], ['[1,]', 3], ['{"a" 1}', 5], ['"\\x"', 0], ['{a:1}', 1], ['[01]', 2], ['{"a":1,}', 7], ['nul', 0]] as const) {
    const problems = scanJson(text);
    t.is(problems.length, 1, text);
    t.is(problems[0]!.kind, 'syntax', text);
    t.is(problems[0]!.offset, offset, text);
  }
  t.deepEqual(scanJson('{"a": [1, {"b": null, "c": "\\u0041"}], "d": -1.5e3}'), []);
});

test('a multi-megabyte string value scans without overflowing (no regex over the string)', (t) => {
  t.deepEqual(scanJson(JSON.stringify({ proxy: { x: 'a\\"\u00e9'.repeat(3_000_000) } })), []);
  t.is(scanJson('{"a": "\\q"}')[0]!.kind, 'syntax');
  t.is(scanJson('{"a": "\\u12G4"}')[0]!.kind, 'syntax');
});

test('proxy.cluster: 1-64 or "auto"; 0, negative, a fraction or above 64 is a schema error at /proxy/cluster', async (t) => {
  for (const bad of [0, -2, 1.5, 65, 'all']) {
    const issues = await issuesOf(t, config({ scriptAlias: [{ url: '/a', path: hello }] }, { cluster: bad }));
    t.true(issues.length > 0 && issues.every((i) => i.code === 'SA_ERR_CONFIG_SCHEMA' && i.pointer === '/proxy/cluster'), `${JSON.stringify(bad)}: ${JSON.stringify(issues)}`);
  }
  for (const good of [1, 64, 'auto'] as const) {
    const file = path.join(tempDir(t, 'sa-robust-'), 'proxy.json');
    writeFileSync(file, config({ scriptAlias: [{ url: '/a', path: hello }] }, { cluster: good }));
    t.is((await loadConfig(file)).proxy.cluster, good);
  }
});

test('a config as text (etcd, a cluster primary) is checked like a file: line:column for a duplicate key, paths from its origin', async (t) => {
  const { ConfigText } = await import('../../plugin/index.js');
  const folder = tempDir(t, 'sa-text-');
  const duplicate = '{\n  "proxy": { "port": 0, "port": 1 }\n}\n';
  const err = await t.throwsAsync(loadConfig(new ConfigText(duplicate, path.join(folder, 'etcd'))), { instanceOf: ConfigError });
  t.is(err!.issues[0]!.code, 'SA_ERR_CONFIG_JSON');
  t.regex(err!.issues[0]!.message, /duplicate key at line 2, column \d+/);
  writeFileSync(path.join(folder, 'hello.js'), 'export default (req, res) => res.end("hi");\n');
  const resolved = await loadConfig(new ConfigText(config({ scriptAlias: ['/hello hello.js'] }), path.join(folder, 'etcd')));
  t.is(resolved.server.scriptAlias[0]!.path, path.join(folder, 'hello.js'));
});

// Fuzzes the config pipeline `check` uses: 1 000 configs mutated deterministically (seeded PRNG) from
// examples/site, examples/basic and a config of this test (process groups, %{ENV:..}, script
// directories). Each is written to a temp file and loaded in-process with loadConfig: it either
// resolves or throws a ConfigError whose every issue is located (pointer or line:column); a mutation
// known to be invalid is never accepted; nothing else is ever thrown (issue 11 item 8). Then 20 of
// them through `scriptalias check`: exit 0 or 2, never a stack trace.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../plugin/index.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/proxy.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

interface Case {
  readonly label: string;
  readonly text: string;
  /** true when the generator knows the mutation makes the config invalid. */
  readonly invalid: boolean;
}

const SEED = 0x5ca1ab1e;
const CASES = 1000;
const CLI_CASES = 20;
const cli = path.join(repoRoot, 'dist', 'plugin', 'cli.js');
const env = { ...process.env, SA_FUZZ_GROUP: 'workers', SA_FUZZ_APP: 'shared' };

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Relative targets made absolute, so a copy in a temp folder still finds its scripts. */
function absolutize(value: Json, dir: string, key = ''): Json {
  const abs = (p: string): string => path.resolve(dir, p) + (p.endsWith('/') ? '/' : '');
  if (Array.isArray(value)) {
    return value.map((item) => (key === 'scriptAlias' && typeof item === 'string'
      ? item.split(' ').map((word, i) => (i === 1 ? abs(word) : word)).join(' ')
      : absolutize(item, dir)));
  }
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$schema') continue;
      out[k] = typeof v === 'string' && ['path', 'documentRoot', 'home'].includes(k) ? abs(v) : absolutize(v, dir, k);
    }
    return out;
  }
  return value;
}

function example(name: string): Json {
  const dir = path.join(repoRoot, 'examples', name);
  return absolutize(JSON.parse(readFileSync(path.join(dir, 'proxy.json'), 'utf8')) as Json, dir);
}

const basicScripts = path.join(repoRoot, 'examples', 'basic', 'scripts');
const BASES: readonly { name: string; config: Json }[] = [
  { name: 'site', config: example('site') },
  { name: 'basic', config: example('basic') },
  {
    name: 'groups',
    config: {
      proxy: { port: 0, host: '127.0.0.1' },
      plugins: {
        scriptalias: {
          defaults: { processGroup: '%{GLOBAL}', applicationGroup: '%{RESOURCE}' },
          processGroups: { workers: { processes: 2, threads: 4, maximumRequests: 100, requestTimeout: 30, env: { A: 'b' }, home: basicScripts } },
          scriptAlias: [
            { url: '/env', path: path.join(basicScripts, 'hello.js'), processGroup: '%{ENV:SA_FUZZ_GROUP}', applicationGroup: '%{ENV:SA_FUZZ_APP}' },
            `/d ${path.join(basicScripts, 'counter.js')} process-group=workers application-group=%{SERVER} pass-authorization=On`,
          ],
          virtualHosts: [{ serverName: 'example.test', scriptDirectories: [{ path: basicScripts, processGroup: 'workers', applicationGroup: '%{GLOBAL}' }] }],
        },
      },
    },
  },
];

function clone(value: Json): Json {
  return structuredClone(value);
}

/** Every (path, value) below the root, parents before children. */
function nodes(value: Json, at: Path = []): { at: Path; value: Json }[] {
  const out: { at: Path; value: Json }[] = [];
  const stack: { at: Path; value: Json }[] = [{ at, value }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.at.length > 0) out.push(node);
    if (Array.isArray(node.value)) node.value.forEach((v, i) => stack.push({ at: [...node.at, i], value: v }));
    else if (node.value !== null && typeof node.value === 'object') for (const [k, v] of Object.entries(node.value)) stack.push({ at: [...node.at, k], value: v });
  }
  return out;
}

function getAt(root: Json, at: Path): Json {
  return at.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k]!, root);
}

function setAt(root: Json, at: Path, value: Json): void {
  (getAt(root, at.slice(0, -1)) as Record<string | number, Json>)[at[at.length - 1]!] = value;
}

const kind = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
/** Keys whose schema type is one fixed JSON type (a different type is always a schema error). */
const TYPED_KEYS = new Set(['port', 'host', 'processes', 'threads', 'maximumRequests', 'requestTimeout', 'url', 'serverName', 'serverAliases', 'documentRoot', 'processGroups', 'virtualHosts', 'scriptDirectories', 'alias', 'env', 'home']);
/** Objects the schema closes (additionalProperties: false). */
const CLOSED = (at: Path): boolean => {
  const s = at.join('/');
  return s === '' || s === 'proxy' || s === 'plugins/scriptalias' || s === 'plugins/scriptalias/defaults' || /^plugins\/scriptalias\/processGroups\/[^/]+$/.test(s)
    || /^plugins\/scriptalias\/virtualHosts\/\d+$/.test(s) || /scriptDirectories\/\d+$/.test(s) || /^plugins\/scriptalias\/(virtualHosts\/\d+\/)?scriptAlias\/\d+$/.test(s);
};
const OTHER_TYPES: readonly Json[] = [42, 'text', true, null, [], {}, [1, 'x'], { a: 1 }, -3.5];
const EXTREMES: readonly Json[] = [1e308, -1e308, -1, 0, 1.5, 2 ** 53 + 1, 65536, 'NaN', 'Infinity', '-0', '1e999', ''];
const BAD_DIRECTIVES = ['', '   ', '/x', 'nourl target.js', '/x t.js bogus=1', '/x t.js process-group', '/x t.js pass-authorization=maybe', '/x "unterminated',
  '/x t.js application-group=', '/x t.js callable-object=', '/x t.js runtime=perl', `/x ${basicScripts}/hello.js application-group=%{NOPE}`];
const BAD_EXPANSIONS = ['%{BOGUS}', '%{ENV:}', '%{env:HOME}', 'x%{GLOBAL}', '%{GLOBAL', '%{RESOURCE}x', '%{}', '%{SERVER:x}', '%{ENV:A}b'];

/** Nested arrays/objects as text: JSON.stringify itself recurses and would overflow on 6 000 levels. */
function deepText(depth: number, random: () => number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i += 1) {
    const array = random() < 0.5;
    open.push(array ? '[' : '{"k": ');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}1${close.reverse().join('')}`;
}

const DEEP_MARKER = '"__sa_fuzz_deep__"';

/** JSON text with the object at `at` given one of its keys twice. */
function withDuplicateKey(root: Json, at: Path): string {
  const target = getAt(root, at) as Record<string, Json>;
  const key = Object.keys(target)[0]!;
  const marker = '__sa_fuzz_duplicate__';
  target[marker] = 0;
  const text = JSON.stringify(root, null, 2);
  return text.replace(`"${marker}": 0`, `${JSON.stringify(key)}: ${JSON.stringify(target[key])}`);
}

function generate(count: number, seed: number): Case[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const cases: Case[] = [];
  const mutations = ['wrong-type', 'extreme-number', 'deep', 'bad-directive', 'duplicate-key', 'unknown-key', 'unknown-expansion', 'cluster', 'remove', 'none'] as const;
  for (let n = 0; n < count; n += 1) {
    const base = pick(BASES);
    const config = clone(base.config);
    const all = nodes(config);
    const mutation = pick(mutations);
    let invalid = false;
    let text: string | null = null;
    let detail = '';
    let deep: string | null = null;
    switch (mutation) {
      case 'wrong-type': {
        const node = pick(all);
        const value = pick(OTHER_TYPES.filter((v) => kind(v) !== kind(node.value)));
        setAt(config, node.at, value);
        const key = node.at[node.at.length - 1];
        invalid = typeof key === 'string' && TYPED_KEYS.has(key);
        detail = `${node.at.join('/')}=${JSON.stringify(value)}`;
        break;
      }
      case 'extreme-number': {
        const numeric = all.filter((x) => typeof x.value === 'number');
        const node = pick(numeric.length > 0 ? numeric : all);
        const value = pick(EXTREMES);
        setAt(config, node.at, value);
        const key = node.at[node.at.length - 1];
        invalid = typeof value === 'string' && typeof node.value === 'number' && typeof key === 'string' && TYPED_KEYS.has(key);
        detail = `${node.at.join('/')}=${JSON.stringify(value)}`;
        break;
      }
      case 'deep': {
        const objects = all.filter((x) => kind(x.value) === 'object');
        const node = pick(objects);
        const depth = random() < 0.2 ? 1 + Math.floor(random() * 8) : 70 + Math.floor(random() * 6000);
        (node.value as Record<string, Json>).deep = JSON.parse(DEEP_MARKER) as string;
        deep = deepText(depth, random);
        invalid = depth >= 64 || CLOSED(node.at);
        detail = `${node.at.join('/')}/deep depth ${depth}`;
        break;
      }
      case 'bad-directive': {
        const lists = all.filter((x) => x.at[x.at.length - 1] === 'scriptAlias');
        const list = (lists.length > 0 ? pick(lists).value : ((config as Record<string, Json>).plugins as Record<string, Record<string, Json[]>>).scriptalias!.scriptAlias!) as Json[];
        const directive = pick(BAD_DIRECTIVES);
        list.push(directive);
        invalid = true;
        detail = JSON.stringify(directive);
        break;
      }
      case 'duplicate-key': {
        const objects = all.filter((x) => kind(x.value) === 'object' && Object.keys(x.value as object).length > 0);
        const node = pick(objects);
        text = withDuplicateKey(config, node.at);
        invalid = true;
        detail = node.at.join('/');
        break;
      }
      case 'unknown-key': {
        const objects = [{ at: [] as Path, value: config }, ...all].filter((x) => kind(x.value) === 'object' && CLOSED(x.at));
        const node = pick(objects);
        (node.value as Record<string, Json>).bogusKey = 1;
        invalid = true;
        detail = node.at.join('/');
        break;
      }
      case 'unknown-expansion': {
        const holders = all.filter((x) => x.at[x.at.length - 1] === 'applicationGroup' || x.at[x.at.length - 1] === 'processGroup'
          || (typeof x.value === 'string' && x.at[x.at.length - 2] === 'scriptAlias'));
        const node = pick(holders);
        const expansion = pick(BAD_EXPANSIONS);
        const value = typeof node.value === 'string' && node.value.startsWith('/')
          ? `${node.value} application-group=${expansion}`
          : expansion;
        setAt(config, node.at, value);
        invalid = true;
        detail = `${node.at.join('/')}=${JSON.stringify(value)}`;
        break;
      }
      case 'cluster':
        // 0, above 64, a fraction, a wrong string, null: each a schema error at /proxy/cluster.
        ((config as Record<string, Json>).proxy as Record<string, Json>).cluster = pick([0, -1, 65, 1.5, 'x', null] as Json[]);
        invalid = true;
        break;
      case 'remove': {
        const node = pick(all);
        const parent = getAt(config, node.at.slice(0, -1));
        if (Array.isArray(parent)) parent.splice(node.at[node.at.length - 1] as number, 1);
        else delete (parent as Record<string, Json>)[node.at[node.at.length - 1] as string];
        detail = node.at.join('/');
        break;
      }
      case 'none':
        break;
    }
    text ??= JSON.stringify(config, null, random() < 0.5 ? 2 : undefined);
    if (deep !== null) text = text.replace(DEEP_MARKER, deep);
    // Some extreme numbers only exist as text (1e999 parses to Infinity).
    if (random() < 0.05) text = text.replace(/"port": ?\d+/, '"port": 1e999');
    cases.push({ label: `#${n} ${base.name} ${mutation} ${detail}`.trim(), text, invalid });
  }
  return cases;
}

const LOCATED = /line \d+, column \d+/;

test('the generator is deterministic and covers valid and invalid configs', (t) => {
  const a = generate(50, SEED);
  const b = generate(50, SEED);
  t.deepEqual(a, b);
  t.true(a.some((c) => c.invalid) && a.some((c) => !c.invalid));
});

test('the unmutated bases resolve (so an accepted mutation means something)', async (t) => {
  const dir = tempDir(t, 'sa-fuzz-');
  for (const base of BASES) {
    const file = path.join(dir, `${base.name}.json`);
    writeFileSync(file, JSON.stringify(base.config));
    await t.notThrowsAsync(loadConfig(file, { env }), base.name);
  }
});

test(`${CASES} mutated configs: resolved, or a ConfigError with every issue located; known-invalid never accepted`, async (t) => {
  const dir = tempDir(t, 'sa-fuzz-');
  const cases = generate(CASES, SEED);
  let accepted = 0;
  let rejected = 0;
  for (const [index, c] of cases.entries()) {
    const file = path.join(dir, `case-${index}.json`);
    writeFileSync(file, c.text);
    try {
      await loadConfig(file, { env });
      accepted += 1;
      if (c.invalid) t.fail(`accepted a known-invalid config: ${c.label}`);
    } catch (err) {
      rejected += 1;
      if (!(err instanceof ConfigError)) {
        t.fail(`threw something other than ConfigError for ${c.label}: ${err instanceof Error ? err.stack : String(err)}`);
        continue;
      }
      if (err.issues.length === 0) t.fail(`ConfigError without issues: ${c.label}`);
      for (const issue of err.issues) {
        if (issue.pointer === '' && !LOCATED.test(issue.message)) t.fail(`issue without a location (${issue.code}: ${issue.message}) for ${c.label}`);
        if (!issue.code.startsWith('SA_ERR_CONFIG_')) t.fail(`issue with code ${issue.code} for ${c.label}`);
      }
    }
  }
  t.log(`${accepted} accepted, ${rejected} rejected`);
  t.true(accepted > 0 && rejected > 0);
  t.pass();
});

function runCheck(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'check', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test(`${CLI_CASES} mutated configs through \`scriptalias check\`: exit 0 or 2, never a stack trace`, async (t) => {
  const dir = tempDir(t, 'sa-fuzz-cli-');
  // Every 50th case plus the worst one: the 5 000-level file that used to overflow the stack.
  const cases = generate(CASES, SEED).filter((_, i) => i % 50 === 0).slice(0, CLI_CASES - 1);
  cases.push({ label: '5000 levels', text: `{"proxy": {"x": ${'['.repeat(5000)}${']'.repeat(5000)}}}`, invalid: true });
  const results = await Promise.all(cases.map(async (c, i) => {
    const file = path.join(dir, `cli-${i}.json`);
    writeFileSync(file, c.text);
    return { c, ...(await runCheck(file)) };
  }));
  for (const { c, code, stderr } of results) {
    t.true(code === 0 || code === 2, `exit ${String(code)} for ${c.label}: ${stderr}`);
    if (c.invalid) t.is(code, 2, c.label);
    t.notRegex(stderr, /^\s+at .+:\d+:\d+\)?$|Maximum call stack/m, c.label);
  }
});

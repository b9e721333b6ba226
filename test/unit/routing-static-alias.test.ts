// Static `alias` entries as Apache's Alias (DESIGN §3): the plain join in both slash forms, segment
// boundaries, 301/index.html/404 for folders, a file target, confinement; and the config rule that
// a directory target carries the same trailing-slash form as its URL-path. Decided on a real temp tree.
import test from 'ava';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfigObject } from '../../src/config/index.js';
import { buildAliasTable } from '../../src/routing/alias-table.js';
import { matchRequest } from '../../src/routing/match.js';
import { ConfigError } from '../../src/errors.js';
import type { RouteDecision } from '../../src/routing/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sa-static-alias-'));
for (const f of ['assets/a.txt', 'assets/sub/b.txt', 'assets/withindex/index.html', 'assets/app.wsgi', 'icons/fav.ico', 'outside/secret.txt', 'scripts/app.js']) {
  mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
  writeFileSync(path.join(root, f), f);
}
mkdirSync(path.join(root, 'assets/empty'));
symlinkSync(path.join(root, 'outside/secret.txt'), path.join(root, 'assets/escape.txt'));
symlinkSync(path.join(root, 'scripts'), path.join(root, 'assets/scripts-link'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

type Expect = { kind: RouteDecision['kind']; file?: string; code?: string; location?: string };
type Row = [title: string, alias: { url: string; path: string }, rawUrl: string, expect: Expect];

const bare = { url: '/files', path: 'assets' };
const slashed = { url: '/files/', path: 'assets/' };
const rows: Row[] = [
  ['/files → assets serves /files/a.txt', bare, '/files/a.txt', { kind: 'static', file: 'assets/a.txt' }],
  ['/files/ → assets/ serves /files/a.txt', slashed, '/files/a.txt', { kind: 'static', file: 'assets/a.txt' }],
  ['/files → assets walks sub-folders', bare, '/files/sub/b.txt', { kind: 'static', file: 'assets/sub/b.txt' }],
  ['/files/ → assets/ walks sub-folders', slashed, '/files/sub/b.txt', { kind: 'static', file: 'assets/sub/b.txt' }],
  ['/files → assets: slash runs collapse', bare, '/files//a.txt', { kind: 'static', file: 'assets/a.txt' }],
  ['/files does not match /filesx', bare, '/filesx', { kind: 'miss' }],
  ['/files does not match /files.txt', bare, '/files.txt', { kind: 'miss' }],
  ['/files/ does not match /files', slashed, '/files', { kind: 'miss' }],
  ['/files is case-sensitive', bare, '/Files/a.txt', { kind: 'miss' }],
  ['/files → assets: /files is a folder without slash → 301', bare, '/files?x=1', { kind: 'redirect', location: 'http://localhost/files/?x=1' }],
  // Folders without index.html: 404, as the recorded Apache answers (conformance static-alias-beats-scriptalias).
  ['/files → assets: /files/ without index → 404', bare, '/files/', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['/files/ → assets/: /files/ without index → 404', slashed, '/files/', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['sub-folder without slash → 301', bare, '/files/sub', { kind: 'redirect', location: 'http://localhost/files/sub/' }],
  ['sub-folder with slash, no index → 404', slashed, '/files/empty/', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['sub-folder with index.html → the index', bare, '/files/withindex/', { kind: 'static', file: 'assets/withindex/index.html' }],
  ['missing file → 404', bare, '/files/nope.txt', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['path info below a static file → 404', bare, '/files/a.txt/x', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['file target /favicon.ico → icons/fav.ico', { url: '/favicon.ico', path: 'icons/fav.ico' }, '/favicon.ico', { kind: 'static', file: 'icons/fav.ico' }],
  ['file target: nothing below it', { url: '/favicon.ico', path: 'icons/fav.ico' }, '/favicon.ico/x', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['file target does not match /favicon.icox', { url: '/favicon.ico', path: 'icons/fav.ico' }, '/favicon.icox', { kind: 'miss' }],
  ['root alias / → assets/', { url: '/', path: 'assets/' }, '/sub/b.txt', { kind: 'static', file: 'assets/sub/b.txt' }],
  ['.. above the alias is resolved first (never joined)', bare, '/files/../outside/secret.txt', { kind: 'miss' }],
  ['encoded .. is resolved first', bare, '/files/%2e%2e/outside/secret.txt', { kind: 'miss' }],
  ['encoded slash → 404', bare, '/files/..%2f..%2foutside/secret.txt', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['a symlink out of the tree → 404', bare, '/files/escape.txt', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['a symlinked folder out of the tree → 404', bare, '/files/scripts-link/app.js', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['.wsgi is never served', bare, '/files/app.wsgi', { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND' }],
];

for (const [title, alias, rawUrl, expect] of rows) {
  test(`static alias: ${title}`, async (t) => {
    const config = await resolveConfigObject({ plugins: { scriptalias: { virtualHosts: [{ serverName: 'localhost', alias: [alias] }] } } }, path.join(root, 'proxy.json'));
    const decision = matchRequest(buildAliasTable(config), { method: 'GET', rawUrl, host: 'localhost' });
    t.is(decision.kind, expect.kind, JSON.stringify(decision));
    if (decision.kind === 'static') t.is(decision.file, path.join(root, expect.file!));
    if (decision.kind === 'error') t.is(decision.code as string, expect.code!);
    if (decision.kind === 'redirect') t.is(decision.location, expect.location!);
  });
}

test('static alias: a file under a script alias folder is never served through an overlapping alias', async (t) => {
  const config = await resolveConfigObject({ plugins: { scriptalias: {
    scriptAlias: [{ url: '/run/', path: 'scripts/' }],
    virtualHosts: [{ serverName: 'localhost', alias: [{ url: '/src', path: 'scripts' }] }],
  } } }, path.join(root, 'proxy.json'));
  const decision = matchRequest(buildAliasTable(config), { method: 'GET', rawUrl: '/src/app.js', host: 'localhost' });
  t.deepEqual(decision, { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND', reason: 'script source is never served' });
});

const badTargets: Array<[string, { url: string; path: string }, string, RegExp]> = [
  ['/static/ → assets', { url: '/static/', path: 'assets' }, 'SA_ERR_CONFIG_TARGET_KIND', /\/static\/ → assets\/, or \/static → assets\)/],
  ['/static → assets/', { url: '/static', path: 'assets/' }, 'SA_ERR_CONFIG_TARGET_KIND', /\/static\/ → assets\/, or \/static → assets\)/],
  ['/ → assets', { url: '/', path: 'assets' }, 'SA_ERR_CONFIG_TARGET_KIND', /\(\/ → assets\/\)/],
  ['a file with a trailing slash', { url: '/f', path: 'icons/fav.ico/' }, 'SA_ERR_CONFIG_TARGET_KIND', /is a file/],
  ['a missing target', { url: '/m', path: 'nope' }, 'SA_ERR_CONFIG_MISSING_TARGET', /no such file or directory/],
];
for (const [title, alias, code, message] of badTargets) {
  test(`static alias config: ${title} is rejected with ${code} at the entry`, async (t) => {
    const raw = { plugins: { scriptalias: { virtualHosts: [{ serverName: 'localhost', alias: [{ url: '/ok/', path: 'assets/' }, alias] }] } } };
    const err = await t.throwsAsync(resolveConfigObject(raw, path.join(root, 'proxy.json')), { instanceOf: ConfigError });
    const issues = (err as ConfigError).issues;
    t.is(issues.length, 1, JSON.stringify(issues));
    t.is(issues[0]!.code as string, code);
    t.is(issues[0]!.pointer, '/plugins/scriptalias/virtualHosts/0/alias/1/path');
    t.regex(issues[0]!.message, message);
  });
}

test('static alias config: both slash forms and a file target are accepted', async (t) => {
  const config = await resolveConfigObject({ plugins: { scriptalias: { virtualHosts: [{ serverName: 'localhost', alias: [
    { url: '/a', path: 'assets' }, { url: '/b/', path: 'assets/' }, { url: '/favicon.ico', path: 'icons/fav.ico' }, { url: '/c/', path: 'icons/fav.ico' },
  ] }] } } }, path.join(root, 'proxy.json'));
  t.deepEqual(config.virtualHosts[0]!.alias.map((a) => a.path), [
    path.join(root, 'assets') + '/', path.join(root, 'assets') + '/', path.join(root, 'icons/fav.ico'), path.join(root, 'icons/fav.ico'),
  ]);
});

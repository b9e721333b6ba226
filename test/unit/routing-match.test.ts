// routing/match against the tricky cases of spec §7 (items 1–11 and 14; 12 is WSGIScriptAliasMatch,
// not in our config; 13 is the runtime's): one table row per case, decided on a real temp tree.
import test from 'ava';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfigObject } from '../../src/config/index.js';
import { buildAliasTable } from '../../src/routing/alias-table.js';
import { matchRequest } from '../../src/routing/match.js';
import type { RouteDecision } from '../../src/routing/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sa-match-'));
for (const f of ['s/app.js', 's/blog.js', 's/root.js', 's/v.js', 'dir/s.js', 'dir/sub/deep.js', 'dir/sub/inner/x.js', 'dir2/index.html', 'outside/secret.js']) {
  mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
  writeFileSync(path.join(root, f), '');
}
mkdirSync(path.join(root, 'dir/empty'));
symlinkSync(path.join(root, 'outside/secret.js'), path.join(root, 'dir/escape.js'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

type Expect = { kind: RouteDecision['kind']; status?: string; scriptName?: string; pathInfo?: string; script?: string; appGroup?: string; location?: string };
type Row = [title: string, scriptalias: Record<string, unknown>, path: string, expect: Expect, host?: string];

const app = { url: '/app', path: 's/app.js' };
const rows: Row[] = [
  ['1. /app matches /app', { scriptAlias: [app] }, '/app', { kind: 'script', scriptName: '/app', pathInfo: '' }],
  ['1. /app matches /app/x', { scriptAlias: [app] }, '/app/x', { kind: 'script', scriptName: '/app', pathInfo: '/x' }],
  ['1. /app does not match /application', { scriptAlias: [app] }, '/application', { kind: 'miss' }],
  ['1. /app does not match /App (case)', { scriptAlias: [app] }, '/App', { kind: 'miss' }],
  ['2. /app/ does not match /app', { scriptAlias: [{ url: '/app/', path: 's/app.js' }] }, '/app', { kind: 'miss' }],
  ['3. / before /blog takes /blog/x', { scriptAlias: [{ url: '/', path: 's/root.js' }, { url: '/blog', path: 's/blog.js' }] }, '/blog/x', { kind: 'script', script: 's/root.js', scriptName: '', pathInfo: '/blog/x' }],
  ['3. /blog before / takes /blog/x', { scriptAlias: [{ url: '/blog', path: 's/blog.js' }, { url: '/', path: 's/root.js' }] }, '/blog/x', { kind: 'script', script: 's/blog.js', scriptName: '/blog' }],
  ['4. a vhost alias beats the server alias', { scriptAlias: [app], virtualHosts: [{ serverName: 'v.example', scriptAlias: [{ url: '/app', path: 's/v.js' }] }] }, '/app', { kind: 'script', script: 's/v.js' }, 'v.example'],
  ['4. server aliases still apply in the vhost', { scriptAlias: [{ url: '/blog', path: 's/blog.js' }], virtualHosts: [{ serverName: 'v.example', scriptAlias: [app] }] }, '/blog', { kind: 'script', script: 's/blog.js', appGroup: 'v.example|/blog' }, 'v.example'],
  ['5. root mount: / → "" and "/"', { scriptAlias: [{ url: '/', path: 's/root.js' }] }, '/', { kind: 'script', scriptName: '', pathInfo: '/' }],
  ['5. root mount: /a/b', { scriptAlias: [{ url: '/', path: 's/root.js' }] }, '/a/b', { kind: 'script', scriptName: '', pathInfo: '/a/b' }],
  ['6. file mount /app/ → PATH_INFO /', { scriptAlias: [app] }, '/app/', { kind: 'script', scriptName: '/app', pathInfo: '/' }],
  ['7. %-decoded PATH_INFO', { scriptAlias: [app] }, '/app/a%20b', { kind: 'script', pathInfo: '/a b' }],
  ['7. alias "/my app" matches /my%20app', { scriptAlias: ['"/my app" s/app.js'] }, '/my%20app/x', { kind: 'script', scriptName: '/my app', pathInfo: '/x' }],
  ['7. alias /my%20app never matches /my%20app', { scriptAlias: [{ url: '/my%20app', path: 's/app.js' }] }, '/my%20app', { kind: 'miss' }],
  ['8. encoded slash → 404', { scriptAlias: [app] }, '/app/%2Fx', { kind: 'error', status: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['8. %2e%2e is resolved before matching', { scriptAlias: [app] }, '/app/%2e%2e/app/y', { kind: 'script', scriptName: '/app', pathInfo: '/y' }],
  ['8. /../x → 400', { scriptAlias: [app] }, '/../app', { kind: 'error', status: 'SA_ERR_ROUTE_BAD_PATH' }],
  ['8. %00 → 404', { scriptAlias: [app] }, '/app/a%00b', { kind: 'error', status: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['8. bad escape → 400', { scriptAlias: [app] }, '/app/%zz', { kind: 'error', status: 'SA_ERR_ROUTE_BAD_PATH' }],
  ['9. slash runs collapse in SCRIPT_NAME/PATH_INFO', { scriptAlias: [app] }, '/app//a//b', { kind: 'script', scriptName: '/app', pathInfo: '/a/b' }],
  ['9. alias //x matches /x', { scriptAlias: [{ url: '//x', path: 's/app.js' }] }, '/x/y', { kind: 'script', pathInfo: '/y' }],
  ['10. directory: /w/s.js/extra', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/s.js/extra', { kind: 'script', script: 'dir/s.js', scriptName: '/w/s.js', pathInfo: '/extra' }],
  ['10. directory: sub-folders are walked', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/sub/deep.js/z', { kind: 'script', script: 'dir/sub/deep.js', scriptName: '/w/sub/deep.js', pathInfo: '/z' }],
  ['10. directory: missing → 404', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/missing.js', { kind: 'error', status: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['10. directory: folder without slash → 301', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/sub?a=1', { kind: 'redirect', location: 'http://localhost/w/sub/?a=1' }],
  ['10. directory: folder with slash → 403', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/sub/', { kind: 'error', status: 'SA_ERR_ROUTE_FORBIDDEN' }],
  ['10. directory: index.html runs as the script', { scriptAlias: [{ url: '/i/', path: 'dir2/' }] }, '/i/', { kind: 'script', script: 'dir2/index.html', scriptName: '/i/index.html' }],
  ['10. directory: a symlink out of the tree → 404', { scriptAlias: [{ url: '/w/', path: 'dir/' }] }, '/w/escape.js', { kind: 'error', status: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['11. /app/ → file: /app/x glues a name → 404', { scriptAlias: [{ url: '/app/', path: 's/app.js' }] }, '/app/x', { kind: 'error', status: 'SA_ERR_ROUTE_NOT_FOUND' }],
  ['11. /app/ → file: /app/ runs with SCRIPT_NAME /app/', { scriptAlias: [{ url: '/app/', path: 's/app.js' }] }, '/app/', { kind: 'script', scriptName: '/app/', pathInfo: '' }],
  ['14. %{RESOURCE} on port 80', { scriptAlias: [app] }, '/app', { kind: 'script', appGroup: 'localhost|/app' }, 'localhost'],
  ['14. %{RESOURCE} with another port', { scriptAlias: [app] }, '/app', { kind: 'script', appGroup: 'localhost:8080|/app' }, 'localhost:8080'],
  ['14. %{RESOURCE} of a root mount', { scriptAlias: [{ url: '/', path: 's/root.js' }] }, '/x', { kind: 'script', appGroup: 'localhost|' }],
  ['14. %{RESOURCE} lower-cases SCRIPT_NAME', { scriptAlias: [{ url: '/App', path: 's/app.js' }] }, '/App', { kind: 'script', appGroup: 'localhost|/app' }],
  ['14. %{SERVER}', { scriptAlias: [{ url: '/app', path: 's/app.js', applicationGroup: '%{SERVER}' }] }, '/app', { kind: 'script', appGroup: 'localhost:8443' }, 'localhost:8443'],
  ['14. %{GLOBAL}', { scriptAlias: [{ url: '/app', path: 's/app.js', applicationGroup: '%{GLOBAL}' }] }, '/app', { kind: 'script', appGroup: '' }],
];

for (const [title, scriptalias, rawUrl, expect, host] of rows) {
  test(`spec §7 ${title}`, async (t) => {
    const config = await resolveConfigObject({ plugins: { scriptalias } }, path.join(root, 'proxy.json'));
    const decision = matchRequest(buildAliasTable(config), { method: 'GET', rawUrl, host: host ?? 'localhost' });
    t.is(decision.kind, expect.kind, JSON.stringify(decision));
    if (decision.kind === 'error') t.is(decision.code as string, expect.status!);
    if (decision.kind === 'redirect') t.is(decision.location, expect.location!);
    if (decision.kind === 'script') {
      if (expect.scriptName !== undefined) t.is(decision.scriptName, expect.scriptName);
      if (expect.pathInfo !== undefined) t.is(decision.pathInfo, expect.pathInfo);
      if (expect.script !== undefined) t.is(decision.scriptFilename, path.join(root, expect.script));
      if (expect.appGroup !== undefined) t.is(decision.applicationGroup, expect.appGroup);
    }
  });
}

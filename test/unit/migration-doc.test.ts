// docs/migrating-from-mod_wsgi.md's directive table is generated from the importer's mapping table
// (src/apache-import/mapping.ts) and must not drift from it; every directive the importer
// translates has a row.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { MAPPINGS } from '../../src/apache-import/mapping.js';

test('the migration doc\'s directive table equals what scripts/migration-doc.js renders from the mapping table', (t) => {
  const rendered = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'migration-doc.js')], { encoding: 'utf8' });
  t.is(rendered.status, 0, rendered.stderr);
  const doc = readFileSync(path.join(repoRoot, 'docs', 'migrating-from-mod_wsgi.md'), 'utf8');
  const section = /<!-- mapping-table:start -->\n([\s\S]*?)<!-- mapping-table:end -->/.exec(doc);
  t.truthy(section, 'the doc has the mapping-table markers');
  t.is(section![1], rendered.stdout, 'run: npm run build && node scripts/migration-doc.js --write');
});

test('the mapping table has a row for every mod_wsgi directive the issue names', (t) => {
  const names = new Set(MAPPINGS.flatMap((m) => m.directive.split(',').map((n) => n.trim().replace(/^<|>$/g, '').split(' ')[0])));
  for (const directive of ['WSGIScriptAlias', 'WSGIScriptAliasMatch', 'WSGIDaemonProcess', 'WSGIProcessGroup', 'WSGIApplicationGroup',
    'WSGIPassAuthorization', 'WSGIImportScript', 'WSGIRestrictEmbedded', 'Alias', 'DocumentRoot', 'ServerName', 'ServerAlias', 'Listen',
    'VirtualHost', 'Directory', 'Location', 'LimitRequestBody', 'RewriteRule', 'SSLCertificateFile', 'SSLCertificateKeyFile', 'Include']) {
    t.true(names.has(directive), `${directive} has a row`);
  }
});

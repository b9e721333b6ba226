#!/usr/bin/env node
// Renders the directive table of docs/migrating-from-mod_wsgi.md from the importer's own mapping
// table (src/apache-import/mapping.ts, compiled), so the docs and `import-apache` cannot drift.
// Build first. `--write` updates the doc between the mapping-table markers; without it the table is printed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'apache-import', 'mapping.js');
if (!existsSync(compiled)) {
  process.stderr.write(`${compiled} is missing: run npm run build first\n`);
  process.exit(1);
}
const { MAPPINGS } = await import(pathToFileURL(compiled).href);

const STATUS = { mapped: 'translated', same: 'read (same effect)', none: 'reported, left out' };
const cell = (text) => (text || '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const rows = MAPPINGS.map((m) => `| \`${cell(m.directive)}\` | ${STATUS[m.status]} | ${m.to === '—' ? '—' : `\`${cell(m.to)}\``} | ${cell(m.why)} |`);
const table = ['| Apache directive | import-apache | proxy.json | notes |', '|---|---|---|---|', ...rows].join('\n') + '\n';

if (process.argv.includes('--write')) {
  const file = path.join(root, 'docs', 'migrating-from-mod_wsgi.md');
  const doc = readFileSync(file, 'utf8');
  const markers = /(<!-- mapping-table:start -->\n)[\s\S]*?(<!-- mapping-table:end -->)/;
  if (!markers.test(doc)) {
    process.stderr.write(`${file} has no <!-- mapping-table:start/end --> markers\n`);
    process.exit(1);
  }
  writeFileSync(file, doc.replace(markers, (_, start, end) => `${start}${table}${end}`));
} else {
  process.stdout.write(table);
}

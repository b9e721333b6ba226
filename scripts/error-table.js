#!/usr/bin/env node
// Renders the README's error table from src/errors.ts (the single source of truth): one row per
// error, warning and event code with its status and summary. Reads the compiled catalogue, so build
// first (`npm run docs:errors` does). `--write` updates README.md between the error-table markers;
// without it the table is printed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'src', 'errors.js');
if (!existsSync(compiled)) {
  process.stderr.write(`${compiled} is missing: run npm run build first\n`);
  process.exit(1);
}
const { ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE } = await import(pathToFileURL(compiled).href);

// Errors without an HTTP status never answer a request: config errors stop `scriptalias check`
// (exit 2, plugin/cli.ts); the rest are logged.
function status(code, entry) {
  if (entry.statusCode !== undefined) return String(entry.statusCode);
  return code.startsWith('SA_ERR_CONFIG_') || code.startsWith('SA_ERR_IMPORT_') ? 'exit 2' : 'log';
}

const rows = [ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE].flatMap((catalogue) =>
  Object.entries(catalogue).map(([code, entry]) =>
    `| \`${code}\` | ${status(code, entry)} | ${entry.retired ? 'retired: ' : ''}${entry.summary.replace(/\|/g, '\\|')} |`));
const table = ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n') + '\n';

if (process.argv.includes('--write')) {
  const file = path.join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const markers = /(<!-- error-table:start -->\n)[\s\S]*?(<!-- error-table:end -->)/;
  if (!markers.test(readme)) {
    process.stderr.write('README.md has no <!-- error-table:start/end --> markers\n');
    process.exit(1);
  }
  writeFileSync(file, readme.replace(markers, (_, start, end) => `${start}${table}${end}`));
} else {
  process.stdout.write(table);
}

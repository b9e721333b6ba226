// Every SA_* code the source names is in the catalogue, and none the source still uses is retired.
// Scans src/ and plugin/ as text (TypeScript and the Python worker), so a code typed into a log
// call, a Python answer or a comment cannot drift from src/errors.ts unseen.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE, type CatalogueEntry } from '../../src/errors.js';
import { repoRoot } from '../helpers/paths.js';

const SCANNED = /\.(ts|py|js|mjs|cjs)$/;
const CODE = /\bSA_(?:ERR|WRN|EVT)_[A-Z0-9_]+\b/g;
/** A prefix not followed by a name: a code built at run time, which no scan can check. */
const BUILT = /\bSA_(?:ERR|WRN|EVT)_(?![A-Z0-9])/g;
const catalogueFile = path.join(repoRoot, 'src', 'errors.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__pycache__' || entry.name === 'node_modules' ? [] : sourceFiles(full);
    return SCANNED.test(entry.name) ? [full] : [];
  });
}

/** code → the files (relative) that name it, outside the catalogue itself. */
function codesInSource(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of [...sourceFiles(path.join(repoRoot, 'src')), ...sourceFiles(path.join(repoRoot, 'plugin'))]) {
    if (file === catalogueFile) continue;
    for (const [code] of readFileSync(file, 'utf8').matchAll(CODE)) {
      const where = used.get(code) ?? [];
      where.push(path.relative(repoRoot, file));
      used.set(code, where);
    }
  }
  return used;
}

const catalogue = new Map<string, CatalogueEntry>(
  [ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE].flatMap((c) => Object.entries(c) as [string, CatalogueEntry][]));

test('the scan sees TypeScript and the Python worker', (t) => {
  const files = new Set([...codesInSource().values()].flat());
  t.true([...files].some((f) => f.startsWith('plugin/') && f.endsWith('.ts')), 'plugin/*.ts');
  t.true([...files].some((f) => f.startsWith('src/') && f.endsWith('.ts')), 'src/**/*.ts');
  t.true([...files].some((f) => f.startsWith('src/worker/python/') && f.endsWith('.py')), 'src/worker/python/*.py');
});

test('every SA_ERR_/SA_WRN_/SA_EVT_ code in src/ and plugin/ is in the catalogue', (t) => {
  const unknown = [...codesInSource()].filter(([code]) => !catalogue.has(code)).map(([code, files]) => `${code} (${[...new Set(files)].join(', ')})`);
  t.deepEqual(unknown, [], 'add these to src/errors.ts, then npm run docs:errors');
});

test('no retired code is still used', (t) => {
  const used = codesInSource();
  const retiredButUsed = [...catalogue].filter(([code, entry]) => entry.retired === true && used.has(code)).map(([code]) => `${code} (${[...new Set(used.get(code))].join(', ')})`);
  t.deepEqual(retiredButUsed, []);
});

test('no code is built at run time (each must be a literal the scan can see)', (t) => {
  const built: string[] = [];
  for (const file of [...sourceFiles(path.join(repoRoot, 'src')), ...sourceFiles(path.join(repoRoot, 'plugin'))]) {
    if (BUILT.test(readFileSync(file, 'utf8'))) built.push(path.relative(repoRoot, file));
    BUILT.lastIndex = 0;
  }
  t.deepEqual(built, []);
});

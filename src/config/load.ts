// Reads the config file and parses its JSON; a syntax error, duplicate key or too-deep nesting
// names the line and column.
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../errors.js';
import { scanJson, lineColumn, MAX_CONFIG_DEPTH } from './json-scan.js';

export type LoadResult = { readonly ok: true; readonly raw: unknown } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export async function readConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, issues: [{ file, pointer: '', code: 'SA_ERR_CONFIG_READ', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadResult {
  // The scan finds what JSON.parse misses or misplaces: duplicate keys, too-deep nesting (which
  // would crash later recursive passes), and a line:column for every syntax error.
  const problems = scanJson(text, MAX_CONFIG_DEPTH);
  if (problems.length > 0) {
    return {
      ok: false,
      issues: problems.map((p) => {
        const { line, column } = lineColumn(text, p.offset);
        const what = p.kind === 'syntax' ? 'invalid JSON' : p.kind === 'depth' ? 'config too deep' : 'duplicate key';
        return { file, pointer: p.pointer, code: 'SA_ERR_CONFIG_JSON', message: `${what} at line ${line}, column ${column}: ${p.message}` };
      }),
    };
  }
  try {
    return { ok: true, raw: JSON.parse(text) as unknown };
  } catch (err) {
    // Not reached for text the scan accepted; kept so a disagreement is still a coded issue.
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, column } = lineColumn(text, at ? Number(at[1]) : text.length);
    return { ok: false, issues: [{ file, pointer: '', code: 'SA_ERR_CONFIG_JSON', message: `invalid JSON at line ${line}, column ${column}: ${message}` }] };
  }
}

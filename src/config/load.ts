// Reads the config file and parses its JSON; a syntax error names the line and column.
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../errors.js';

export type LoadResult = { readonly ok: true; readonly raw: unknown } | { readonly ok: false; readonly issue: ConfigIssue };

export async function readConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, issue: { file, pointer: '', code: 'SA_ERR_CONFIG_READ', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` } };
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadResult {
  try {
    return { ok: true, raw: JSON.parse(text) as unknown };
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    let where = '';
    if (at) {
      const offset = Number(at[1]);
      const before = text.slice(0, offset).split('\n');
      where = ` at line ${before.length}, column ${(before[before.length - 1] ?? '').length + 1}`;
    }
    return { ok: false, issue: { file, pointer: '', code: 'SA_ERR_CONFIG_JSON', message: `invalid JSON${where}: ${message}` } };
  }
}

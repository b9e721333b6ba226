// Parses the directive-string form of a scriptAlias entry, mod_wsgi's own syntax:
//   URL-path target [process-group=G] [application-group=A] [callable-object=N] [pass-authorization=On|Off] [runtime=node|python]
// into the object form. Words may be double-quoted ("/my app"). Unknown options, words without '=',
// empty values and missing positional words are errors (spec §2.1). Pure.

import type { Runtime } from './types.js';

export interface DirectiveEntry {
  url: string;
  path: string;
  processGroup?: string;
  applicationGroup?: string;
  callableObject?: string;
  passAuthorization?: boolean;
  runtime?: Runtime;
}

export type DirectiveResult = { readonly ok: true; readonly entry: DirectiveEntry } | { readonly ok: false; readonly message: string };

const OPTION_KEYS: Readonly<Record<string, keyof DirectiveEntry>> = {
  'process-group': 'processGroup',
  'application-group': 'applicationGroup',
  'callable-object': 'callableObject',
  'pass-authorization': 'passAuthorization',
  runtime: 'runtime',
};

/** Splits on whitespace; "double quotes" group a word (a quote may also wrap an option's value). */
export function splitWords(text: string): string[] | null {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  for (const ch of text) {
    if (quoted) {
      if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quoted) return null;
  if (inWord) words.push(current);
  return words;
}

export function parseDirective(text: string): DirectiveResult {
  const words = splitWords(text);
  if (words === null) return { ok: false, message: 'unterminated double quote' };
  const [url, target, ...options] = words;
  if (url === undefined || target === undefined) return { ok: false, message: 'expected "URL-path target [option=value ...]"' };
  if (!url.startsWith('/')) return { ok: false, message: `URL-path must start with "/": ${url}` };
  const entry: DirectiveEntry = { url, path: target };
  for (const word of options) {
    const eq = word.indexOf('=');
    if (eq < 0) return { ok: false, message: `option without "=": ${word}` };
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    const key = OPTION_KEYS[name];
    if (!key) return { ok: false, message: `unknown option ${name} (expected one of ${Object.keys(OPTION_KEYS).join(', ')})` };
    if (value === '') return { ok: false, message: `empty value for ${name}` };
    if (key === 'passAuthorization') {
      const flag = value.toLowerCase();
      if (flag !== 'on' && flag !== 'off') return { ok: false, message: `pass-authorization must be On or Off, not ${value}` };
      entry.passAuthorization = flag === 'on';
    } else if (key === 'runtime') {
      if (value !== 'node' && value !== 'python') return { ok: false, message: `runtime must be node or python, not ${value}` };
      entry.runtime = value;
    } else {
      entry[key] = value;
    }
  }
  return { ok: true, entry };
}

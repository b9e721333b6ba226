// Apache configuration syntax → logical lines and words, as httpd's ap_cfg_getline and
// ap_getword_conf read them: a trailing backslash continues the line, `#` starts a comment only as
// the first non-blank character, words may be "double" or 'single' quoted (a backslash escapes only
// the quote character). Knows nothing of directives, sections or Include.
import { ScriptAliasError } from '../errors.js';

export interface LogicalLine {
  /** 1-based number of the line the logical line starts on. */
  readonly line: number;
  readonly text: string;
}

export function importError(code: 'SA_ERR_IMPORT_READ' | 'SA_ERR_IMPORT_SYNTAX' | 'SA_ERR_IMPORT_DIRECTIVE' | 'SA_ERR_IMPORT_INCLUDE',
  file: string, line: number, message: string): ScriptAliasError {
  // Line 0: the file named on the command line itself (nothing inside it to point at).
  return new ScriptAliasError(code, `${line > 0 ? `${file}:${line}` : file}: ${message}`, { details: { file, line } });
}

/** Joins continuation lines and drops blank and comment lines. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const start = i + 1;
    let current = raw[i] ?? '';
    while (current.endsWith('\\') && i + 1 < raw.length) {
      current = current.slice(0, -1) + (raw[++i] ?? '');
    }
    const trimmed = current.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    out.push({ line: start, text: trimmed });
  }
  return out;
}

/** Splits one line into words; throws SA_ERR_IMPORT_SYNTAX on an unterminated quote. */
export function splitWords(text: string, file: string, line: number): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      let word = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\' && text[i + 1] === quote) i++;
        word += text[i++];
      }
      if (i >= text.length) throw importError('SA_ERR_IMPORT_SYNTAX', file, line, `unterminated ${quote} quote`);
      i++;
      words.push(word);
    } else {
      let word = '';
      while (i < text.length && !/\s/.test(text[i]!)) word += text[i++];
      words.push(word);
    }
  }
  return words;
}

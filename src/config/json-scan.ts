// One iterative pass over the config text, before JSON.parse: syntax errors, nesting deeper than a
// limit and duplicate keys, each at an offset (→ line:column) and, where known, a JSON pointer.
// Iterative on purpose: a recursive walk of a 5 000-level file would blow the call stack (issue 11),
// and JSON.parse alone neither reports duplicate keys (it keeps the last) nor always gives a position.
// Also an iterative depth check for an already-parsed value (inline object configs, cycles).

/** Deeper than any real config (the deepest schema path is ~8); keeps every later pass shallow. */
export const MAX_CONFIG_DEPTH = 64;

export type ScanProblemKind = 'syntax' | 'depth' | 'duplicate';

export interface ScanProblem {
  readonly kind: ScanProblemKind;
  readonly offset: number;
  /** RFC 6901 pointer of the value concerned ("" when unknown or the whole document). */
  readonly pointer: string;
  readonly message: string;
}

interface Frame {
  readonly close: '}' | ']';
  readonly keys: Set<string> | null;
  /** The current key (object) or index (array), for pointers. */
  at: string | number;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const HEX = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;
const MAX_DUPLICATES = 20;

export function escapePointer(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** End offset (after the closing quote) of the string starting at `start`, or -1. A loop, not a
 *  regex: V8's regex engine overflows its stack on a multi-megabyte string. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) return -1;
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!HEX.test(text.slice(i + 2, i + 6))) return -1;
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
        i += 1;
      } else {
        return -1;
      }
    }
  }
  return -1;
}

/** 1-based line and column (UTF-16 units) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Problems in order found; a syntax or depth problem ends the scan, duplicates are all listed (capped). */
export function scanJson(text: string, maxDepth: number = MAX_CONFIG_DEPTH): ScanProblem[] {
  const problems: ScanProblem[] = [];
  const stack: Frame[] = [];
  let expect: Expect = 'value';
  let i = 0;
  const pointer = (): string => stack.map((f) => `/${escapePointer(f.at)}`).join('');
  const fail = (kind: ScanProblemKind, offset: number, message: string, at = ''): ScanProblem[] => {
    problems.push({ kind, offset, pointer: at, message });
    return problems;
  };
  const match = (re: RegExp): string | null => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m ? m[0] : null;
  };
  const afterValue = (): Expect => (stack.length === 0 ? 'end' : 'comma-or-close');

  for (;;) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i += 1;
    const start = i;
    const ch = text[i];
    if (ch === undefined) {
      return expect === 'end' ? problems : fail('syntax', start, 'unexpected end of input');
    }
    const shown = (): string => JSON.stringify(ch);
    const top = stack[stack.length - 1];
    switch (expect) {
      case 'end':
        return fail('syntax', start, `unexpected ${shown()} after the JSON value`);
      case 'colon':
        if (ch !== ':') return fail('syntax', start, `expected ":" after a property name, found ${shown()}`);
        i += 1;
        expect = 'value';
        continue;
      case 'comma-or-close':
        if (ch === ',') {
          i += 1;
          if (top!.close === ']') top!.at = (top!.at as number) + 1;
          expect = top!.close === '}' ? 'key' : 'value';
          continue;
        }
        if (ch !== top!.close) return fail('syntax', start, `expected "," or "${top!.close}", found ${shown()}`);
        i += 1;
        stack.pop();
        expect = afterValue();
        continue;
      case 'key':
      case 'key-or-close': {
        if (ch === '}' && expect === 'key-or-close') {
          i += 1;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (ch !== '"') return fail('syntax', start, `expected a property name in double quotes, found ${shown()}`);
        const end = stringEnd(text, start);
        if (end < 0) return fail('syntax', start, 'invalid string (unterminated, raw control character or bad escape)');
        i = end;
        const key = JSON.parse(text.slice(start, end)) as string;
        top!.at = key;
        if (top!.keys!.has(key)) {
          if (problems.length < MAX_DUPLICATES) problems.push({ kind: 'duplicate', offset: start, pointer: pointer(), message: `"${key}" appears twice in this object (JSON keeps only the last one)` });
        } else {
          top!.keys!.add(key);
        }
        expect = 'colon';
        continue;
      }
      case 'value':
      case 'value-or-close': {
        if (ch === ']' && expect === 'value-or-close') {
          i += 1;
          stack.pop();
          expect = afterValue();
          continue;
        }
        if (ch === '{' || ch === '[') {
          if (stack.length >= maxDepth) return fail('depth', start, `nested deeper than ${maxDepth} levels`, pointer());
          i += 1;
          stack.push(ch === '{' ? { close: '}', keys: new Set(), at: '' } : { close: ']', keys: null, at: 0 });
          expect = ch === '{' ? 'key-or-close' : 'value-or-close';
          continue;
        }
        if (ch === '"') {
          const end = stringEnd(text, start);
          if (end < 0) return fail('syntax', start, 'invalid string (unterminated, raw control character or bad escape)');
          i = end;
          expect = afterValue();
          continue;
        }
        const token = ch === '-' || (ch >= '0' && ch <= '9') ? match(NUMBER) : match(LITERAL);
        if (token === null) return fail('syntax', start, `unexpected ${shown()} where a value was expected`);
        i += token.length;
        expect = afterValue();
        continue;
      }
    }
  }
}

/** Pointer of the first value nested deeper than maxDepth in a parsed value, or null. Iterative; stops
 *  at the limit, so a cyclic object is reported too instead of looping. */
export function tooDeep(value: unknown, maxDepth: number = MAX_CONFIG_DEPTH): string | null {
  const stack: { value: unknown; pointer: string; depth: number }[] = [{ value, pointer: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, pointer, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) return pointer;
    for (const [key, child] of Object.entries(current)) stack.push({ value: child, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1 });
  }
  return null;
}

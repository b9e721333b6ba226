// requestReadTimeout (Apache's RequestReadTimeout) → ms windows. "20-40" = 20 s at first, extended by
// 1 s per minRate bytes, never past 40 s; "20" or 20 = no cap; 0 = the phase is off.
import type { ConfigIssue } from '../errors.js';
import type { ResolvedReadTimeout, ResolvedReadWindow } from './types.js';

type Push = (issue: Omit<ConfigIssue, 'file'>) => void;

interface RawReadTimeout {
  readonly header?: number | string;
  readonly headerMinRate?: number;
  readonly body?: number | string;
  readonly bodyMinRate?: number;
}

// The schema's defaults, for a config object that skipped ajv (never the source of truth: the schema is).
const FALLBACK = { header: '20-40', headerMinRate: 500, body: 20, bodyMinRate: 500 } as const;

function window(value: number | string, minRate: number, pointer: string, push: Push): ResolvedReadWindow | null {
  const [first, second] = String(value).split('-');
  const initial = Number(first);
  const max = second === undefined ? null : Number(second);
  if (max !== null && max < initial) {
    push({ pointer, code: 'SA_ERR_CONFIG_SCHEMA', message: `the maximum ${max} s is below the first window ${initial} s`, expected: 'e.g. "20-40"' });
    return null;
  }
  if (initial === 0) return null;
  return { initialMs: initial * 1000, maxMs: max === null ? null : max * 1000, minRate };
}

export function resolveReadTimeout(raw: RawReadTimeout | undefined, blockPointer: string, push: Push): ResolvedReadTimeout {
  const r = { ...FALLBACK, ...raw };
  const at = `${blockPointer}/requestReadTimeout`;
  return {
    header: window(r.header, r.headerMinRate, `${at}/header`, push),
    body: window(r.body, r.bodyMinRate, `${at}/body`, push),
  };
}

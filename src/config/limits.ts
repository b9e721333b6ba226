// Apache's LimitRequest* keys, as they appear on defaults, a virtual host, a process group and an alias.
import type { RequestLimits } from './types.js';

export const LIMIT_KEYS = ['limitRequestBody', 'limitRequestFields', 'limitRequestFieldSize', 'limitRequestLine'] as const;

/** The limit keys a (schema-checked) config object sets itself; unset keys stay absent so a wider context's apply. */
export function pickLimits(raw: object | undefined): Partial<RequestLimits> {
  const out: Partial<Record<keyof RequestLimits, number>> = {};
  for (const key of LIMIT_KEYS) {
    const value = (raw as Partial<Record<string, unknown>> | undefined)?.[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}

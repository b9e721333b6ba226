// The one parser of group names: %{GLOBAL}, %{RESOURCE}, %{SERVER}, %{ENV:NAME} or a literal.
import type { GroupSpec } from './types.js';
import { GLOBAL_TOKEN, RESOURCE_TOKEN, SERVER_TOKEN, ENV_TOKEN_PREFIX } from '../constants.js';

export type GroupSpecResult = { readonly ok: true; readonly spec: GroupSpec; readonly expanded: boolean } | { readonly ok: false; readonly variable: string };

/** `expanded` is true for %{ENV:..}: such a name never triggers preload (spec §3.1). */
export function parseGroupSpec(value: string, env: Readonly<Record<string, string | undefined>>): GroupSpecResult {
  if (value === GLOBAL_TOKEN) return { ok: true, spec: { kind: 'global' }, expanded: false };
  if (value === RESOURCE_TOKEN) return { ok: true, spec: { kind: 'resource' }, expanded: false };
  if (value === SERVER_TOKEN) return { ok: true, spec: { kind: 'server' }, expanded: false };
  if (value.startsWith(ENV_TOKEN_PREFIX) && value.endsWith('}')) {
    const variable = value.slice(ENV_TOKEN_PREFIX.length, -1);
    const found = env[variable];
    if (found === undefined) return { ok: false, variable };
    const inner = parseGroupSpec(found, {});
    return inner.ok ? { ok: true, spec: inner.spec, expanded: true } : { ok: true, spec: { kind: 'literal', name: found }, expanded: true };
  }
  return { ok: true, spec: { kind: 'literal', name: value }, expanded: false };
}

/** A preload-able spec: %{GLOBAL} or a literal name written as such (spec §3.1). */
export function isPreloadable(spec: GroupSpec, expanded: boolean): boolean {
  return !expanded && (spec.kind === 'global' || spec.kind === 'literal');
}

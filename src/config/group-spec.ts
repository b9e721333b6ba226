// The one parser of group names: %{GLOBAL}, %{RESOURCE}, %{SERVER}, %{ENV:NAME} or a literal.
// Any other %{...} is rejected (unknown expansion).
import type { GroupSpec } from './types.js';
import { GLOBAL_TOKEN, RESOURCE_TOKEN, SERVER_TOKEN, ENV_TOKEN_PREFIX } from '../constants.js';

export type GroupSpecResult =
  | { readonly ok: true; readonly spec: GroupSpec; readonly expanded: boolean }
  | { readonly ok: false; readonly problem: 'env-unset'; readonly variable: string }
  | { readonly ok: false; readonly problem: 'unknown-expansion'; readonly expansion: string };

const ENV_NAME = /^[^{}%]+$/;

/** `expanded` is true for %{ENV:..}: such a name never triggers preload (spec §3.1). */
export function parseGroupSpec(value: string, env: Readonly<Record<string, string | undefined>>): GroupSpecResult {
  if (value === GLOBAL_TOKEN) return { ok: true, spec: { kind: 'global' }, expanded: false };
  if (value === RESOURCE_TOKEN) return { ok: true, spec: { kind: 'resource' }, expanded: false };
  if (value === SERVER_TOKEN) return { ok: true, spec: { kind: 'server' }, expanded: false };
  const variable = value.startsWith(ENV_TOKEN_PREFIX) && value.endsWith('}') ? value.slice(ENV_TOKEN_PREFIX.length, -1) : null;
  if (variable !== null && ENV_NAME.test(variable)) {
    const found = env[variable];
    if (found === undefined) return { ok: false, problem: 'env-unset', variable };
    const inner = parseGroupSpec(found, {});
    return inner.ok ? { ok: true, spec: inner.spec, expanded: true } : { ok: true, spec: { kind: 'literal', name: found }, expanded: true };
  }
  // Any other %{...} is a typo of an expansion (mod_wsgi knows no others), never a group name.
  if (value.includes('%{')) return { ok: false, problem: 'unknown-expansion', expansion: value };
  return { ok: true, spec: { kind: 'literal', name: value }, expanded: false };
}

/** A preload-able spec: %{GLOBAL} or a literal name written as such (spec §3.1). */
export function isPreloadable(spec: GroupSpec, expanded: boolean): boolean {
  return !expanded && (spec.kind === 'global' || spec.kind === 'literal');
}

// Group names at request time (spec §2.4, §2.5): %{SERVER} = ServerName[:port], %{RESOURCE} =
// that + "|" + lower-cased SCRIPT_NAME; the port comes from the Host header and is left out for
// 80/443 (a Host header without a port means 80).
import type { GroupSpec } from '../config/types.js';
import type { BytePath } from './types.js';
import { GLOBAL_GROUP } from '../constants.js';

/** The port part of a Host header, or '' when absent, 80 or 443. */
export function hostPortSuffix(host: string | undefined): string {
  if (!host) return '';
  const m = /:(\d+)$/.exec(host);
  if (!m || host.endsWith(']')) return '';
  const port = m[1]!;
  return port === '80' || port === '443' ? '' : `:${port}`;
}

export function resolveGroupName(spec: GroupSpec, serverName: string, host: string | undefined, scriptName: BytePath): string {
  switch (spec.kind) {
    case 'global': return GLOBAL_GROUP;
    case 'literal': return spec.name;
    case 'server': return serverName + hostPortSuffix(host);
    case 'resource': return `${serverName}${hostPortSuffix(host)}|${scriptName.replace(/[A-Z]/g, (c) => c.toLowerCase())}`;
  }
}

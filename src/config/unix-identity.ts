// A process group's Unix identity (mod_wsgi's WSGIDaemonProcess user= group=): names or numeric ids
// looked up through NSS (`getent`, so LDAP/sssd users count as they would for Apache), checked once
// at config time. The worker spawn switches to it; a config problem is an issue at the key's pointer.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../errors.js';

export interface UnixIdentity {
  readonly uid: number;
  readonly gid: number;
  /** User name and home folder, for the worker's USER/LOGNAME/HOME (as mod_wsgi sets them). */
  readonly user: string;
  readonly home: string;
}

interface Entry { readonly name: string; readonly id: number; readonly gid: number; readonly home: string }

/** One `getent` row split on ':'; falls back to the flat files when getent is not installed. */
function lookup(database: 'passwd' | 'group', key: string): string[] | null {
  try {
    const line = execFileSync('getent', [database, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
    return line ? line.split(':') : null;
  } catch (err) {
    // Exit code 2 = not found; anything else (ENOENT: no getent) reads /etc directly.
    if ((err as { status?: number }).status === 2) return null;
    try {
      const numeric = /^\d+$/.test(key);
      for (const row of readFileSync(`/etc/${database}`, 'utf8').split('\n')) {
        const fields = row.split(':');
        if (fields[0] === key || (numeric && fields[2] === key)) return fields;
      }
    } catch { /* no /etc file either: not found */ }
    return null;
  }
}

function userEntry(key: string): Entry | null {
  const f = lookup('passwd', key);
  return f && f.length >= 6 ? { name: f[0]!, id: Number(f[2]), gid: Number(f[3]), home: f[5]! } : null;
}

function groupEntry(key: string): Entry | null {
  const f = lookup('group', key);
  return f && f.length >= 3 ? { name: f[0]!, id: Number(f[2]), gid: Number(f[2]), home: '' } : null;
}

/**
 * The identity a group's `user`/`group` keys name, or null when neither is set (the proxy's own).
 * `euid`/`egid` are the proxy's; only root may switch, unless the keys name the proxy's own identity.
 */
export function resolveIdentity(
  group: { user?: string; group?: string }, pointer: string, push: (issue: Omit<ConfigIssue, 'file'>) => void,
  proxy: { euid: number; egid: number } = { euid: process.geteuid?.() ?? 0, egid: process.getegid?.() ?? 0 },
): UnixIdentity | null {
  if (group.user === undefined && group.group === undefined) return null;
  let ok = true;
  const user = group.user === undefined ? null : userEntry(group.user);
  if (group.user !== undefined && !user) {
    push({ pointer: `${pointer}/user`, code: 'SA_ERR_CONFIG_UNIX_USER', message: `no Unix user "${group.user}" on this host`, expected: 'an existing user name or uid' });
    ok = false;
  }
  const unixGroup = group.group === undefined ? null : groupEntry(group.group);
  if (group.group !== undefined && !unixGroup) {
    push({ pointer: `${pointer}/group`, code: 'SA_ERR_CONFIG_UNIX_USER', message: `no Unix group "${group.group}" on this host`, expected: 'an existing group name or gid' });
    ok = false;
  }
  if (!ok) return null;
  // Without `user` the uid stays the proxy's (only the group changes), as mod_wsgi keeps Apache's user.
  const self = userEntry(String(proxy.euid));
  const uid = user?.id ?? proxy.euid;
  const gid = unixGroup?.id ?? user?.gid ?? proxy.egid;
  if (proxy.euid !== 0 && (uid !== proxy.euid || gid !== proxy.egid)) {
    push({
      pointer: `${pointer}/${group.user !== undefined && uid !== proxy.euid ? 'user' : 'group'}`, code: 'SA_ERR_CONFIG_NOT_ROOT',
      message: `switching workers to uid ${uid} gid ${gid} needs a proxy running as root (it runs as uid ${proxy.euid})`, expected: 'run the proxy as root, or drop user/group',
    });
    return null;
  }
  return { uid, gid, user: user?.name ?? self?.name ?? String(uid), home: user?.home ?? self?.home ?? '/' };
}

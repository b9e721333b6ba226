// Short-lived cache of stat and realpath results for the request path (node-cache, TTL 1 s), so a
// file alias costs one Map lookup per request instead of a syscall. A changed or deleted file is
// seen within the TTL.
import { statSync, realpathSync } from 'node:fs';
import NodeCache from 'node-cache';

export type FileKind = 'file' | 'directory' | 'missing';

export interface FsCache {
  kind(file: string): FileKind;
  /** The real path (symlinks resolved), or null when it does not exist. */
  realpath(file: string): string | null;
}

export function createFsCache(ttlSeconds = 1): FsCache {
  const kinds = new NodeCache({ stdTTL: ttlSeconds, checkperiod: 0, useClones: false });
  const reals = new NodeCache({ stdTTL: ttlSeconds, checkperiod: 0, useClones: false });
  return {
    kind(file) {
      const cached = kinds.get<FileKind>(file);
      if (cached !== undefined) return cached;
      let found: FileKind = 'missing';
      try {
        const stat = statSync(file);
        found = stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'missing';
      } catch { /* missing, or not searchable: both answer 404 */ }
      kinds.set(file, found);
      return found;
    },
    realpath(file) {
      const cached = reals.get<string | null>(file);
      if (cached !== undefined) return cached;
      let found: string | null = null;
      try { found = realpathSync(file); } catch { /* missing */ }
      reals.set(file, found);
      return found;
    },
  };
}

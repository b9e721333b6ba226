// Cross-field checks after the schema: unknown process groups, missing or mis-shaped targets,
// duplicate URL-paths, unset %{ENV:..} names, unknown %{..} expansions,
// Python executables that cannot run. Each problem is
// pushed as a ConfigIssue at the pointer of the offending key; the checks never throw.
import { statSync, accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { ConfigIssue, ConfigWarning } from '../errors.js';
import type { GroupSpec, ResolvedProcessGroup, Runtime } from './types.js';
import { runtimeByExtension } from '../script/runtime-by-extension.js';

export interface Rules {
  processGroup(spec: GroupSpec, groups: Readonly<Record<string, ResolvedProcessGroup>>, pointer: string): void;
  envUnset(variable: string, pointer: string): void;
  unknownExpansion(value: string, pointer: string): void;
  duplicateUrl(url: string, pointer: string): void;
  /** A script target: the absolute path (directories keep a trailing slash) and its kind, or null. */
  scriptTarget(url: string, target: string, pointer: string): { path: string; kind: 'file' | 'directory' } | null;
  directory(target: string, pointer: string): string | null;
  /**
   * A static Alias target (Apache's plain join): the absolute path, a directory with a trailing
   * slash, or null. A directory needs the same trailing-slash form on the URL-path and the path.
   */
  staticTarget(url: string, target: string, pointer: string): string | null;
  python(executable: string, pointer: string): void;
  /** A .wsgi/.py script (or any script of a python group) needs its group's Python. */
  pythonFor(script: string, runtime: Runtime, group: string | null, groups: Readonly<Record<string, ResolvedProcessGroup>>, blockPython: string, blockPointer: string): void;
}

type Kind = 'file' | 'directory' | 'missing' | 'other';

function kindOf(file: string): Kind {
  try {
    const stat = statSync(file);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** Finds an executable the way a shell would: a path with a slash as is, else each PATH entry. */
export function findExecutable(name: string, env: Readonly<Record<string, string | undefined>>): string | null {
  const runnable = (candidate: string): boolean => {
    try { accessSync(candidate, constants.X_OK); return kindOf(candidate) === 'file'; } catch { return false; }
  };
  if (name.includes('/')) return runnable(name) ? name : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && runnable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

export function createRules(file: string, baseDir: string, env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[], warnings: ConfigWarning[]): Rules {
  const push = (issue: Omit<ConfigIssue, 'file'>): void => { issues.push({ file, ...issue }); };
  const checkedPython = new Map<string, boolean>();
  const abs = (target: string): string => {
    const resolved = path.resolve(baseDir, target);
    return target.endsWith('/') && !resolved.endsWith('/') ? `${resolved}/` : resolved;
  };
  const rules: Rules = {
    processGroup(spec, groups, pointer) {
      if (spec.kind === 'global') return;
      if (spec.kind === 'literal' && groups[spec.name]) return;
      const name = spec.kind === 'literal' ? spec.name : spec.kind === 'resource' ? '%{RESOURCE}' : '%{SERVER}';
      push({ pointer, code: 'SA_ERR_CONFIG_UNKNOWN_GROUP', message: `process group "${name}" is not defined`, expected: `%{GLOBAL} or one of: ${Object.keys(groups).join(', ') || '(no processGroups)'}` });
    },
    envUnset(variable, pointer) {
      push({ pointer, code: 'SA_ERR_CONFIG_ENV_UNSET', message: `%{ENV:${variable}}: the environment variable ${variable} is not set` });
    },
    unknownExpansion(value, pointer) {
      push({ pointer, code: 'SA_ERR_CONFIG_EXPANSION', message: `unknown expansion in group name "${value}"`, expected: '%{GLOBAL}, %{RESOURCE}, %{SERVER}, %{ENV:NAME} or a name without "%{"' });
    },
    duplicateUrl(url, pointer) {
      push({ pointer, code: 'SA_ERR_CONFIG_DUPLICATE_URL', message: `URL-path ${url} is already aliased in this context (the first entry would always win)` });
    },
    scriptTarget(url, target, pointer) {
      const resolved = abs(target);
      const kind = kindOf(resolved);
      if (kind === 'missing') {
        // As mod_wsgi: the alias answers 404 until the file appears; nothing else is held back.
        const shape = target.endsWith('/') ? 'directory' : 'file';
        warnings.push({ file, pointer, code: 'SA_WRN_MISSING_TARGET', message: `no such script ${shape} (yet): ${resolved}; this alias answers 404 until it exists` });
        if (shape === 'directory' && !url.endsWith('/')) {
          push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${resolved} is written as a directory: write the URL-path with a trailing slash too (${url.replace(/\/?$/, '/')} → ${target})` });
          return null;
        }
        return { path: resolved, kind: shape };
      }
      if (kind === 'other') {
        push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${resolved} is neither a regular file nor a directory` });
        return null;
      }
      if (kind === 'directory') {
        if (!target.endsWith('/') || !url.endsWith('/')) {
          push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${resolved} is a directory: write the URL-path and the directory with a trailing slash (${url.replace(/\/?$/, '/')} → ${target.replace(/\/?$/, '/')})` });
          return null;
        }
        return { path: resolved, kind };
      }
      if (target.endsWith('/')) {
        push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${resolved} is a file, but the path ends with "/" (a directory target)` });
        return null;
      }
      return { path: resolved, kind };
    },
    directory(target, pointer) {
      const resolved = abs(target).replace(/\/$/, '') || '/';
      const kind = kindOf(resolved);
      if (kind === 'directory') return resolved;
      push({ pointer, code: kind === 'missing' ? 'SA_ERR_CONFIG_MISSING_TARGET' : 'SA_ERR_CONFIG_TARGET_KIND', message: `${resolved} is not a directory` });
      return null;
    },
    staticTarget(url, target, pointer) {
      const resolved = abs(target);
      const bare = resolved.length > 1 ? resolved.replace(/\/$/, '') : resolved;
      const kind = kindOf(bare);
      if (kind === 'missing' || kind === 'other') {
        push({ pointer, code: 'SA_ERR_CONFIG_MISSING_TARGET', message: `no such file or directory: ${resolved}` });
        return null;
      }
      if (kind === 'file') {
        if (!target.endsWith('/')) return bare;
        push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${bare} is a file, but the path ends with "/" (a directory target)` });
        return null;
      }
      // Apache joins the two strings as they are: "/static/" + "public" would look for "publica.txt".
      if (url.endsWith('/') !== target.endsWith('/')) {
        const slashed = `${url.replace(/\/?$/, '/')} → ${target.replace(/\/?$/, '/')}`;
        const fixed = url === '/' ? slashed : `${slashed}, or ${url.replace(/\/+$/, '')} → ${target.replace(/\/+$/, '')}`;
        push({ pointer, code: 'SA_ERR_CONFIG_TARGET_KIND', message: `${bare} is a directory: write the URL-path and the directory both with a trailing slash or both without (${fixed})` });
        return null;
      }
      return bare === '/' ? bare : `${bare}/`;
    },
    python(executable, pointer) {
      const key = `${executable}\0${pointer}`;
      if (checkedPython.has(key)) return;
      const found = findExecutable(executable, env) !== null;
      checkedPython.set(key, found);
      if (!found) push({ pointer, code: 'SA_ERR_CONFIG_PYTHON', message: `Python executable "${executable}" not found or not executable`, expected: 'a python3 on PATH or an absolute path' });
    },
    pythonFor(script, runtime, group, groups, blockPython, blockPointer) {
      const settings = group === null ? null : groups[group];
      const isPython = (runtimeByExtension(script) ?? runtime) === 'python';
      if (!isPython) return;
      if (settings) rules.python(settings.python, settings.python === blockPython ? blockPointer : `${settings.pointer}/python`);
      else rules.python(blockPython, blockPointer);
    },
  };
  return rules;
}

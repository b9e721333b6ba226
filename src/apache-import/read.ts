// Reads an Apache configuration into a tree of directives and <Section>s, as httpd does before it
// acts on anything: Include/IncludeOptional (globs and folders, relative to ServerRoot) spliced in
// place, Define/UnDefine and ${VAR} substituted, <IfDefine>/<IfModule>/<IfVersion> decided.
// Errors Apache itself would raise (unbalanced sections, Include loops) are thrown with file:line.
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { importError, logicalLines, splitWords } from './tokenize.js';

export interface DirectiveNode {
  readonly kind: 'directive';
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  /** ${VAR} references that no Define set (left as written). */
  readonly unresolved: readonly string[];
}

export interface SectionNode {
  readonly kind: 'section';
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  readonly children: ConfigNode[];
}

export type ConfigNode = DirectiveNode | SectionNode;

export interface ReadResult {
  readonly nodes: ConfigNode[];
  readonly serverRoot: string;
  /** Every file read, in order. */
  readonly files: readonly string[];
}

/** Apache's own glob limit is far higher; past this many files an Include is a mistake, not a site. */
export const MAX_INCLUDE_FILES = 10_000;

interface State {
  serverRoot: string;
  readonly defines: Map<string, string>;
  readonly reading: string[];
  readonly files: string[];
  /** Modules loaded so far (LoadModule), by bare name ("wsgi" for wsgi_module and mod_wsgi.c). */
  readonly modules: Set<string>;
}

// Compiled into Debian's httpd: <IfModule> holds for them without a LoadModule.
const BUILTIN_MODULES = ['core', 'so', 'http_core', 'log_config', 'logio', 'version', 'unixd', 'watchdog'];
const moduleName = (id: string): string => id.replace(/^mod_/, '').replace(/(_module|\.c)$/, '');

const CONDITIONALS = new Set(['ifdefine', 'ifmodule', 'ifversion', 'iffile', 'ifdirective', 'ifsection']);

export function readApacheConfig(file: string, options: { serverRoot?: string; defines?: Record<string, string> } = {}): ReadResult {
  const main = path.resolve(file);
  const state: State = {
    // httpd's compiled-in ServerRoot is unknown here; the main file's folder is what Debian's layout
    // (/etc/apache2/apache2.conf) and a lone site.conf both mean.
    serverRoot: options.serverRoot ? path.resolve(options.serverRoot) : path.dirname(main),
    defines: new Map(Object.entries(options.defines ?? {})),
    reading: [],
    files: [],
    modules: new Set(),
  };
  const nodes = readFile(main, state, main, 0);
  return { nodes, serverRoot: state.serverRoot, files: state.files };
}

function readFile(file: string, state: State, fromFile: string, fromLine: number): ConfigNode[] {
  let real: string;
  let text: string;
  try {
    real = realpathSync(file);
    text = readFileSync(real, 'utf8');
  } catch (err) {
    throw importError('SA_ERR_IMPORT_READ', fromFile, fromLine, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (state.reading.includes(real)) {
    throw importError('SA_ERR_IMPORT_INCLUDE', fromFile, fromLine, `Include loop: ${[...state.reading, real].join(' → ')}`);
  }
  state.reading.push(real);
  state.files.push(file);
  const root: ConfigNode[] = [];
  // Open sections of this file; Apache requires a section to close in the file that opened it.
  const stack: { name: string; file: string; line: number; children: ConfigNode[]; skip: boolean; args: string[] }[] = [];
  const current = (): ConfigNode[] => stack.at(-1)?.children ?? root;
  const skipping = (): boolean => stack.some((s) => s.skip);
  for (const { line, text: rawText } of logicalLines(text)) {
    const unresolved: string[] = [];
    const expanded = rawText.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      const value = state.defines.get(name);
      if (value === undefined) { unresolved.push(name); return whole; }
      return value;
    });
    if (expanded.startsWith('</')) {
      const name = expanded.slice(2).replace(/>\s*$/, '').trim();
      if (!expanded.trimEnd().endsWith('>')) throw importError('SA_ERR_IMPORT_SYNTAX', file, line, `${expanded}: missing ">"`);
      const open = stack.pop();
      if (!open) throw importError('SA_ERR_IMPORT_SYNTAX', file, line, `</${name}> without matching <${name}> section`);
      if (open.name.toLowerCase() !== name.toLowerCase()) {
        throw importError('SA_ERR_IMPORT_SYNTAX', file, line, `</${name}> closes <${open.name}> (opened at ${open.file}:${open.line})`);
      }
      if (open.skip || !CONDITIONALS.has(open.name.toLowerCase())) {
        if (!open.skip && !skipping()) current().push({ kind: 'section', name: open.name, args: open.args, file: open.file, line: open.line, children: open.children });
      } else if (!skipping()) {
        // A true conditional: its contents belong to the enclosing context.
        current().push(...open.children);
      }
      continue;
    }
    if (expanded.startsWith('<')) {
      if (!expanded.endsWith('>')) throw importError('SA_ERR_IMPORT_SYNTAX', file, line, `${expanded.split(/\s/)[0]}: section opener missing ">"`);
      const inner = expanded.slice(1, -1).trim();
      const words = splitWords(inner, file, line);
      const name = words[0] ?? '';
      if (!name) throw importError('SA_ERR_IMPORT_SYNTAX', file, line, 'empty <> section');
      const args = words.slice(1);
      const skip = !skipping() && CONDITIONALS.has(name.toLowerCase()) && !conditionHolds(name.toLowerCase(), args, state);
      stack.push({ name, file, line, children: [], skip, args });
      continue;
    }
    const words = splitWords(expanded, file, line);
    const [name = '', ...args] = words;
    if (skipping()) continue;
    const lower = name.toLowerCase();
    if (lower === 'define') {
      if (args.length < 1) throw importError('SA_ERR_IMPORT_DIRECTIVE', file, line, 'Define needs a name');
      state.defines.set(args[0]!, args.slice(1).join(' '));
    } else if (lower === 'undefine') {
      state.defines.delete(args[0] ?? '');
    } else if (lower === 'loadmodule' && args[0]) {
      state.modules.add(moduleName(args[0]));
    } else if (lower === 'serverroot') {
      if (args.length !== 1) throw importError('SA_ERR_IMPORT_DIRECTIVE', file, line, 'ServerRoot takes one path');
      state.serverRoot = path.resolve(path.dirname(file), args[0]!);
    } else if (lower === 'include' || lower === 'includeoptional') {
      if (args.length !== 1) throw importError('SA_ERR_IMPORT_DIRECTIVE', file, line, `${name} takes one path`);
      const optional = lower === 'includeoptional';
      for (const included of expandInclude(args[0]!, state.serverRoot, optional, file, line)) {
        current().push(...readFile(included, state, file, line));
      }
      continue;
    }
    current().push({ kind: 'directive', name, args, file, line, unresolved });
  }
  const open = stack.pop();
  if (open) throw importError('SA_ERR_IMPORT_SYNTAX', open.file, open.line, `<${open.name}> is never closed (end of ${file})`);
  state.reading.pop();
  return root;
}

function conditionHolds(name: string, args: readonly string[], state: State): boolean {
  const arg = args[0] ?? '';
  const negated = arg.startsWith('!');
  const subject = negated ? arg.slice(1) : arg;
  let holds: boolean;
  switch (name) {
    case 'ifdefine': holds = state.defines.has(subject); break;
    case 'iffile': holds = existsPath(path.resolve(state.serverRoot, subject)); break;
    // A fragment (a site.conf with no LoadModule before it) is read as if its modules were loaded.
    case 'ifmodule': holds = state.modules.size === 0 || state.modules.has(moduleName(subject)) || BUILTIN_MODULES.includes(moduleName(subject)); break;
    default: holds = true;
  }
  return negated ? !holds : holds;
}

function existsPath(p: string): boolean {
  try { statSync(p); return true; } catch { return false; }
}

/** Include's argument → files, in Apache's order (sorted); folders are read recursively. */
function expandInclude(pattern: string, serverRoot: string, optional: boolean, file: string, line: number): string[] {
  const absolute = path.resolve(serverRoot, pattern);
  const found: string[] = [];
  const add = (p: string): void => {
    found.push(p);
    if (found.length > MAX_INCLUDE_FILES) {
      throw importError('SA_ERR_IMPORT_INCLUDE', file, line, `Include ${pattern} matches more than ${MAX_INCLUDE_FILES} files`);
    }
  };
  const walk = (p: string): void => {
    let st;
    try { st = statSync(p); } catch { return; }
    if (!st.isDirectory()) { add(p); return; }
    for (const entry of readdirSync(p).sort()) walk(path.join(p, entry));
  };
  if (!/[*?[]/.test(absolute)) {
    if (!existsPath(absolute)) {
      if (optional) return [];
      throw importError('SA_ERR_IMPORT_INCLUDE', file, line, `Include ${pattern}: no such file or folder (${absolute})`);
    }
    walk(absolute);
    return found;
  }
  // Wildcards in any component, as Apache allows; each component matched with fnmatch rules.
  const parts = absolute.split('/').filter(Boolean);
  let bases = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        const p = path.join(base, part);
        if (existsPath(p)) next.push(p);
        continue;
      }
      let entries: string[];
      try { entries = readdirSync(base).sort(); } catch { continue; }
      const re = globPart(part);
      for (const entry of entries) {
        if (!re.test(entry)) continue;
        const p = path.join(base, entry);
        if (last) {
          // Apache's wildcard Include takes files only; folders matched by the last component are skipped.
          let isFile = false;
          try { isFile = statSync(p).isFile(); } catch { /* vanished since readdir */ }
          if (isFile) add(p);
        } else {
          next.push(p);
          if (next.length > MAX_INCLUDE_FILES) throw importError('SA_ERR_IMPORT_INCLUDE', file, line, `Include ${pattern} matches more than ${MAX_INCLUDE_FILES} folders`);
        }
      }
    }
    if (!last) bases = next;
    else if (!/[*?[]/.test(part)) for (const p of next) walk(p);
  }
  if (found.length === 0 && !optional) {
    throw importError('SA_ERR_IMPORT_INCLUDE', file, line, `Include ${pattern} matches no file (use IncludeOptional)`);
  }
  return found;
}

function globPart(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      re += `[${part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  // fnmatch without FNM_PERIOD in httpd's Include: dot files match too, but never . and ..
  return new RegExp(`^(?!\\.\\.?$)${re}$`);
}

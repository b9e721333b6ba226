// Request path → RouteDecision, by mod_wsgi's and Apache's rules (DESIGN §3, spec §1, the recorded
// conformance scenarios): virtual host by Host; static aliases first; script aliases in config order
// (first match, segment boundaries, slash runs equivalent); then the document root, where files in
// script directories run as scripts. Every file answer is confined (real path) to its root, and a
// script file is never a static answer. Synchronous and allocation-light: it runs on every request.
import path from 'node:path';
import type { AliasTable, TableContext, TableScriptAlias } from './alias-table.js';
import { isWithin } from './alias-table.js';
import type { BytePath, RouteDecision, RouteRequest, ScriptTarget } from './types.js';
import type { GroupSpec, Runtime } from '../config/types.js';
import type { ErrorCode } from '../errors.js';
import { normalizeRequestPath, encodePath } from './safe-path.js';
import { resolveGroupName } from './group-name.js';
import { GLOBAL_GROUP } from '../constants.js';
import { runtimeByExtension, runtimeOfScript } from '../script/runtime-by-extension.js';

const MISS: RouteDecision = Object.freeze({ kind: 'miss' });
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(code: ErrorCode, reason: string): RouteDecision {
  return { kind: 'error', code, reason };
}

/**
 * mod_wsgi's prefix rule (spec §1.3): each slash run of the alias matches a run in the URI; other
 * bytes equal (case-sensitive); then a segment boundary unless the alias ends in "/".
 * Returns the number of URI bytes consumed, or -1.
 */
export function matchPrefix(alias: BytePath, uri: BytePath): number {
  let a = 0;
  let u = 0;
  while (a < alias.length) {
    if (alias.charCodeAt(a) === 47) {
      if (uri.charCodeAt(u) !== 47) return -1;
      while (alias.charCodeAt(a) === 47) a++;
      while (uri.charCodeAt(u) === 47) u++;
    } else {
      if (alias.charCodeAt(a) !== uri.charCodeAt(u)) return -1;
      a++;
      u++;
    }
  }
  if (alias.charCodeAt(alias.length - 1) !== 47 && u < uri.length && uri.charCodeAt(u) !== 47) return -1;
  return u;
}

/** A path segment (bytes) as a filesystem name; null when it is not UTF-8 (no such file can exist). */
function fsName(segment: BytePath): string | null {
  if (!/[\x80-\xff]/.test(segment)) return segment;
  try { return utf8.decode(Buffer.from(segment, 'latin1')); } catch { return null; }
}

export function pickContext(table: AliasTable, host: string | undefined): TableContext {
  // No virtual hosts (the common single-site config): no Host text to take apart on every request.
  if (host && table.byHost.size > 0) {
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
    const found = table.byHost.get(name.toLowerCase());
    if (found) return found;
  }
  return table.fallback;
}

type Walk =
  | { readonly kind: 'file'; readonly file: string; readonly segments: readonly string[]; readonly at: number }
  | { readonly kind: 'dir'; readonly dir: string; readonly trailingSlash: boolean }
  | { readonly kind: 'missing' };

/** Apache's directory walk: components of `rest` below `base` until the first regular file. */
function walk(table: AliasTable, base: string, rest: BytePath, uriEndsWithSlash: boolean): Walk {
  if (rest === '') return { kind: 'dir', dir: base, trailingSlash: uriEndsWithSlash };
  const segments = rest.split('/');
  let current = base;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '') return { kind: 'dir', dir: current, trailingSlash: true };
    const name = fsName(segment);
    if (name === null) return { kind: 'missing' };
    const next = `${current}/${name}`;
    const kind = table.fs.kind(next);
    if (kind === 'file') return { kind: 'file', file: next, segments, at: i };
    if (kind === 'missing') return { kind: 'missing' };
    current = next;
  }
  return { kind: 'dir', dir: current, trailingSlash: false };
}

function pathInfoAfter(segments: readonly string[], at: number): BytePath {
  return at + 1 < segments.length ? '/' + segments.slice(at + 1).join('/') : '';
}

interface ScriptSettings {
  readonly processGroup: GroupSpec;
  readonly applicationGroup: GroupSpec;
  readonly callableObject: string;
  readonly passAuthorization: boolean;
  readonly pointer: string;
  readonly runtime: Runtime;
}

function scriptTarget(table: AliasTable, ctx: TableContext, req: RouteRequest, settings: ScriptSettings,
  file: string, scriptName: BytePath, pathInfo: BytePath, query: string): ScriptTarget {
  const processGroup = settings.processGroup.kind === 'literal' ? settings.processGroup.name : GLOBAL_GROUP;
  return {
    kind: 'script',
    scriptFilename: file,
    scriptName,
    pathInfo,
    rawPathInfo: encodePath(pathInfo),
    queryString: query,
    processGroup,
    applicationGroup: resolveGroupName(settings.applicationGroup, ctx.serverName, req.host, scriptName),
    callableObject: settings.callableObject,
    passAuthorization: settings.passAuthorization,
    runtime: runtimeOfScript(file, settings.runtime),
    pointer: settings.pointer,
    context: ctx.context.pointer,
  };
}

function redirectToSlash(req: RouteRequest, uri: BytePath, query: string, hadQuery: boolean): RouteDecision {
  const host = req.host ?? 'localhost';
  return { kind: 'redirect', status: 301, location: `http://${host}${encodePath(uri)}/${hadQuery ? `?${query}` : ''}` };
}

function hasExtension(file: string, extensions: readonly string[] | null): boolean {
  return extensions === null || extensions.includes(path.extname(file).toLowerCase());
}

/** A script alias matched `consumed` bytes of `uri`. */
function scriptAlias(table: AliasTable, ctx: TableContext, req: RouteRequest, entry: TableScriptAlias, uri: BytePath,
  consumed: number, query: string, hadQuery: boolean): RouteDecision {
  const { alias } = entry;
  if (alias.targetKind === 'file') {
    const rest = entry.rootMount ? uri : uri.slice(consumed);
    // A plain join (spec §1.4): "/app/" → file, "/app/x" names "file.jsx", which does not exist.
    if (rest !== '' && rest.charCodeAt(0) !== 47) return fail('SA_ERR_ROUTE_NOT_FOUND', 'glued script name');
    if (table.fs.kind(alias.path) !== 'file') return fail('SA_ERR_ROUTE_NOT_FOUND', 'script file missing');
    const scriptName = entry.rootMount ? '' : uri.slice(0, consumed);
    return scriptTarget(table, ctx, req, alias, alias.path, scriptName, rest, query);
  }
  const base = alias.path.replace(/\/$/, '');
  const rest = uri.slice(consumed);
  const found = walk(table, base, rest, uri.endsWith('/'));
  if (found.kind === 'missing') return fail('SA_ERR_ROUTE_NOT_FOUND', 'no such script');
  if (found.kind === 'dir') {
    if (!found.trailingSlash) return redirectToSlash(req, uri, query, hadQuery);
    const index = `${found.dir}/index.html`;
    if (table.fs.kind(index) === 'file' && confined(table, index, entry.realTarget)) {
      return scriptTarget(table, ctx, req, alias, index, `${uri}index.html`, '', query);
    }
    return fail('SA_ERR_ROUTE_FORBIDDEN', 'directory named as a script');
  }
  if (!confined(table, found.file, entry.realTarget)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'script leaves its directory');
  if (!hasExtension(found.file, alias.extensions)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'not a script extension');
  const scriptName = uri.slice(0, consumed) + found.segments.slice(0, found.at + 1).join('/');
  return scriptTarget(table, ctx, req, alias, found.file, scriptName, pathInfoAfter(found.segments, found.at), query);
}

function confined(table: AliasTable, file: string, realRoot: string): boolean {
  const real = table.fs.realpath(file);
  return real !== null && isWithin(real, realRoot);
}

/** Script files are never static content: alias targets, script folders, and .wsgi/.py anywhere. */
function isScriptFile(table: AliasTable, real: string): boolean {
  if (runtimeByExtension(real) === 'python') return true;
  if (table.scriptFiles.has(real)) return true;
  for (const folder of table.scriptFolders) if (isWithin(real, folder)) return true;
  return false;
}

/**
 * A static lookup under `base` (an alias folder or the document root). Files inside a script
 * directory run as scripts instead. `fromAlias`: an Alias folder owns its whole prefix (a missing
 * file → 404); the document root instead lets redbird's routes answer paths it has no file for.
 */
function staticLookup(table: AliasTable, ctx: TableContext, req: RouteRequest, base: string, realBase: string, prefix: BytePath,
  rest: BytePath, uri: BytePath, query: string, hadQuery: boolean, fromAlias: boolean): RouteDecision {
  const segments = rest === '' ? [] : rest.split('/');
  if (segments.some((s) => s.startsWith('.'))) return fail('SA_ERR_ROUTE_NOT_FOUND', 'dotfile');
  const found = walk(table, base, rest, uri.endsWith('/'));
  if (found.kind === 'missing') return fromAlias ? fail('SA_ERR_ROUTE_NOT_FOUND', 'no such file') : MISS;
  let file: string;
  let scriptName: BytePath;
  let pathInfo: BytePath;
  if (found.kind === 'dir') {
    const realDir = table.fs.realpath(found.dir);
    if (realDir === null || !isWithin(realDir, realBase)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'folder leaves its root');
    if (!found.trailingSlash) return redirectToSlash(req, uri, query, hadQuery);
    file = `${found.dir}/index.html`;
    if (table.fs.kind(file) !== 'file') {
      const inScripts = ctx.scriptDirectories.some((d) => isWithin(realDir, d.realPath));
      // 404, not 403, also under an Alias: the recorded Apache (no mod_autoindex) answers 404
      // (conformance static-alias-beats-scriptalias/static-dir), and the recording wins.
      return fail(inScripts ? 'SA_ERR_ROUTE_FORBIDDEN' : 'SA_ERR_ROUTE_NOT_FOUND', 'folder without index');
    }
    scriptName = `${uri}index.html`;
    pathInfo = '';
  } else {
    file = found.file;
    scriptName = prefix + found.segments.slice(0, found.at + 1).join('/');
    pathInfo = pathInfoAfter(found.segments, found.at);
  }
  const real = table.fs.realpath(file);
  if (real === null || !isWithin(real, realBase)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'file leaves its root');
  const scriptDir = ctx.scriptDirectories.find((d) => isWithin(real, d.realPath));
  if (scriptDir && hasExtension(real, scriptDir.dir.extensions)) {
    return scriptTarget(table, ctx, req, scriptDir.dir, file, scriptName, pathInfo, query);
  }
  if (pathInfo !== '') return fail('SA_ERR_ROUTE_NOT_FOUND', 'path info on a static file');
  if (isScriptFile(table, real)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'script source is never served');
  return { kind: 'static', file: real };
}

export function matchRequest(table: AliasTable, req: RouteRequest): RouteDecision {
  const normalized = normalizeRequestPath(req.rawUrl);
  if (normalized.kind === 'not-a-path') return MISS;
  if (normalized.kind === 'error') return fail(normalized.code, normalized.reason);
  const uri = normalized.path;
  const query = normalized.query;
  const hadQuery = req.rawUrl.includes('?');
  const ctx = pickContext(table, req.host);

  for (const entry of ctx.staticAliases) {
    const consumed = matchPrefix(entry.url, uri);
    if (consumed < 0) continue;
    if (!entry.isDirectory) {
      const rest = uri.slice(consumed);
      if (rest !== '') return fail('SA_ERR_ROUTE_NOT_FOUND', 'path below a file alias');
      const real = table.fs.realpath(entry.target);
      if (real === null || table.fs.kind(real) !== 'file' || isScriptFile(table, real)) return fail('SA_ERR_ROUTE_NOT_FOUND', 'no such file');
      return { kind: 'static', file: real };
    }
    // Apache's plain join: "/files" → "assets" and "/files/" → "assets/" both map "/files/a.txt" to
    // "assets/a.txt". Without a trailing slash the rest still starts with "/": step over it.
    const cut = uri.charCodeAt(consumed) === 47 ? consumed + 1 : consumed;
    const base = entry.target.replace(/\/$/, '');
    return staticLookup(table, ctx, req, base, entry.realTarget, uri.slice(0, cut), uri.slice(cut), uri, query, hadQuery, true);
  }
  for (const entry of ctx.scriptAliases) {
    const consumed = matchPrefix(entry.url, uri);
    if (consumed >= 0) return scriptAlias(table, ctx, req, entry, uri, consumed, query, hadQuery);
  }
  if (ctx.documentRoot) {
    return staticLookup(table, ctx, req, ctx.documentRoot.path, ctx.documentRoot.realPath, '/', uri.slice(1), uri, query, hadQuery, false);
  }
  return MISS;
}

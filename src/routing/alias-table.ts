// The immutable routing table of one config generation: per context (virtual host or server level)
// its static aliases, script aliases in config order (first match wins, as mod_wsgi), document root
// and script directories; plus every script location, so a static lookup can refuse script files.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig, ResolvedContext, ResolvedScriptAlias, ResolvedScriptDirectory } from '../config/types.js';
import type { BytePath } from './types.js';
import { utf8Bytes } from './safe-path.js';
import { createFsCache, type FsCache } from './fs-cache.js';

export interface TableScriptAlias {
  readonly url: BytePath;
  readonly rootMount: boolean;
  readonly alias: ResolvedScriptAlias;
  /** Real path of the target (file, or directory without trailing slash). */
  readonly realTarget: string;
}

export interface TableStaticAlias {
  readonly url: BytePath;
  readonly rootMount: boolean;
  /** Absolute target; directories end with "/". */
  readonly target: string;
  readonly realTarget: string;
  readonly isDirectory: boolean;
}

export interface TableScriptDirectory {
  readonly dir: ResolvedScriptDirectory;
  readonly realPath: string;
}

export interface TableContext {
  readonly context: ResolvedContext;
  readonly serverName: string;
  readonly staticAliases: readonly TableStaticAlias[];
  /** This context's own script aliases, then (for a virtual host) the server-level ones. */
  readonly scriptAliases: readonly TableScriptAlias[];
  readonly documentRoot: { readonly path: string; readonly realPath: string } | null;
  readonly scriptDirectories: readonly TableScriptDirectory[];
}

export interface AliasTable {
  readonly config: ResolvedConfig;
  readonly contexts: readonly TableContext[];
  /** Lower-cased host name → context (serverName and serverAliases). */
  readonly byHost: ReadonlyMap<string, TableContext>;
  /** The context for an unknown Host: the first virtual host, else the server level. */
  readonly fallback: TableContext;
  /** Real paths of directory script-alias targets and of file script-alias targets. */
  readonly scriptFolders: readonly string[];
  readonly scriptFiles: ReadonlySet<string>;
  readonly fs: FsCache;
}

function real(target: string): string {
  const bare = target.length > 1 ? target.replace(/\/$/, '') : target;
  try { return realpathSync(bare); } catch { /* missing (yet): resolve what exists, its folder */ }
  try { return path.join(realpathSync(path.dirname(bare)), path.basename(bare)); } catch { return bare; }
}

function tableAliases(aliases: readonly ResolvedScriptAlias[]): TableScriptAlias[] {
  return aliases.map((alias) => ({ url: utf8Bytes(alias.url), rootMount: alias.url === '/', alias, realTarget: real(alias.path) }));
}

export function buildAliasTable(config: ResolvedConfig): AliasTable {
  const serverAliases = tableAliases(config.server.scriptAlias);
  const build = (context: ResolvedContext, own: boolean): TableContext => ({
    context,
    serverName: context.serverName ?? config.server.serverName ?? 'localhost',
    staticAliases: context.alias.map((a) => ({
      url: utf8Bytes(a.url), rootMount: a.url === '/', target: a.path, realTarget: real(a.path), isDirectory: a.path.endsWith('/'),
    })),
    scriptAliases: own ? [...tableAliases(context.scriptAlias), ...serverAliases] : serverAliases,
    documentRoot: context.documentRoot ? { path: context.documentRoot, realPath: real(context.documentRoot) } : null,
    scriptDirectories: context.scriptDirectories.map((dir) => ({ dir, realPath: real(dir.path) })),
  });
  const contexts = config.virtualHosts.map((vhost) => build(vhost, true));
  const serverContext = build(config.server, false);
  const byHost = new Map<string, TableContext>();
  for (const ctx of contexts) {
    for (const name of [ctx.context.serverName, ...ctx.context.serverAliases]) {
      if (name && !byHost.has(name.toLowerCase())) byHost.set(name.toLowerCase(), ctx);
    }
  }
  const allAliases = [...config.server.scriptAlias, ...config.virtualHosts.flatMap((v) => v.scriptAlias)];
  return {
    config,
    contexts: contexts.length > 0 ? contexts : [serverContext],
    byHost,
    fallback: contexts[0] ?? serverContext,
    scriptFolders: allAliases.filter((a) => a.targetKind === 'directory').map((a) => real(a.path)),
    scriptFiles: new Set(allAliases.filter((a) => a.targetKind === 'file').map((a) => real(a.path))),
    fs: createFsCache(),
  };
}

/** True when `file` (a real path) is `folder` or inside it. */
export function isWithin(file: string, folder: string): boolean {
  if (file === folder) return true;
  const prefix = folder.endsWith(path.sep) ? folder : folder + path.sep;
  return file.startsWith(prefix);
}

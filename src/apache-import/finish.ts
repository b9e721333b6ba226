// Second pass: the collected Apache contexts → a proxy.json object. Applies mod_wsgi's precedence
// (alias option > <Directory>/<Location> > virtual host > server defaults), the preload rule for
// WSGIImportScript, and the safe readings where a literal translation would change behaviour.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AliasOut, Collected, Context, Scope, ScriptDirOut } from './contexts.js';
import type { Report } from './report.js';

const GLOBAL = '%{GLOBAL}';
const SCRIPT_SOURCE = /\.(wsgi|py)$/;
const JS_SCRIPT = /\.(js|mjs|cjs)$/;
const SCAN_LIMIT = 5_000;

type Kind = 'file' | 'directory' | 'missing';
function kindOf(p: string): Kind {
  try { const st = statSync(p); return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'missing'; } catch { return 'missing'; }
}

const under = (child: string, parent: string): boolean =>
  child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);

/** Fills what an alias does not set from the scopes that cover it, the most specific first. */
function applyScopes(target: { processGroup?: string; applicationGroup?: string; passAuthorization?: boolean }, scopes: readonly Scope[], file: string, url: string | null): void {
  const covering = scopes.filter((s) => (s.kind === 'directory' ? under(file, s.path) : url !== null && under(url.replace(/(.)\/$/, '$1'), s.path.replace(/(.)\/$/, '$1'))));
  // Apache merges <Directory> before <Location>, each shortest path first; the last writer wins.
  const ordered = [...covering].sort((a, b) => (a.kind === b.kind ? a.path.length - b.path.length : a.kind === 'directory' ? -1 : 1)).reverse();
  for (const s of ordered) {
    if (target.processGroup === undefined && s.processGroup !== undefined) target.processGroup = s.processGroup;
    if (target.applicationGroup === undefined && s.applicationGroup !== undefined) target.applicationGroup = s.applicationGroup;
    if (target.passAuthorization === undefined && s.passAuthorization !== undefined) target.passAuthorization = s.passAuthorization;
  }
}

function fillFrom(target: { processGroup?: string; applicationGroup?: string; passAuthorization?: boolean }, ctx: Context): void {
  if (target.processGroup === undefined && ctx.processGroup !== undefined) target.processGroup = ctx.processGroup;
  if (target.applicationGroup === undefined && ctx.applicationGroup !== undefined) target.applicationGroup = ctx.applicationGroup;
  if (target.passAuthorization === undefined && ctx.passAuthorization !== undefined) target.passAuthorization = ctx.passAuthorization;
}

function quote(word: string): string {
  return /\s/.test(word) ? `"${word}"` : word;
}

/** The directive-string form, mod_wsgi's own syntax, where it can be written; else the object. */
function aliasEntry(a: AliasOut): string | Record<string, unknown> {
  const words = [a.url, a.path];
  if (a.processGroup !== undefined) words.push(`process-group=${a.processGroup}`);
  if (a.applicationGroup !== undefined) words.push(`application-group=${a.applicationGroup}`);
  if (a.callableObject !== undefined) words.push(`callable-object=${a.callableObject}`);
  if (a.passAuthorization !== undefined) words.push(`pass-authorization=${a.passAuthorization ? 'On' : 'Off'}`);
  if (words.some((w) => w.includes('"'))) {
    const { node: _node, ...object } = a;
    return object;
  }
  return words.map(quote).join(' ');
}

function scriptDirEntry(d: ScriptDirOut): Record<string, unknown> {
  const { node: _node, ...object } = d;
  return object;
}

export function finish(c: Collected, report: Report): Record<string, unknown> {
  const { server } = c;
  const defaults: Record<string, unknown> = {};
  if (server.processGroup !== undefined) defaults['processGroup'] = server.processGroup;
  if (server.applicationGroup !== undefined) defaults['applicationGroup'] = server.applicationGroup;

  // Precedence, most specific first: the alias's own options, <Directory>/<Location>, the virtual host.
  const contexts: [Context, Scope[]][] = [[server, server.scopes], ...c.vhosts.map((v): [Context, Scope[]] => [v, [...server.scopes, ...v.scopes]])];
  for (const [ctx, scopes] of contexts) {
    for (const a of ctx.scriptAlias) {
      applyScopes(a, scopes, a.path.replace(/(.)\/$/, '$1'), a.url);
      if (ctx !== server) fillFrom(a, ctx);
      if (a.passAuthorization === undefined && server.passAuthorization !== undefined) a.passAuthorization = server.passAuthorization;
    }
    for (const d of ctx.scriptDirectories) {
      applyScopes(d, scopes.filter((s) => s.path !== d.path), d.path, null);
      if (ctx !== server) fillFrom(d, ctx);
      if (d.passAuthorization === undefined && server.passAuthorization !== undefined) d.passAuthorization = server.passAuthorization;
    }
  }
  const allAliases = contexts.flatMap(([ctx]) => ctx.scriptAlias);

  // WSGIImportScript → the preload rule: both groups written on the alias that serves the script.
  for (const imp of c.importScripts) {
    const alias = allAliases.find((a) => a.path === imp.path);
    const pg = alias?.processGroup ?? server.processGroup ?? GLOBAL;
    const ag = alias?.applicationGroup ?? server.applicationGroup;
    if (!alias) { report.untranslated(imp.node, 'no WSGIScriptAlias serves this script, so nothing can preload it'); continue; }
    if ((imp.processGroup ?? GLOBAL) !== pg || (ag !== undefined && imp.applicationGroup !== ag) || !imp.applicationGroup || /^%\{(RESOURCE|SERVER|ENV:)/.test(imp.applicationGroup)) {
      report.untranslated(imp.node, `the alias ${alias.url} runs in ${pg}/${ag ?? '%{RESOURCE}'}, not in the imported groups: the preload rule cannot express it`);
      continue;
    }
    alias.processGroup = imp.processGroup ?? GLOBAL;
    alias.applicationGroup = imp.applicationGroup;
  }

  const scriptTargets = (list: AliasOut[]): AliasOut[] => list.filter((a) => {
    if (c.restrictEmbedded && (a.processGroup ?? server.processGroup ?? GLOBAL) === GLOBAL) {
      report.semantics(a.node, `left out: it would run embedded (%{GLOBAL}), which WSGIRestrictEmbedded On (${c.restrictEmbedded.file}:${c.restrictEmbedded.line}) refuses; give it a process-group`);
      return false;
    }
    const kind = kindOf(a.path.replace(/(.)\/$/, '$1'));
    if (kind === 'directory' || (kind === 'missing' && a.path.endsWith('/'))) {
      if (!a.url.endsWith('/') || !a.path.endsWith('/')) {
        // Apache glues URL remainder and target as strings ("/w/x" + "scripts" → "scriptsx").
        a.url = a.url.replace(/\/?$/, '/');
        a.path = a.path.replace(/\/?$/, '/');
        report.semantics(a.node, `a folder target with mismatched trailing slashes, which Apache glues as strings: written as ${a.url} → ${a.path}`);
      }
    }
    return true;
  });
  const scriptDirs = (list: ScriptDirOut[]): ScriptDirOut[] => list.filter((d) => {
    if (kindOf(d.path) !== 'directory') { report.untranslated(d.node, `${d.path} is not a folder`); return false; }
    if (c.restrictEmbedded && (d.processGroup ?? server.processGroup ?? GLOBAL) === GLOBAL) {
      report.semantics(d.node, 'left out: its scripts would run embedded (%{GLOBAL}), which WSGIRestrictEmbedded On refuses');
      return false;
    }
    return true;
  });
  const allDirs = contexts.flatMap(([ctx]) => ctx.scriptDirectories).map((d) => d.path);
  const leakCheck = (folder: string, node: { file: string; line: number; name: string }): void => {
    const found = scriptSources(folder, allDirs);
    if (found) report.semantics(node, `Apache serves script source under ${folder} as text (e.g. ${found}); scriptalias never serves .wsgi/.py source`);
  };
  const staticAliases = (list: Context['alias']): { url: string; path: string }[] => list.flatMap((a) => {
    const kind = kindOf(a.path.replace(/(.)\/$/, '$1'));
    if (kind === 'missing') { report.untranslated(a.node, `${a.path} does not exist (Apache answers 404 there)`); return []; }
    if (kind === 'file') {
      if (SCRIPT_SOURCE.test(a.path)) report.semantics(a.node, `Apache serves ${a.path} as text; scriptalias refuses to serve script source (404)`);
      return [{ url: a.url, path: a.path.replace(/\/$/, '') }];
    }
    let { url, path: p } = a;
    if (url.endsWith('/') !== p.endsWith('/')) {
      url = url.replace(/\/?$/, '/');
      p = p.replace(/\/?$/, '/');
      report.semantics(a.node, `mismatched trailing slashes on a folder, which Apache glues as strings: written as ${url} → ${p}`);
    }
    leakCheck(p.replace(/(.)\/$/, '$1'), a.node);
    return [{ url, path: p }];
  });
  const documentRoot = (ctx: Context): string | undefined => {
    const root = ctx.documentRoot ?? server.documentRoot;
    if (!root) return undefined;
    if (kindOf(root.path) !== 'directory') {
      if (ctx.documentRoot || ctx === server) report.untranslated(root.node, `${root.path} is not a folder`);
      return undefined;
    }
    if (ctx.documentRoot || ctx === server) leakCheck(root.path.replace(/(.)\/$/, '$1'), root.node);
    return root.path;
  };

  const serverAliasesOut = scriptTargets(server.scriptAlias);
  const serverStatic = staticAliases(server.alias);
  const serverDirs = scriptDirs(server.scriptDirectories);
  const serverRoot = documentRoot(server);
  const vhostContexts = c.vhosts.length > 0 ? c.vhosts : (serverRoot || serverStatic.length > 0 || serverDirs.length > 0 ? [null] : []);
  const virtualHosts = vhostContexts.map((v) => {
    const vh: Record<string, unknown> = { serverName: v?.serverName ?? server.serverName ?? 'localhost' };
    if (v && v.serverAliases.length > 0) vh['serverAliases'] = v.serverAliases;
    const root = v ? documentRoot(v) : serverRoot;
    if (root) vh['documentRoot'] = root;
    const alias = [...(v ? staticAliases(v.alias) : []), ...serverStatic];
    if (alias.length > 0) vh['alias'] = alias;
    const scriptAlias = v ? scriptTargets(v.scriptAlias).map(aliasEntry) : [];
    if (scriptAlias.length > 0) vh['scriptAlias'] = scriptAlias;
    const dirs = [...(v ? scriptDirs(v.scriptDirectories) : []), ...serverDirs].map(scriptDirEntry);
    if (dirs.length > 0) vh['scriptDirectories'] = dirs;
    if (v?.sslCert && v.sslKey && v.sslEngine !== false) vh['ssl'] = { key: v.sslKey, cert: v.sslCert };
    if (v) Object.assign(vh, v.limits);
    return vh;
  });

  const proxy = ports(c, report);
  const block: Record<string, unknown> = {};
  const targets = [...allAliases.map((a) => a.path)];
  if (!targets.some((t) => JS_SCRIPT.test(t))) defaults['runtime'] = 'python'; // mod_wsgi runs Python only
  Object.assign(defaults, server.limits);
  if (Object.keys(defaults).length > 0) block['defaults'] = defaults;
  if (Object.keys(c.processGroups).length > 0) block['processGroups'] = c.processGroups;
  if (serverAliasesOut.length > 0) block['scriptAlias'] = serverAliasesOut.map(aliasEntry);
  if (virtualHosts.length > 0) block['virtualHosts'] = virtualHosts;
  if (server.serverName) block['serverName'] = server.serverName;
  if (c.scriptReloading !== undefined) block['scriptReloading'] = c.scriptReloading;
  if (c.trustedProxies) block['trustedProxies'] = c.trustedProxies;
  if (c.trustedProxyHeaders) block['trustedProxyHeaders'] = c.trustedProxyHeaders;
  return { proxy, plugins: { scriptalias: block } };
}

/** Listen + <VirtualHost *:port> → proxy.port/host and one proxy.ssl listener per SSL port. */
function ports(c: Collected, report: Report): Record<string, unknown> {
  const portOf = (address: string): number | null => { const m = /:(\d+)$/.exec(address); return m ? Number(m[1]) : null; };
  const sslListeners = new Map<number, { key: string; cert: string }>();
  for (const v of c.vhosts) {
    if (!v.sslCert || !v.sslKey || v.sslEngine === false) continue;
    for (const address of v.addresses) {
      const port = portOf(address) ?? 443;
      if (!sslListeners.has(port)) sslListeners.set(port, { key: v.sslKey, cert: v.sslCert });
    }
  }
  const proxy: Record<string, unknown> = {};
  const plain = c.listens.filter((l) => !sslListeners.has(l.port));
  const first = plain[0];
  if (first) {
    proxy['port'] = first.port;
    proxy['host'] = first.host && first.host !== '*' ? first.host : '0.0.0.0';
    for (const extra of plain.slice(1)) report.untranslated(extra.node, `redbird serves plain HTTP on one port (${first.port}); this one is left out`);
  } else if (c.listens[0]) {
    report.semantics(c.listens[0].node, 'no plain-HTTP Listen: proxy.port keeps its default (8080)');
  }
  for (const v of c.vhosts) {
    for (const address of v.addresses) {
      const port = portOf(address);
      if (port !== null && first && port !== first.port && !sslListeners.has(port) && v.node) {
        report.semantics(v.node, `virtual host on port ${port} is served on proxy.port ${first.port}`);
      }
    }
  }
  const listeners = [...sslListeners].map(([port, tls]) => {
    const listen = c.listens.find((l) => l.port === port);
    return { port, ...(listen?.host && listen.host !== '*' ? { ip: listen.host } : {}), ...tls };
  });
  if (listeners.length === 1) proxy['ssl'] = listeners[0];
  else if (listeners.length > 1) proxy['ssl'] = listeners;
  return proxy;
}

/** The first .wsgi/.py file under folder outside every script folder, or null (bounded scan). */
function scriptSources(folder: string, scriptDirs: readonly string[]): string | null {
  let seen = 0;
  const queue = [folder];
  while (queue.length > 0 && seen < SCAN_LIMIT) {
    const dir = queue.shift()!;
    if (scriptDirs.some((d) => under(dir, d))) continue;
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    for (const entry of entries) {
      if (++seen > SCAN_LIMIT) break;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) queue.push(p);
      else if (SCRIPT_SOURCE.test(entry.name)) return p;
    }
  }
  return null;
}

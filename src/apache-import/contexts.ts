// First pass of the translation: walks the read tree and collects, per context (the main server
// and each <VirtualHost>), what its directives say, in Apache's terms still. Directives without
// an equivalent go to the report here, with the mapping table's reason. finish.ts turns the
// collected contexts into proxy.json.
import path from 'node:path';
import type { ConfigNode, DirectiveNode, SectionNode } from './read.js';
import { mappingIndex } from './mapping.js';
import { importError } from './tokenize.js';
import { DAEMON_OPTIONS, DAEMON_OPTIONS_UNMAPPED, SCRIPT_ALIAS_OPTIONS, daemonValue, onOff, optionWords } from './wsgi-options.js';
import type { Report } from './report.js';
import type { DirectiveEntry } from '../config/directive.js';
import { LIMIT_KEYS as LIMITS } from '../config/limits.js';

/** A WSGIScriptAlias in our directive's terms (config/directive.ts), with the line it came from. */
export interface AliasOut extends DirectiveEntry {
  readonly node: DirectiveNode;
}

export interface ScriptDirOut {
  path: string;
  processGroup?: string;
  applicationGroup?: string;
  passAuthorization?: boolean;
  extensions?: string[];
  readonly node: SectionNode;
}

/** WSGI group settings of a <Directory> (by folder) or <Location> (by URL-path). */
export interface Scope {
  readonly kind: 'directory' | 'location';
  readonly path: string;
  processGroup?: string;
  applicationGroup?: string;
  passAuthorization?: boolean;
}

export interface Context {
  readonly node: SectionNode | null;
  /** <VirtualHost> addresses, e.g. "*:443". */
  readonly addresses: readonly string[];
  serverName?: string;
  readonly serverAliases: string[];
  documentRoot?: { path: string; node: DirectiveNode };
  readonly alias: { url: string; path: string; node: DirectiveNode }[];
  readonly scriptAlias: AliasOut[];
  readonly scriptDirectories: ScriptDirOut[];
  readonly scopes: Scope[];
  processGroup?: string;
  applicationGroup?: string;
  passAuthorization?: boolean;
  sslEngine?: boolean;
  sslCert?: string;
  sslKey?: string;
  /** LimitRequestBody & co, by their proxy.json key. */
  readonly limits: Record<string, number>;
}

export interface Collected {
  readonly server: Context;
  readonly vhosts: Context[];
  readonly listens: { host?: string; port: number; node: DirectiveNode }[];
  readonly processGroups: Record<string, Record<string, unknown>>;
  readonly importScripts: { path: string; processGroup?: string; applicationGroup?: string; node: DirectiveNode }[];
  restrictEmbedded?: DirectiveNode;
  scriptReloading?: boolean;
  trustedProxies?: string[];
  trustedProxyHeaders?: string[];
}

const BUILTIN_MODULES = /^(wsgi|alias|dir|mime|ssl|authz_core|mpm_\w+|socache_shmcb|setenvif|filter|deflate|reqtimeout|env|negotiation|access_compat|authz_host|authn_core|authz_user|autoindex|status)_module$/;

/** Apache's request limits → the proxy.json keys of the same name (server level → defaults). */
const LIMIT_KEYS: Readonly<Record<string, string>> = Object.fromEntries(LIMITS.map((key) => [key.toLowerCase(), key]));

function newContext(node: SectionNode | null): Context {
  return { node, addresses: node ? [...node.args] : [], serverAliases: [], alias: [], scriptAlias: [], scriptDirectories: [], scopes: [], limits: {} };
}

export function collect(nodes: readonly ConfigNode[], serverRoot: string, report: Report): Collected {
  const table = mappingIndex();
  // Relative paths are ServerRoot's, as Apache reads them; absolute ones stay as written.
  const abs = (p: string): string => {
    const resolved = path.isAbsolute(p) ? p : path.join(serverRoot, p);
    return p.endsWith('/') && !resolved.endsWith('/') ? `${resolved}/` : resolved;
  };
  const out: Collected = { server: newContext(null), vhosts: [], listens: [], processGroups: {}, importScripts: [] };

  const reasonFor = (node: ConfigNode): string => {
    const name = node.name.toLowerCase();
    if (name === 'require' || name.startsWith('auth')) return table.get('order')!.why;
    if (name === 'allowoverride') return '.htaccess files are not read';
    const row = table.get(name);
    return row ? row.why : `unknown directive ${node.name}: no equivalent (its module is not supported)`;
  };
  const untranslated = (node: ConfigNode, why?: string): void => {
    report.untranslated(node, why ?? reasonFor(node));
  };
  const need = (d: DirectiveNode, min: number, max = Infinity): void => {
    if (d.args.length < min || d.args.length > max) {
      throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `${d.name} takes ${min === max ? min : `${min}${max === Infinity ? ' or more' : `-${max}`}`} argument${max === 1 ? '' : 's'}, got ${d.args.length}`);
    }
  };
  const varNote = (d: DirectiveNode): void => {
    if (d.unresolved.length > 0) report.semantics(d, `\${${d.unresolved.join('}, ${')}} is not defined (no Define): kept as written`);
  };

  /** Access lines that change nothing here; true when the line was one. */
  const accessNoop = (d: DirectiveNode, inRootDirectory: boolean): boolean => {
    const name = d.name.toLowerCase();
    const args = d.args.map((a) => a.toLowerCase()).join(' ');
    if (name === 'require' && (args === 'all granted' || (args === 'all denied' && inRootDirectory))) return true;
    if (name === 'allowoverride' && args === 'none') return true;
    return false;
  };

  const directive = (ctx: Context, d: DirectiveNode): void => {
    const name = d.name.toLowerCase();
    const isServer = ctx === out.server;
    switch (name) {
      case 'listen': {
        need(d, 1, 2);
        if (!isServer) { untranslated(d, 'Listen belongs at server level'); return; }
        const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(d.args[0]!);
        if (!m) throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `Listen ${d.args[0]}: not [address:]port`);
        out.listens.push({ ...(m[1] ? { host: m[1] } : {}), port: Number(m[2]), node: d });
        return;
      }
      case 'servername': need(d, 1, 1); ctx.serverName = d.args[0]!.replace(/^\w+:\/\//, '').replace(/:\d+$/, ''); varNote(d); return;
      case 'serveralias': need(d, 1); ctx.serverAliases.push(...d.args); return;
      case 'documentroot': need(d, 1, 1); ctx.documentRoot = { path: abs(d.args[0]!), node: d }; varNote(d); return;
      case 'alias': need(d, 2, 2); ctx.alias.push({ url: d.args[0]!, path: abs(d.args[1]!), node: d }); varNote(d); return;
      case 'wsgiscriptalias': {
        need(d, 2);
        const entry: AliasOut = { url: d.args[0]!, path: abs(d.args[1]!), node: d };
        scriptOptions(d, entry, d.args.slice(2));
        ctx.scriptAlias.push(entry);
        varNote(d);
        return;
      }
      case 'wsgiscriptaliasmatch': {
        need(d, 2);
        // Only a plain prefix has a scriptAlias equivalent: ^/path, then nothing or "(.*)" / ".*".
        const m = /^\^(\/[A-Za-z0-9_\-~/]*)(?:(?:\(\.\*\)|\.\*)\$?)?$/.exec(d.args[0]!);
        if (!m || /\$\d/.test(d.args[1]!)) {
          untranslated(d, 'a regex with captures, metacharacters or a $N target has no scriptAlias equivalent');
          return;
        }
        const entry: AliasOut = { url: m[1]!, path: abs(d.args[1]!), node: d };
        scriptOptions(d, entry, d.args.slice(2));
        ctx.scriptAlias.push(entry);
        report.semantics(d, `the regex also matched ${m[1]!.replace(/\/$/, '')}X; scriptAlias ${m[1]} matches on segment boundaries only`);
        return;
      }
      case 'wsgidaemonprocess': {
        need(d, 1);
        const group: Record<string, unknown> = {};
        for (const { name: option, value } of optionWords(d, d.args.slice(1))) {
          const mapped = DAEMON_OPTIONS[option];
          if (mapped) {
            if (option === 'display-name' && value === '%{GROUP}') continue; // mod_wsgi's default naming
            group[mapped[0]] = daemonValue(d, option, mapped[1], value, abs);
          } else if (DAEMON_OPTIONS_UNMAPPED[option] !== undefined) {
            report.untranslated(d, `WSGIDaemonProcess ${option}=${value}: ${DAEMON_OPTIONS_UNMAPPED[option]}`);
          } else {
            throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `WSGIDaemonProcess: invalid option "${option}" (Apache refuses to start)`);
          }
        }
        const groupName = d.args[0]!;
        if (out.processGroups[groupName]) throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `WSGIDaemonProcess ${groupName} is defined twice`);
        out.processGroups[groupName] = group;
        return;
      }
      case 'wsgiprocessgroup': need(d, 1, 1); ctx.processGroup = d.args[0]!; return;
      case 'wsgiapplicationgroup': need(d, 1, 1); ctx.applicationGroup = d.args[0]!; return;
      case 'wsgipassauthorization': need(d, 1, 1); ctx.passAuthorization = onOff(d, d.args[0]); return;
      case 'wsgirestrictembedded': need(d, 1, 1); if (onOff(d, d.args[0])) out.restrictEmbedded = d; return;
      case 'wsgiscriptreloading': need(d, 1, 1); out.scriptReloading = onOff(d, d.args[0]); return;
      case 'wsgitrustedproxies': need(d, 1); out.trustedProxies = [...(out.trustedProxies ?? []), ...d.args]; return;
      case 'wsgitrustedproxyheaders': need(d, 1); out.trustedProxyHeaders = [...(out.trustedProxyHeaders ?? []), ...d.args]; return;
      case 'wsgiimportscript': {
        need(d, 1);
        const entry: Collected['importScripts'][number] = { path: abs(d.args[0]!), node: d };
        for (const { name: option, value } of optionWords(d, d.args.slice(1))) {
          if (option === 'process-group') entry.processGroup = value;
          else if (option === 'application-group') entry.applicationGroup = value;
          else throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `WSGIImportScript: invalid option "${option}"`);
        }
        out.importScripts.push(entry);
        return;
      }
      case 'sslengine': need(d, 1, 2); ctx.sslEngine = d.args[0]!.toLowerCase() === 'on'; return;
      case 'sslcertificatefile': need(d, 1, 1); ctx.sslCert = abs(d.args[0]!); return;
      case 'sslcertificatekeyfile': need(d, 1, 1); ctx.sslKey = abs(d.args[0]!); return;
      case 'limitrequestbody': case 'limitrequestfields': case 'limitrequestfieldsize': case 'limitrequestline': {
        need(d, 1, 1);
        const value = Number(d.args[0]);
        if (!/^\d+$/.test(d.args[0]!) || !Number.isSafeInteger(value)) {
          throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `${d.name} takes a number of bytes or fields, got ${d.args[0]}`);
        }
        ctx.limits[LIMIT_KEYS[name]!] = value;
        return;
      }
      case 'directoryindex':
        if (d.args.length === 1 && d.args[0] === 'index.html') return;
        untranslated(d, 'only index.html is looked up in a folder');
        return;
      case 'loadmodule':
        need(d, 2, 2);
        if (BUILTIN_MODULES.test(d.args[0]!)) return;
        untranslated(d, `module ${d.args[0]} has no equivalent`);
        return;
      case 'require': case 'allowoverride':
        if (accessNoop(d, false)) return;
        untranslated(d);
        return;
      default:
        if (table.get(name)?.status === 'same') return;
        untranslated(d);
    }
  };

  const scriptOptions = (d: DirectiveNode, entry: AliasOut, words: readonly string[]): void => {
    for (const { name, value } of optionWords(d, words)) {
      const key = SCRIPT_ALIAS_OPTIONS[name];
      if (!key) throw importError('SA_ERR_IMPORT_DIRECTIVE', d.file, d.line, `${d.name}: invalid option "${name}" (Apache refuses to start)`);
      if (key === 'passAuthorization') entry.passAuthorization = onOff(d, value);
      else (entry as unknown as Record<string, string>)[key] = value;
    }
  };

  /** Inside <Files> and friends only access lines are understood. */
  const accessOnly = (section: SectionNode, inRoot: boolean): void => {
    for (const child of section.children) {
      if (child.kind === 'directive' && accessNoop(child, inRoot)) continue;
      if (child.kind === 'section') { untranslated(child, `<${child.name}> inside <${section.name}> has no equivalent`); continue; }
      untranslated(child, `inside <${section.name} ${section.args.join(' ')}>: ${reasonFor(child)}`);
    }
  };

  const directory = (ctx: Context, s: SectionNode): void => {
    if (s.args.length !== 1) throw importError('SA_ERR_IMPORT_SYNTAX', s.file, s.line, `<${s.name}> takes one path`);
    const folder = abs(s.args[0]!).replace(/(.)\/+$/, '$1');
    const isRoot = folder === '/';
    const scope: Scope = { kind: 'directory', path: folder };
    let handler: DirectiveNode | undefined;
    let extensions: string[] | undefined;
    const rest: DirectiveNode[] = [];
    for (const child of s.children) {
      if (child.kind === 'section') {
        if (/^files(match)?$/i.test(child.name)) accessOnly(child, isRoot);
        else untranslated(child, `<${child.name}> inside <Directory> has no equivalent`);
        continue;
      }
      const name = child.name.toLowerCase();
      if (name === 'sethandler' && child.args[0]?.toLowerCase() === 'wsgi-script') { handler = child; continue; }
      if (name === 'addhandler' && child.args[0]?.toLowerCase() === 'wsgi-script') {
        handler = child;
        extensions = [...(extensions ?? []), ...child.args.slice(1).map((e) => (e.startsWith('.') ? e : `.${e}`))];
        continue;
      }
      if (name === 'wsgiprocessgroup') { need(child, 1, 1); scope.processGroup = child.args[0]!; continue; }
      if (name === 'wsgiapplicationgroup') { need(child, 1, 1); scope.applicationGroup = child.args[0]!; continue; }
      if (name === 'wsgipassauthorization') { need(child, 1, 1); scope.passAuthorization = onOff(child, child.args[0]); continue; }
      if (accessNoop(child, isRoot)) continue;
      rest.push(child);
    }
    for (const child of rest) {
      const name = child.name.toLowerCase();
      // ExecCGI is what lets SetHandler wsgi-script run: consumed with it.
      if (name === 'options' && handler) {
        const other = child.args.filter((o) => !/^[+]?execcgi$/i.test(o));
        if (other.length === 0) continue;
        untranslated(child, `Options ${other.join(' ')}: ${table.get('options')!.why}`);
        continue;
      }
      if (name === 'options') { untranslated(child); continue; }
      directive(ctx, child);
    }
    if (handler) {
      ctx.scriptDirectories.push({
        path: folder, node: s,
        ...(scope.processGroup ? { processGroup: scope.processGroup } : {}),
        ...(scope.applicationGroup ? { applicationGroup: scope.applicationGroup } : {}),
        ...(scope.passAuthorization !== undefined ? { passAuthorization: scope.passAuthorization } : {}),
        ...(extensions ? { extensions: [...new Set(extensions)] } : {}),
      });
    }
    if (scope.processGroup || scope.applicationGroup || scope.passAuthorization !== undefined) ctx.scopes.push(scope);
  };

  const location = (ctx: Context, s: SectionNode): void => {
    if (s.args.length !== 1) throw importError('SA_ERR_IMPORT_SYNTAX', s.file, s.line, `<${s.name}> takes one URL-path`);
    const scope: Scope = { kind: 'location', path: s.args[0]! };
    for (const child of s.children) {
      if (child.kind === 'section') { untranslated(child, `<${child.name}> inside <Location> has no equivalent`); continue; }
      const name = child.name.toLowerCase();
      if (name === 'wsgiprocessgroup') { need(child, 1, 1); scope.processGroup = child.args[0]!; continue; }
      if (name === 'wsgiapplicationgroup') { need(child, 1, 1); scope.applicationGroup = child.args[0]!; continue; }
      if (name === 'wsgipassauthorization') { need(child, 1, 1); scope.passAuthorization = onOff(child, child.args[0]); continue; }
      if (accessNoop(child, false)) continue;
      if (name === 'sethandler') { untranslated(child, 'SetHandler in <Location>: only a <Directory> can be a script folder'); continue; }
      untranslated(child, `inside <Location ${s.args[0]}>: ${reasonFor(child)}`);
    }
    if (scope.processGroup || scope.applicationGroup || scope.passAuthorization !== undefined) ctx.scopes.push(scope);
  };

  const walk = (ctx: Context, children: readonly ConfigNode[]): void => {
    for (const node of children) {
      if (node.kind === 'directive') { directive(ctx, node); continue; }
      const name = node.name.toLowerCase();
      if (name === 'virtualhost') {
        if (ctx !== out.server) throw importError('SA_ERR_IMPORT_SYNTAX', node.file, node.line, '<VirtualHost> cannot be nested');
        const vhost = newContext(node);
        out.vhosts.push(vhost);
        walk(vhost, node.children);
      } else if (name === 'directory') directory(ctx, node);
      else if (name === 'location') location(ctx, node);
      else if (name === 'files' || name === 'filesmatch' || name === 'directorymatch' || name === 'locationmatch') accessOnly(node, false);
      else untranslated(node, table.get(name)?.why ?? `<${node.name}> has no equivalent`);
    }
  };
  walk(out.server, nodes);
  return out;
}

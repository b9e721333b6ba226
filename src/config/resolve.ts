// Turns a schema-valid raw config (defaults applied) into a deep-frozen ResolvedConfig: directive
// strings parsed, group names parsed, paths made absolute against the config file's folder, the
// preload rule applied. Every cross-field problem (config/rules.ts) is collected as an issue; the
// caller throws them all at once, so nothing is ever half-applied.
import path from 'node:path';
import type { ConfigIssue, ConfigWarning } from '../errors.js';
import type {
  GroupSpec, ResolvedConfig, ResolvedContext, ResolvedProcessGroup, ResolvedScriptAlias, ResolvedScriptDirectory,
  ResolvedStaticAlias, ResolvedRoute, ResolvedTlsListener, ResolvedTrust, RequestLimits, Runtime,
} from './types.js';
import { parseDirective, type DirectiveEntry } from './directive.js';
import { parseGroupSpec, isPreloadable } from './group-spec.js';
import { createRules, type Rules } from './rules.js';
import { checkTlsFiles, type RawTlsFiles } from './tls-files.js';
import { parseProxyAddress, purposeOf } from '../routing/forwarded.js';
import { DEFAULT_CALLABLE, GLOBAL_GROUP, GLOBAL_TOKEN, RESOURCE_TOKEN } from '../constants.js';
import { processGroupDefaults } from './schema.js';
import { pickLimits } from './limits.js';
import { resolveIdentity } from './unix-identity.js';
import { resolveReadTimeout } from './read-timeout.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- raw config is schema-checked JSON */
type Raw = Record<string, any>;

export type Env = Readonly<Record<string, string | undefined>>;

const BLOCK = '/plugins/scriptalias';

interface ScriptEntryRaw extends DirectiveEntry { extensions?: string[] }

export function resolveConfig(raw: Raw, file: string, env: Env): { config: ResolvedConfig | null; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const baseDir = path.dirname(file);
  const warnings: ConfigWarning[] = [];
  const rules = createRules(file, baseDir, env, issues, warnings);
  const pushIssue = (issue: Omit<ConfigIssue, 'file'>): void => { issues.push({ file, ...issue }); };
  const block: Raw = raw.plugins?.scriptalias ?? {};
  // Defaults come from the schema (ajv's useDefaults filled them into this copy); none are repeated here.
  const python: string = block.python;
  const scriptReloading: boolean = block.scriptReloading;
  const defaultRuntime: Runtime = block.defaults.runtime;
  const defaultTimeout: number = block.defaults.requestTimeout;

  /** A named group (or the global group's Python companions) from a schema-defaulted entry. */
  const resolveGroup = (name: string, group: Raw, pointer: string, displayName: string): ResolvedProcessGroup => ({
    name, pointer,
    processes: group.processes ?? 1, // no schema default: writing it, even as 1, sets wsgi.multiprocess
    processesExplicit: group.processes !== undefined,
    threads: group.threads,
    runtime: group.runtime ?? defaultRuntime,
    maximumRequests: group.maximumRequests,
    maximumMemory: group.maximumMemory,
    requestTimeout: group.requestTimeout ?? defaultTimeout,
    queueTimeout: group.queueTimeout,
    listenBacklog: group.listenBacklog,
    gracefulTimeout: group.gracefulTimeout,
    shutdownTimeout: group.shutdownTimeout,
    inactivityTimeout: group.inactivityTimeout,
    restartInterval: group.restartInterval,
    home: group.home === undefined ? null : rules.directory(group.home, `${pointer}/home`),
    env: { ...group.env },
    displayName: group.displayName ?? displayName,
    python: group.python ?? python,
    pythonPath: (group.pythonPath as string[]).map((p) => path.resolve(baseDir, p)),
    pythonHome: group.pythonHome === undefined ? null : path.resolve(baseDir, group.pythonHome),
    scriptReloading: group.scriptReloading ?? scriptReloading,
    limits: pickLimits(group),
    identity: resolveIdentity(group, pointer, pushIssue),
  });

  const processGroups: Record<string, ResolvedProcessGroup> = {};
  for (const [name, group] of Object.entries<Raw>(block.processGroups)) {
    const pointer = `${BLOCK}/processGroups/${name}`;
    processGroups[name] = resolveGroup(name, group, pointer, `scriptalias:${name}`);
    if (processGroups[name]!.runtime === 'python') rules.python(processGroups[name]!.python, group.python === undefined ? `${BLOCK}/python` : `${pointer}/python`);
  }
  // DESIGN §5: Python scripts of the global process group run in companion processes with the defaults.
  const globalPython = resolveGroup(GLOBAL_GROUP, { ...processGroupDefaults(), runtime: 'python' }, `${BLOCK}/python`, 'scriptalias:python');

  const groupSpec = (value: string | undefined, fallback: string, pointer: string): { spec: GroupSpec; preloadable: boolean } => {
    const parsed = parseGroupSpec(value ?? fallback, env);
    if (!parsed.ok) {
      if (parsed.problem === 'env-unset') rules.envUnset(parsed.variable, pointer);
      // A bad default is reported once, at the default's own pointer, not at every alias using it.
      else if (value !== undefined) rules.unknownExpansion(parsed.expansion, pointer);
      return { spec: { kind: 'global' }, preloadable: false };
    }
    return { spec: parsed.spec, preloadable: isPreloadable(parsed.spec, parsed.expanded) };
  };
  const defaultProcess = block.defaults?.processGroup ?? GLOBAL_TOKEN;
  const defaultApplication = block.defaults?.applicationGroup ?? RESOURCE_TOKEN;
  rules.processGroup(groupSpec(block.defaults?.processGroup, GLOBAL_TOKEN, `${BLOCK}/defaults/processGroup`).spec, processGroups, `${BLOCK}/defaults/processGroup`);
  const applicationDefault = parseGroupSpec(defaultApplication, env);
  if (!applicationDefault.ok && applicationDefault.problem === 'unknown-expansion') rules.unknownExpansion(applicationDefault.expansion, `${BLOCK}/defaults/applicationGroup`);

  /** Group settings shared by aliases and script directories. */
  const groupsOf = (entry: ScriptEntryRaw, pointer: string, directive: boolean) => {
    const at = (key: string): string => (directive ? pointer : `${pointer}/${key}`);
    const processGroup = groupSpec(entry.processGroup, defaultProcess, at('processGroup'));
    const applicationGroup = groupSpec(entry.applicationGroup, defaultApplication, at('applicationGroup'));
    rules.processGroup(processGroup.spec, processGroups, at('processGroup'));
    // DESIGN §2: a script whose name says nothing runs in the entry's runtime, else its group's, else the default.
    const group = processGroup.spec.kind === 'literal' ? processGroups[processGroup.spec.name] : undefined;
    const runtime: Runtime = entry.runtime ?? group?.runtime ?? defaultRuntime;
    return { processGroup, applicationGroup, at, runtime };
  };

  const scriptAliases = (list: unknown[] | undefined, contextPointer: string): ResolvedScriptAlias[] => {
    const out: ResolvedScriptAlias[] = [];
    const urls = new Set<string>();
    (list ?? []).forEach((item, index) => {
      const pointer = `${contextPointer}/scriptAlias/${index}`;
      let entry: ScriptEntryRaw;
      const directive = typeof item === 'string';
      if (directive) {
        const parsed = parseDirective(item);
        if (!parsed.ok) {
          issues.push({ file, pointer, code: 'SA_ERR_CONFIG_DIRECTIVE', message: parsed.message, expected: '"URL-path target [option=value ...]"' });
          return;
        }
        entry = parsed.entry;
      } else {
        entry = item as ScriptEntryRaw;
      }
      const { processGroup, applicationGroup, at, runtime } = groupsOf(entry, pointer, directive);
      if (urls.has(entry.url)) rules.duplicateUrl(entry.url, at('url'));
      urls.add(entry.url);
      const target = rules.scriptTarget(entry.url, entry.path, at('path'));
      if (target === null) return;
      const groupName = processGroup.spec.kind === 'literal' ? processGroup.spec.name : null;
      if (target.kind === 'file') rules.pythonFor(target.path, runtime, groupName, processGroups, python, `${BLOCK}/python`);
      out.push({
        pointer, url: entry.url, path: target.path, targetKind: target.kind,
        processGroup: processGroup.spec, applicationGroup: applicationGroup.spec,
        callableObject: entry.callableObject ?? DEFAULT_CALLABLE,
        passAuthorization: entry.passAuthorization ?? false,
        preload: entry.processGroup !== undefined && entry.applicationGroup !== undefined && processGroup.preloadable && applicationGroup.preloadable,
        extensions: entry.extensions ?? null,
        runtime,
        limits: pickLimits(entry),
      });
    });
    return out;
  };

  const server: ResolvedContext = {
    pointer: BLOCK, serverName: block.serverName ?? 'localhost', serverAliases: [], documentRoot: null, alias: [],
    scriptAlias: scriptAliases(block.scriptAlias, BLOCK), scriptDirectories: [], ssl: null,
  };
  const virtualHosts: ResolvedContext[] = (block.virtualHosts ?? []).map((vhost: Raw, index: number): ResolvedContext => {
    const pointer = `${BLOCK}/virtualHosts/${index}`;
    const documentRoot = vhost.documentRoot === undefined ? null : rules.directory(vhost.documentRoot, `${pointer}/documentRoot`);
    const alias: ResolvedStaticAlias[] = (vhost.alias ?? []).flatMap((a: Raw, i: number) => {
      const found = rules.staticTarget(a.url, a.path, `${pointer}/alias/${i}/path`);
      return found === null ? [] : [{ pointer: `${pointer}/alias/${i}`, url: a.url, path: found }];
    });
    const scriptDirectories: ResolvedScriptDirectory[] = (vhost.scriptDirectories ?? []).flatMap((d: Raw, i: number) => {
      const at = `${pointer}/scriptDirectories/${i}`;
      const folder = rules.directory(d.path, `${at}/path`);
      const { processGroup, applicationGroup, runtime } = groupsOf(d as ScriptEntryRaw, at, false);
      if (folder === null) return [];
      return [{ pointer: at, path: folder, processGroup: processGroup.spec, applicationGroup: applicationGroup.spec,
        callableObject: d.callableObject ?? DEFAULT_CALLABLE, passAuthorization: d.passAuthorization ?? false, extensions: d.extensions ?? null, runtime }];
    });
    const scriptAlias = scriptAliases(vhost.scriptAlias, pointer);
    if (documentRoot !== null) {
      const folders = [...scriptDirectories.map((d) => ({ at: d.pointer, folder: d.path })),
        ...scriptAlias.filter((a) => a.targetKind === 'directory').map((a) => ({ at: a.pointer, folder: a.path.replace(/\/$/, '') }))];
      for (const { at, folder } of folders) {
        if (isInside(folder, documentRoot)) {
          warnings.push({ file, code: 'SA_WRN_SCRIPT_DIR_IN_DOCROOT', pointer: at, message: `script folder ${folder} lies inside the document root ${documentRoot}: its files run as scripts and are never served` });
        }
      }
    }
    const ssl = vhost.ssl === undefined ? null : checkTlsFiles(vhost.ssl as RawTlsFiles, `${pointer}/ssl`, baseDir, pushIssue);
    return {
      pointer, serverName: vhost.serverName, serverAliases: vhost.serverAliases ?? [], documentRoot, alias, scriptAlias, scriptDirectories, ssl,
      limits: pickLimits(vhost),
    };
  });
  // cluster is ours (plugin/cluster/), never redbird's own: its cluster would start n sets of pools.
  const { port = 8080, host = '127.0.0.1', ssl: rawSsl, cluster = null, ...redbird } = (raw.proxy ?? {}) as Raw;
  const sslList: Raw[] = rawSsl === undefined ? [] : Array.isArray(rawSsl) ? rawSsl : [rawSsl];
  const ssl: ResolvedTlsListener[] = sslList.flatMap((listener, index) => {
    const at = Array.isArray(rawSsl) ? `/proxy/ssl/${index}` : '/proxy/ssl';
    const files = checkTlsFiles(listener as RawTlsFiles, at, baseDir, pushIssue);
    const { port: sslPort, ip, key: _key, cert: _cert, ca: _ca, ...options } = listener;
    return files === null ? [] : [{ ...files, port: sslPort as number, ip: (ip as string | undefined) ?? null, options }];
  });
  const trust = resolveTrust(block.trustedProxies ?? [], block.trustedProxyHeaders ?? [], pushIssue);
  const requestReadTimeout = resolveReadTimeout(block.requestReadTimeout, BLOCK, pushIssue);
  const routes: ResolvedRoute[] = (raw.routes ?? []).map((r: Raw) => ({ src: r.src, target: r.target, opts: r.opts ?? {} }));
  if (issues.length > 0) return { config: null, issues };
  const config: ResolvedConfig = {
    file, proxy: { port, host, ssl, cluster: cluster as number | 'auto' | null, redbird }, routes, trust, requestReadTimeout,
    defaults: {
      processGroup: parseOrGlobal(defaultProcess, env), applicationGroup: parseOrGlobal(defaultApplication, env),
      runtime: defaultRuntime, requestTimeout: defaultTimeout, memoryLimit: block.defaults.memoryLimit, limits: pickLimits(block.defaults) as RequestLimits,
    },
    globalPython,
    processGroups, server, virtualHosts, python, scriptReloading,
    statusSocket: block.statusSocket ? path.resolve(baseDir, block.statusSocket) : null,
    metrics: block.metrics ? parseListen(block.metrics.listen) : null,
    accessLog: block.accessLog === false ? null
      : { format: block.accessLog?.format ?? 'json', path: block.accessLog?.path ? path.resolve(baseDir, block.accessLog.path) : null },
    warnings,
  };
  return { config: deepFreeze(config), issues };
}

/** "host:port" or "[v6]:port" (the schema checked the shape). */
function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}

function resolveTrust(proxies: readonly string[], headers: readonly string[], push: (issue: Omit<ConfigIssue, 'file'>) => void): ResolvedTrust {
  proxies.forEach((entry, index) => {
    if (parseProxyAddress(entry) === null) {
      push({ pointer: `${BLOCK}/trustedProxies/${index}`, code: 'SA_ERR_CONFIG_TRUST', message: `not an IP address or CIDR range: ${entry}`, expected: 'e.g. "10.0.0.5", "192.168.0.0/16", "::1"' });
    }
  });
  const seen = new Map<string, string>();
  headers.forEach((header, index) => {
    const purpose = purposeOf(header)!;
    const earlier = seen.get(purpose);
    if (earlier !== undefined) {
      push({ pointer: `${BLOCK}/trustedProxyHeaders/${index}`, code: 'SA_ERR_CONFIG_TRUST', message: `${header} and ${earlier} carry the same fact: trust one of them` });
    }
    seen.set(purpose, header);
  });
  return { proxies: [...proxies], headers: headers.map((h) => h.toLowerCase()) };
}

function parseOrGlobal(value: string, env: Env): GroupSpec {
  const parsed = parseGroupSpec(value, env);
  return parsed.ok ? parsed.spec : { kind: 'global' };
}

function isInside(folder: string, root: string): boolean {
  const rel = path.relative(root, folder);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

export type { Rules };

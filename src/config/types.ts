// Config types. Raw* mirror schema/scriptalias.schema.json (the single source of truth for keys and
// defaults); Resolved* are what config/resolve.ts returns: absolute paths, defaults applied,
// directive strings parsed, %{ENV:..} expanded, deep-frozen. Everything downstream takes Resolved*.
import type { UnixIdentity } from './unix-identity.js';

import type { ConfigWarning } from '../errors.js';

/** A group name as written in the config, kept symbolic until request time (needs host / SCRIPT_NAME). */
export type GroupSpec =
  | { readonly kind: 'global' }                  // %{GLOBAL}
  | { readonly kind: 'resource' }                // %{RESOURCE}
  | { readonly kind: 'server' }                  // %{SERVER}
  | { readonly kind: 'literal'; readonly name: string }; // a plain name, or an expanded %{ENV:X}

export type Runtime = 'node' | 'python';

/** Apache's LimitRequestBody/Fields/FieldSize/Line (bytes or counts; 0 = none). Defaults in the schema. */
export interface RequestLimits {
  readonly limitRequestBody: number;
  readonly limitRequestFields: number;
  readonly limitRequestFieldSize: number;
  readonly limitRequestLine: number;
}

export interface ResolvedProcessGroup {
  readonly name: string;
  /** JSON pointer of the group's entry, for messages. */
  readonly pointer: string;
  readonly processes: number;
  /** True when `processes` was written in the config (wsgi.multiprocess, as mod_wsgi). */
  readonly processesExplicit: boolean;
  readonly threads: number;
  readonly runtime: Runtime;
  readonly maximumRequests: number;      // 0 = never
  readonly maximumMemory: number;        // MiB of RSS per worker process, 0 = no limit
  readonly requestTimeout: number;       // seconds, 0 = none; default defaults.requestTimeout
  readonly queueTimeout: number;         // seconds, 0 = none
  readonly listenBacklog: number;
  readonly gracefulTimeout: number;      // seconds
  readonly shutdownTimeout: number;      // seconds
  readonly inactivityTimeout: number;    // seconds, 0 = none
  readonly restartInterval: number;      // seconds, 0 = none
  readonly home: string | null;          // absolute cwd
  readonly env: Readonly<Record<string, string>>;
  readonly displayName: string;
  readonly python: string;               // executable for runtime python / .wsgi scripts
  readonly pythonPath: readonly string[];// absolute dirs prepended to sys.path
  readonly pythonHome: string | null;
  readonly scriptReloading: boolean;
  /** Request limits this group sets itself (the alias's win over them; they win over the virtual host's). */
  readonly limits?: Partial<RequestLimits>;
  /** user=/group=: the uid/gid its workers switch to; null = the proxy's own. */
  readonly identity: UnixIdentity | null;
}

export interface ResolvedScriptAlias {
  /** JSON pointer of the entry (object or directive string). */
  readonly pointer: string;
  /** URL-path as written (not %-decoded: mod_wsgi compares it to the decoded request path). */
  readonly url: string;
  /** Absolute target path; a directory target keeps its trailing slash. */
  readonly path: string;
  readonly targetKind: 'file' | 'directory';
  readonly processGroup: GroupSpec;
  readonly applicationGroup: GroupSpec;
  readonly callableObject: string;
  readonly passAuthorization: boolean;
  /** The preload rule (DESIGN §5): both groups set on the entry itself, to literal names or %{GLOBAL}. */
  readonly preload: boolean;
  /** Narrows which files under a directory target are scripts; null = every file. */
  readonly extensions: readonly string[] | null;
  /** Runtime of its scripts whose extension says nothing: the entry's, else its group's, else defaults.runtime. */
  readonly runtime: Runtime;
  /** Request limits the entry sets itself (the most specific: they win over its group's and its host's). */
  readonly limits?: Partial<RequestLimits>;
}

export interface ResolvedStaticAlias {
  readonly pointer: string;
  readonly url: string;
  readonly path: string;                 // absolute; a directory keeps its trailing slash
}

export interface ResolvedScriptDirectory {
  readonly pointer: string;
  readonly path: string;                 // absolute folder, no trailing slash
  readonly processGroup: GroupSpec;
  readonly applicationGroup: GroupSpec;
  readonly callableObject: string;
  readonly passAuthorization: boolean;
  readonly extensions: readonly string[] | null;
  /** As ResolvedScriptAlias.runtime. */
  readonly runtime: Runtime;
}

/** One routing context: a virtual host, or the server level. */
export interface ResolvedContext {
  readonly pointer: string;
  /** null for the server-level context. */
  readonly serverName: string | null;
  readonly serverAliases: readonly string[];
  readonly documentRoot: string | null;  // absolute
  readonly alias: readonly ResolvedStaticAlias[];
  readonly scriptAlias: readonly ResolvedScriptAlias[];
  readonly scriptDirectories: readonly ResolvedScriptDirectory[];
  /** This virtual host's own certificate (SNI), or null: `proxy.ssl`'s is served. */
  readonly ssl: ResolvedTlsFiles | null;
  /** Request limits this virtual host sets itself. */
  readonly limits?: Partial<RequestLimits>;
}

/** Key, certificate and CA files of a TLS identity: absolute paths, checked at load (config/tls-files.ts). */
export interface ResolvedTlsFiles {
  readonly key: string;
  readonly cert: string;
  readonly ca: readonly string[];
}

/** One HTTPS listener (redbird's `ssl`), its files checked; `options` holds its other redbird keys. */
export interface ResolvedTlsListener extends ResolvedTlsFiles {
  readonly port: number;
  readonly ip: string | null;
  readonly options: Readonly<Record<string, unknown>>;
}

/** WSGITrustedProxies + WSGITrustedProxyHeaders (DESIGN §4). */
export interface ResolvedTrust {
  /** Addresses and CIDR ranges. */
  readonly proxies: readonly string[];
  /** Header names, lower-cased, at most one per purpose. */
  readonly headers: readonly string[];
}

export interface ResolvedProxyOptions {
  readonly port: number;
  readonly host: string;
  /** HTTPS listeners (redbird's `ssl`, one or an array); empty when there are none. */
  readonly ssl: readonly ResolvedTlsListener[];
  /** Proxy processes (cluster mode, one set of pools in the primary); null = one process, no primary. */
  readonly cluster: number | 'auto' | null;
  /** Every other redbird option, passed through unchanged. */
  readonly redbird: Readonly<Record<string, unknown>>;
}

/** One RequestReadTimeout phase: ms allowed at first, extended by 1 s per `minRate` bytes, up to `maxMs`. */
export interface ResolvedReadWindow {
  readonly initialMs: number;
  /** null = no cap. */
  readonly maxMs: number | null;
  /** Bytes per second that earn 1 s more; 0 = no extension. */
  readonly minRate: number;
}

/** Apache's RequestReadTimeout: null turns a phase off. */
export interface ResolvedReadTimeout {
  readonly header: ResolvedReadWindow | null;
  readonly body: ResolvedReadWindow | null;
}

export interface ResolvedRoute {
  readonly src: string;
  readonly target: string;
  readonly opts: Readonly<Record<string, unknown>>;
}

export interface ResolvedConfig {
  /** Absolute path of the config file ("<inline>" for a config given as an object). */
  readonly file: string;
  readonly proxy: ResolvedProxyOptions;
  readonly routes: readonly ResolvedRoute[];
  readonly defaults: {
    readonly processGroup: GroupSpec;
    readonly applicationGroup: GroupSpec;
    readonly runtime: Runtime;
    /** Seconds, 0 = none: the global process group's deadline and each named group's default. */
    readonly requestTimeout: number;
    /** MiB of V8 old-generation heap per isolate thread of the global group, 0 = V8's default. */
    readonly memoryLimit: number;
    /** Server-level request limits (the schema's defaults unless set). */
    readonly limits: RequestLimits;
  };
  readonly processGroups: Readonly<Record<string, ResolvedProcessGroup>>;
  /** Settings of the global process group's Python companion processes: the schema's group defaults. */
  readonly globalPython: ResolvedProcessGroup;
  readonly server: ResolvedContext;
  readonly virtualHosts: readonly ResolvedContext[];
  /** Python executable for the global process group's companion processes. */
  readonly python: string;
  readonly scriptReloading: boolean;
  readonly trust: ResolvedTrust;
  /** Slow-client limits of the listeners (config/read-timeout.ts). */
  readonly requestReadTimeout: ResolvedReadTimeout;
  /** Admin status endpoint: a Unix socket path, or null (off, the default). */
  readonly statusSocket: string | null;
  /** Prometheus metrics listener, or null (off, the default). */
  readonly metrics: { readonly host: string; readonly port: number } | null;
  /** Access log: null = off; path null = stdout (json: through the proxy's logger at info). */
  readonly accessLog: ResolvedAccessLog | null;
  /** Warnings found while resolving (e.g. a script folder inside a document root). */
  readonly warnings: readonly ConfigWarning[];
}

export interface ResolvedAccessLog {
  readonly format: 'json' | 'combined';
  /** Absolute file path, or null for stdout. */
  readonly path: string | null;
}

// The error catalogue: every error this project throws or answers with has a stable code here.
// Codes are never renamed or reused; a retired code stays listed with `retired: true`.
// Across a thread or process boundary an error travels as {code, message, details} and is
// revived from this table by code (instanceof does not survive the boundary; use err.code).

export interface CatalogueEntry {
  /** HTTP status when the error ends a request; undefined for errors that never reach a client. */
  readonly statusCode?: number;
  /** One line for the README's error table. */
  readonly summary: string;
  readonly retired?: boolean;
}

export const ERROR_CATALOGUE = {
  SA_ERR_CONFIG_INVALID: { summary: 'the config file has one or more problems (each listed as an issue)' },
  SA_ERR_CONFIG_READ: { summary: 'the config file cannot be read' },
  SA_ERR_CONFIG_JSON: { summary: 'the config file is not valid JSON, has a duplicate key or is nested deeper than 64 levels (line and column given)' },
  SA_ERR_CONFIG_SCHEMA: { summary: 'a key or value does not match the JSON Schema' },
  SA_ERR_CONFIG_DIRECTIVE: { summary: 'a directive string is malformed (missing target, unknown option, option without =)' },
  SA_ERR_CONFIG_UNKNOWN_GROUP: { summary: 'an alias or default names a process group that `processGroups` does not define' },
  SA_ERR_CONFIG_MISSING_TARGET: { summary: 'a script file, script directory, document root or alias path does not exist' },
  SA_ERR_CONFIG_TARGET_KIND: { summary: 'a target is a file where a directory is needed, or the reverse (trailing slash rule)' },
  SA_ERR_CONFIG_DUPLICATE_URL: { summary: 'two aliases in one context have the same URL-path' },
  SA_ERR_CONFIG_ENV_UNSET: { summary: 'a `%{ENV:NAME}` group name refers to an unset environment variable' },
  SA_ERR_CONFIG_PYTHON: { summary: 'the Python executable of a group cannot be run' },
  SA_ERR_CONFIG_TLS: { summary: 'a key, certificate or CA file of an HTTPS listener or SSL virtual host is missing, unreadable, not PEM, or the key does not match the certificate' },
  SA_ERR_CONFIG_TRUST: { summary: 'a trustedProxies entry is not an address or CIDR range, or trustedProxyHeaders names two headers of one purpose' },
  SA_ERR_CONFIG_EXPANSION: { summary: 'a group name uses an unknown `%{...}` expansion (known: `%{GLOBAL}`, `%{RESOURCE}`, `%{SERVER}`, `%{ENV:NAME}`)' },
  SA_ERR_CONFIG_UNSUPPORTED: { summary: 'a setting the schema knows was not supported yet (proxy.cluster, before cluster mode)', retired: true },
  SA_ERR_CONFIG_UNIX_USER: { summary: 'a process group\'s `user` or `group` names no Unix user or group on this host' },
  SA_ERR_CONFIG_NOT_ROOT: { summary: 'a process group sets `user`/`group` to another identity, but the proxy does not run as root and cannot switch to it' },
  SA_ERR_IMPORT_READ: { summary: '`import-apache`: an Apache configuration file (or an `Include`d one) cannot be read' },
  SA_ERR_IMPORT_SYNTAX: { summary: '`import-apache`: Apache would reject the file: unbalanced or mismatched `<Section>`, unterminated quote, `>` missing (file:line given)' },
  SA_ERR_IMPORT_DIRECTIVE: { summary: '`import-apache`: Apache would reject a directive: unknown `WSGIDaemonProcess`/`WSGIScriptAlias` option, missing argument, bad number (file:line given)' },
  SA_ERR_IMPORT_INCLUDE: { summary: '`import-apache`: an `Include` loops back to a file being read, matches more than 10 000 files, or names a missing file (IncludeOptional excepted)' },
  SA_ERR_ROUTE_BAD_PATH: { statusCode: 400, summary: 'the request path is malformed (bad %-escape, `..` above the root, invalid UTF-8 for a JS script)' },
  SA_ERR_ROUTE_NOT_FOUND: { statusCode: 404, summary: 'no script or file for this path (also an encoded slash `%2F` or NUL `%00`, as Apache answers, and paths leaving their root)' },
  SA_ERR_ROUTE_FORBIDDEN: { statusCode: 403, summary: 'a directory was named as a script (no index)' },
  SA_ERR_REQUEST_LINE_TOO_LONG: { statusCode: 414, summary: 'the request line is longer than `limitRequestLine` (Apache\'s LimitRequestLine; default 8190 bytes)' },
  SA_ERR_REQUEST_FIELDS_TOO_MANY: { statusCode: 400, summary: 'the request has more header fields than `limitRequestFields` (Apache\'s LimitRequestFields; default 100)' },
  SA_ERR_REQUEST_FIELD_TOO_LARGE: { statusCode: 431, summary: 'a header line is longer than `limitRequestFieldSize` (Apache\'s LimitRequestFieldSize; default 8190 bytes)' },
  SA_ERR_REQUEST_BODY_TOO_LARGE: { statusCode: 413, summary: 'the body is larger than `limitRequestBody` (Apache\'s LimitRequestBody; default 1 GiB): refused before the script runs, or cut (connection closed) when a chunked body passes it' },
  SA_ERR_SCRIPT_NO_CALLABLE: { statusCode: 404, summary: 'the script loaded but does not export the callable (mod_wsgi answers 404)' },
  SA_ERR_SCRIPT_LOAD_FAILED: { statusCode: 500, summary: 'the script failed to load (syntax error, throw at import); retried on the next request' },
  SA_ERR_SCRIPT_FAILED: { statusCode: 500, summary: 'the script threw or broke a protocol rule (PEP 3333) while handling the request' },
  SA_ERR_SCRIPT_CRASHED: { statusCode: 502, summary: 'the worker running the request died before answering' },
  SA_ERR_SCRIPT_TIMEOUT: { statusCode: 504, summary: 'the request ran past the group\'s `requestTimeout`' },
  SA_ERR_REQUEST_TIMEOUT: { statusCode: 408, summary: 'the client sent its request head or body slower than `requestReadTimeout` allows (slowloris); the connection is closed' },
  SA_ERR_POOL_QUEUE_FULL: { statusCode: 503, summary: 'every slot of the group is busy and its `listenBacklog` queue is full (`Retry-After`)' },
  SA_ERR_POOL_QUEUE_TIMEOUT: { statusCode: 503, summary: 'the request waited in the queue longer than `queueTimeout` (`Retry-After`)' },
  SA_ERR_POOL_UNAVAILABLE: { statusCode: 503, summary: 'the group has no live process (failing at start, or shutting down)' },
  SA_ERR_WORKER_START_FAILED: { summary: 'a worker process or thread failed to start or become ready' },
  SA_ERR_WORKER_PROTOCOL: { summary: 'a worker got or sent a message that breaks the protocol (logged; a request it ends answers 500)' },
  SA_ERR_RELOAD_FAILED: { summary: 'a new config generation could not be built; the old one keeps serving' },
  SA_ERR_OPS_METRICS_LISTEN: { summary: 'the metrics listener (`metrics.listen`) cannot bind its address (in use, not local, port above 65535)' },
  SA_ERR_OPS_ACCESS_LOG_WRITE: { summary: 'the access log cannot open or write its file (or stdout), or its writer thread failed; requests are still served, their lines are lost' },
  SA_ERR_OPS_STATUS_SOCKET_IN_USE: { summary: 'another running proxy answers on `statusSocket`; a second `serve` refuses instead of taking it over' },
  SA_ERR_CONFIG_STATUS_SOCKET_DIR: { summary: 'the folder of `statusSocket` does not exist or is not writable' },
  SA_ERR_OPS_STATUS_UNREACHABLE: { summary: '`scriptalias status`/`reload` found no running proxy for this config (none recorded, or its socket does not answer)' },
  SA_ERR_RELOAD_NEEDS_RESTART: { summary: 'a changed `proxy.port`/`proxy.host` takes effect only after a restart' },
  SA_ERR_LISTEN_FAILED: { summary: 'a listener cannot bind its address (in use, not permitted); the proxy does not start (exit 1)' },
  SA_ERR_CLUSTER_PROXY_FAILED: { summary: 'cluster mode: a proxy process could not start (its reason is logged); serve stops everything and exits 1' },
  SA_ERR_SOURCE_UNAVAILABLE: { summary: 'the config source (`--config-from etcd://…`) cannot be reached at start, or its key is missing or empty; without `--config-fallback` the proxy does not start (exit 1)' },
  SA_ERR_CLI_USAGE: { summary: 'the command line is wrong (unknown command or flag, bad value): one line and the usage, exit 2' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Warning codes: logged, never thrown. */
export const WARNING_CATALOGUE = {
  SA_WRN_SCRIPT_DIR_IN_DOCROOT: { summary: 'a script folder lies inside a document root (its files run, never served)' },
  SA_WRN_MISSING_TARGET: { summary: 'a script file or folder of a scriptAlias does not exist (yet): that alias answers 404 until it appears; everything else serves (check --strict fails)' },
  SA_WRN_PRELOAD_FAILED: { summary: 'a preloaded script failed to load at process start; its requests retry the load' },
  SA_WRN_IMPORT_UNTRANSLATED: { summary: '`import-apache`: an Apache directive has no equivalent and was left out (report line with file:line and why; `--strict` exits 2)' },
  SA_WRN_SOURCE_LOST: { summary: 'the config source (etcd) stopped answering or its key was deleted: the current config keeps serving; the watch resumes from the last revision seen' },
  SA_WRN_IMPORT_SEMANTICS: { summary: '`import-apache`: a directive was translated to its safe reading because a literal translation would change behaviour (trailing slashes, script source served as text, WSGIRestrictEmbedded)' },
} as const satisfies Record<string, CatalogueEntry>;

export type WarningCode = keyof typeof WARNING_CATALOGUE;

/** Event codes: lifecycle facts logged at info (spawn, ready, exit, recycle), never errors. */
export const EVENT_CATALOGUE = {
  SA_EVT_SOCKET_SWEPT: { summary: 'a starting proxy removed the socket folder of a proxy that no longer runs (its owner.pid names a dead process)' },
  SA_EVT_WORKER_SPAWN: { summary: 'a worker process was started (group, pid, runtime)' },
  SA_EVT_WORKER_READY: { summary: 'a worker process ran its preloads and takes requests' },
  SA_EVT_WORKER_EXIT: { summary: 'a worker process exited (code, signal; expected or not)' },
  SA_EVT_WORKER_RECYCLE: { summary: 'a worker process or isolate thread is being replaced (maximumRequests, maximumMemory, memoryLimit, requestTimeout, intervals, script change)' },
  SA_EVT_WSGI_ERRORS: { summary: 'a line a WSGI application wrote to `wsgi.errors`' },
  SA_EVT_PROXY_EXIT: { summary: 'cluster mode: a proxy process exited (code, signal); unless the cluster is stopping, the primary starts a new one at once (its in-flight requests were lost, the pools keep their processes)' },
  SA_EVT_HEADERS_DROPPED: { summary: 'request headers whose name has `_` were dropped before a Python script (they would spoof a CGI name; as Apache and gunicorn), logged at debug with a count' },
} as const satisfies Record<string, CatalogueEntry>;

export type EventCode = keyof typeof EVENT_CATALOGUE;

const BRAND = Symbol.for('redbird-scriptalias.error');

export class ScriptAliasError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScriptAliasError';
    this.code = code;
    const entry: CatalogueEntry = ERROR_CATALOGUE[code];
    this.statusCode = entry.statusCode;
    this.details = options.details;
  }
}

/** One problem in a config file: where it is and what was expected. */
export interface ConfigIssue {
  readonly file: string;
  /** RFC 6901 JSON pointer into the file ("" = the whole document). */
  readonly pointer: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** What a valid value would be, when the schema says. */
  readonly expected?: string;
}

/** A problem that does not stop a config from loading (DESIGN §2: a missing script target). */
export interface ConfigWarning {
  readonly file: string;
  readonly pointer: string;
  readonly code: WarningCode;
  readonly message: string;
}

export function formatWarning(warning: ConfigWarning): string {
  return `warning: ${warning.file}: ${warning.pointer}: ${warning.message} [${warning.code}]`;
}

/** A config that failed: holds every issue found, so `check` can print them all. */
export class ConfigError extends ScriptAliasError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    super('SA_ERR_CONFIG_INVALID',
      `${issues.length} config problem${issues.length === 1 ? '' : 's'}` + (first ? `; first: ${formatIssue(first)}` : ''));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const at = issue.pointer === '' ? '(root)' : issue.pointer;
  return `${issue.file}: ${at}: ${issue.message}` + (issue.expected ? ` (expected ${issue.expected})` : '') + ` [${issue.code}]`;
}

export function isScriptAliasError(value: unknown): value is ScriptAliasError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** The wire form of an error (thread/process boundary). */
export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/**
 * An error's message followed by its causes' (`cannot load x.js: boom`), as pino's err serializer
 * writes it. Messages say what failed and leave the why to `cause`, so it is never said twice; a
 * cause whose text the message already holds is not added again.
 */
export function messageWithCauses(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let message = err.message;
  const seen = new Set<unknown>([err]);
  for (let cause = err.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    if (cause.message !== '' && !message.includes(cause.message)) message += `: ${cause.message}`;
  }
  return message;
}

/** The wire form keeps the causes' messages: `cause` itself does not cross a boundary. */
export function serializeError(err: unknown): SerializedError {
  const message = messageWithCauses(err);
  if (isScriptAliasError(err)) {
    return { code: err.code, message, ...(err.details ? { details: { ...err.details } } : {}) };
  }
  return { code: 'SA_ERR_SCRIPT_FAILED', message };
}

export function reviveError(wire: SerializedError): ScriptAliasError {
  const code: ErrorCode = wire.code in ERROR_CATALOGUE ? wire.code : 'SA_ERR_WORKER_PROTOCOL';
  return new ScriptAliasError(code, wire.message, wire.details ? { details: wire.details } : {});
}

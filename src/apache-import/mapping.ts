// The importer's mapping table: every Apache directive it knows, what it becomes in proxy.json and
// why not when it becomes nothing. translate.ts reads `why` for its report lines and
// scripts/migration-doc.js renders docs/migrating-from-mod_wsgi.md from this table, so the two
// cannot drift. A directive missing here is reported as unknown.

export type MappingStatus =
  /** Translated to the `to` key. */
  | 'mapped'
  /** Consumed by the reader or without effect here (same behaviour): never reported. */
  | 'same'
  /** Left out and reported. */
  | 'none';

export interface Mapping {
  readonly directive: string;
  readonly status: MappingStatus;
  /** proxy.json key(s) it becomes, or "—". */
  readonly to: string;
  /** Why, for reports and the docs; for mapped rows the fine print. */
  readonly why: string;
}

const PROCESS_SETTING = 'an Apache process, logging or MPM setting: redbird is one Node process with its own logging';
const AUTH = 'access control and authentication modules have no equivalent: put them in the application or in front of the proxy';

export const MAPPINGS: readonly Mapping[] = [
  // Reading the configuration
  { directive: 'Include', status: 'same', to: '—', why: 'followed (globs and folders, relative to ServerRoot); a loop or more than 10 000 files is an error' },
  { directive: 'IncludeOptional', status: 'same', to: '—', why: 'followed like Include; a missing file is skipped' },
  { directive: 'Define', status: 'same', to: '—', why: 'substituted into ${VAR} references (UnDefine too); an undefined ${VAR} stays as written and is reported' },
  { directive: 'ServerRoot', status: 'same', to: '—', why: 'relative Include and paths resolve against it (default: the imported file\'s folder); paths in the output are absolute' },
  { directive: '<IfDefine>, <IfModule>, <IfVersion>, <IfFile>', status: 'same', to: '—', why: 'decided while reading: IfDefine by Define, IfModule by LoadModule (in a fragment without LoadModule every module counts as loaded), IfFile by the file system; every version counts as present' },
  // Server and hosts
  { directive: 'Listen', status: 'mapped', to: 'proxy.port, proxy.host', why: 'the first plain-HTTP Listen; ports of SSL virtual hosts become proxy.ssl listeners; further Listen lines are reported' },
  { directive: '<VirtualHost>', status: 'mapped', to: 'plugins.scriptalias.virtualHosts[]', why: 'one per block, in order (the first catches unknown hosts, as in Apache); hosts on other ports are served on proxy.port' },
  { directive: 'ServerName', status: 'mapped', to: 'serverName', why: 'server level → plugins.scriptalias.serverName; in a virtual host → its serverName (a :port suffix is dropped)' },
  { directive: 'ServerAlias', status: 'mapped', to: 'virtualHosts[].serverAliases', why: '' },
  { directive: 'DocumentRoot', status: 'mapped', to: 'virtualHosts[].documentRoot', why: 'server level: inherited by virtual hosts without one (a catch-all host is made when there are none)' },
  { directive: 'Alias', status: 'mapped', to: 'virtualHosts[].alias[]', why: 'mismatched trailing slashes on a folder (Apache glues the strings) take the safe reading, both with a slash, and are reported' },
  { directive: 'DirectoryIndex', status: 'mapped', to: '—', why: 'index.html (the default) only; another index is reported' },
  { directive: 'SSLEngine', status: 'same', to: '—', why: 'a virtual host with a certificate is an SSL host' },
  { directive: 'SSLCertificateFile', status: 'mapped', to: 'virtualHosts[].ssl.cert, proxy.ssl[].cert', why: 'the first SSL host of a port also gives that port\'s listener its default certificate' },
  { directive: 'SSLCertificateKeyFile', status: 'mapped', to: 'virtualHosts[].ssl.key, proxy.ssl[].key', why: '' },
  { directive: 'SSLCertificateChainFile', status: 'none', to: '—', why: 'append the chain to the certificate file (cert may hold the whole chain)' },
  { directive: 'SSLProtocol, SSLCipherSuite, SSLHonorCipherOrder', status: 'none', to: '—', why: 'Node\'s TLS defaults apply' },
  // mod_wsgi
  { directive: 'WSGIScriptAlias', status: 'mapped', to: 'scriptAlias[] (directive string)', why: 'process-group=, application-group=, callable-object=, pass-authorization= kept; mismatched trailing slashes on a folder take the safe reading (both with a slash) and are reported' },
  { directive: 'WSGIScriptAliasMatch', status: 'mapped', to: 'scriptAlias[]', why: 'only when the regex is a plain prefix (^/path, optionally followed by (.*)) and the target has no $1; otherwise reported. A prefix regex also matched /pathX: scriptAlias matches on segment boundaries (reported)' },
  { directive: 'WSGIDaemonProcess', status: 'mapped', to: 'processGroups.<name>', why: 'processes, threads, maximum-requests, request-timeout, queue-timeout, listen-backlog, inactivity-timeout, restart-interval, graceful-timeout, shutdown-timeout, home, python-path, python-home, display-name; other valid options (user=, group=, umask=, ...) are reported; an unknown option is an error, as in Apache' },
  { directive: 'WSGIProcessGroup', status: 'mapped', to: 'defaults.processGroup', why: 'server level → defaults; in a virtual host, <Directory> or <Location> → processGroup of the aliases and script folders it covers' },
  { directive: 'WSGIApplicationGroup', status: 'mapped', to: 'defaults.applicationGroup', why: 'as WSGIProcessGroup' },
  { directive: 'WSGIPassAuthorization', status: 'mapped', to: 'passAuthorization', why: 'On → passAuthorization on every alias and script folder of its context' },
  { directive: 'SetHandler wsgi-script', status: 'mapped', to: 'virtualHosts[].scriptDirectories[]', why: 'in <Directory>; with Options ExecCGI (consumed). In <Location> or another section it is reported' },
  { directive: 'AddHandler wsgi-script', status: 'mapped', to: 'scriptDirectories[].extensions', why: 'in <Directory>: only files with those extensions run' },
  { directive: 'WSGIScriptReloading', status: 'mapped', to: 'plugins.scriptalias.scriptReloading', why: '' },
  { directive: 'WSGIImportScript', status: 'mapped', to: 'scriptAlias[] processGroup + applicationGroup (preload rule)', why: 'when an alias serves that script, its process and application group are written on the alias, so the preload rule loads it at process start; otherwise reported' },
  { directive: 'WSGIRestrictEmbedded', status: 'mapped', to: '—', why: 'On: scripts that would run in the embedded (%{GLOBAL}) group, which Apache refuses, are left out and reported, rather than run inside the proxy' },
  { directive: 'WSGITrustedProxies', status: 'mapped', to: 'plugins.scriptalias.trustedProxies', why: '' },
  { directive: 'WSGITrustedProxyHeaders', status: 'mapped', to: 'plugins.scriptalias.trustedProxyHeaders', why: '' },
  { directive: 'WSGISocketPrefix', status: 'same', to: '—', why: 'worker sockets live in a private temporary folder' },
  { directive: 'WSGIDestroyInterpreter, WSGILazyInitialization', status: 'same', to: '—', why: 'interpreter lifecycle is the worker\'s own' },
  { directive: 'WSGIPythonHome, WSGIPythonPath', status: 'none', to: '—', why: 'embedded-mode Python settings: set pythonHome / pythonPath on the process group instead' },
  { directive: 'WSGIPythonOptimize, WSGIPythonEggs, WSGICallableObject, WSGIChunkedRequest, WSGIMapHEADToGET, WSGIErrorOverride, WSGIVerboseDebugging, WSGIApplicationGroupPattern', status: 'none', to: '—', why: 'no equivalent setting' },
  // Sections and access control
  { directive: '<Directory>', status: 'mapped', to: 'scriptDirectories[] / group of covered aliases', why: 'SetHandler/AddHandler wsgi-script, WSGIProcessGroup, WSGIApplicationGroup, WSGIPassAuthorization inside are translated; Require all granted and AllowOverride None have the same effect here' },
  { directive: '<Location>', status: 'mapped', to: 'group of covered aliases', why: 'WSGIProcessGroup, WSGIApplicationGroup, WSGIPassAuthorization inside apply to the aliases under the URL-path; anything else inside is reported' },
  { directive: '<Files>, <FilesMatch>, <DirectoryMatch>, <LocationMatch>', status: 'same', to: '—', why: 'only access lines (Require all granted) are understood inside; anything else is reported' },
  { directive: '<If>, <ElseIf>, <Else>', status: 'none', to: '—', why: 'per-request expressions have no equivalent' },
  { directive: 'Require all granted', status: 'same', to: '—', why: 'everything a config routes is reachable' },
  { directive: 'Require all denied (in <Directory />)', status: 'same', to: '—', why: 'only folders the config names are served' },
  { directive: 'Require (other), Order, Allow, Deny, Satisfy, Auth*', status: 'none', to: '—', why: AUTH },
  { directive: 'AllowOverride', status: 'same', to: '—', why: 'None: no .htaccess files are read (other values are reported)' },
  { directive: 'Options', status: 'none', to: '—', why: 'ExecCGI in a script folder is consumed; FollowSymLinks, Indexes, MultiViews have no setting: symlinks are followed only inside their root, folders are never listed' },
  // Request limits: Apache's names, our keys (camelCase of the same words)
  { directive: 'LimitRequestBody, LimitRequestFields, LimitRequestFieldSize, LimitRequestLine', status: 'mapped', to: 'defaults.limitRequest*, virtualHosts[].limitRequest*', why: 'server level → defaults, in a virtual host → that host; inside <Directory>/<Location> reported (set them on the alias or group instead)' },
  { directive: 'LimitXMLRequestBody', status: 'none', to: '—', why: 'no XML body parsing here' },
  { directive: 'Timeout', status: 'none', to: '—', why: 'use requestTimeout on the process group or defaults' },
  // Other modules
  { directive: 'RewriteEngine, RewriteRule, RewriteCond, RewriteBase, RewriteMap', status: 'none', to: '—', why: 'mod_rewrite has no equivalent: use redbird routes or the application' },
  { directive: 'Redirect, RedirectMatch, RedirectPermanent, RedirectTemp', status: 'none', to: '—', why: 'redirects have no equivalent: use the application' },
  { directive: 'AliasMatch, ScriptAlias, ScriptAliasMatch', status: 'none', to: '—', why: 'regex aliases and CGI scripts have no equivalent' },
  { directive: 'ProxyPass, ProxyPassReverse, ProxyPreserveHost', status: 'none', to: '—', why: 'use redbird routes (proxy.json routes[])' },
  { directive: 'Header, RequestHeader, SetEnv, SetEnvIf, PassEnv, ExpiresActive, ExpiresByType, AddType, AddDefaultCharset, AddOutputFilterByType, ErrorDocument', status: 'none', to: '—', why: 'header, environment and content settings have no equivalent' },
  { directive: 'LoadModule', status: 'same', to: '—', why: 'wsgi, alias, dir, mime, ssl, authz_core and the MPMs are built in; another module is reported' },
  { directive: 'ErrorLog, CustomLog, LogLevel, LogFormat, TransferLog, PidFile, DefaultRuntimeDir, User, Group, TypesConfig, Mutex, KeepAlive, KeepAliveTimeout, MaxKeepAliveRequests, StartServers, ServerLimit, ThreadsPerChild, MaxRequestWorkers, MinSpareThreads, MaxSpareThreads, MaxConnectionsPerChild, ServerAdmin, ServerTokens, ServerSignature, HostnameLookups, AccessFileName, TraceEnable, UseCanonicalName', status: 'none', to: '—', why: PROCESS_SETTING },
];

/** Lower-cased directive name → its row; rows naming several directives are split. */
export function mappingIndex(): Map<string, Mapping> {
  const index = new Map<string, Mapping>();
  for (const row of MAPPINGS) {
    for (const name of row.directive.split(',').map((n) => n.trim())) {
      const bare = name.replace(/^<|>$/g, '').split(' ')[0]!.toLowerCase();
      if (!index.has(bare)) index.set(bare, row);
    }
  }
  return index;
}

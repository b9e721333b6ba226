// Turns a routing decision into the ScriptJob a worker runs: runtime-ready SCRIPT_NAME/PATH_INFO
// strings (UTF-8 for JS, PEP 3333 latin-1 for Python) and the wsgi.* flags of the group.
// Pure: no I/O. Returns an error code when the path cannot be given to the runtime.
import type { IncomingMessage } from 'node:http';
import type { ScriptTarget, BytePath } from '../routing/types.js';
import type { ScriptJob } from '../protocol/job.js';
import type { ErrorCode } from '../errors.js';
import type { ForwardedFacts } from '../routing/forwarded.js';
import type { ConnectionFacts } from '../runtime/connection-facts.js';

/** Facts about where the job runs, from the group's settings (DESIGN §4: wsgi.* flags). */
export interface JobFacts {
  readonly multiprocess: boolean;
  readonly multithread: boolean;
  readonly runOnce: boolean;
  readonly reloading: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Decodes a BytePath as UTF-8; null when the bytes are not valid UTF-8 (→ 400 for JS scripts). */
function bytesToUtf8(path: BytePath): string | null {
  if (ASCII_ONLY.test(path)) return path;
  try {
    return utf8.decode(Buffer.from(path, 'latin1'));
  } catch {
    return null;
  }
}

/** `client`: the request's own facts after the trusted-proxy rules (address, scheme, port);
 *  `connection`: the client connection's (what a script's req.socket says in every realm). */
export function buildJob(target: ScriptTarget, req: IncomingMessage, facts: JobFacts, client: ForwardedFacts, connection: ConnectionFacts,
  reqId: string): ScriptJob | ErrorCode {
  let scriptName: string | null = target.scriptName;
  let pathInfo: string | null = target.pathInfo;
  if (target.runtime === 'node') {
    scriptName = bytesToUtf8(target.scriptName);
    pathInfo = bytesToUtf8(target.pathInfo);
    if (scriptName === null || pathInfo === null) return 'SA_ERR_ROUTE_BAD_PATH';
  }
  const host = req.headers.host ?? '';
  return {
    script: target.scriptFilename,
    callable: target.callableObject,
    scriptName,
    pathInfo,
    url: (target.rawPathInfo === '' ? '/' : target.rawPathInfo) + (target.queryString === '' && !hasQueryMark(req.url) ? '' : `?${target.queryString}`),
    queryString: target.queryString,
    processGroup: target.processGroup,
    applicationGroup: target.applicationGroup,
    multiprocess: facts.multiprocess,
    multithread: facts.multithread,
    runOnce: facts.runOnce,
    passAuthorization: target.passAuthorization,
    reloading: facts.reloading,
    reqId,
    remoteAddr: client.remoteAddr,
    remotePort: connection.peerPort,
    serverName: hostName(host),
    serverPort: client.serverPort,
    urlScheme: client.urlScheme,
    encrypted: connection.encrypted,
    peerAddr: connection.peerAddr,
    localPort: connection.localPort,
    httpVersion: req.httpVersionMajor === 2 ? '2.0' : '1.1',
  };
}

function hasQueryMark(url: string | undefined): boolean {
  return url !== undefined && url.includes('?');
}

/** The host part of a Host header (IPv6 literals keep their brackets). */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

// Gives a script the request it expects (DESIGN §4): req.url = PATH_INFO (URL form) + ?query,
// req.baseUrl = SCRIPT_NAME, req.originalUrl = the request's own URL, req.scriptAlias = the WSGI-like
// facts; hides Authorization unless the alias passes it, and Proxy-Authorization always (mod_wsgi).
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { ScriptJob } from '../protocol/job.js';
import { JOB_HEADER } from '../constants.js';

export interface ScriptAliasFacts {
  readonly scriptName: string;
  readonly pathInfo: string;
  readonly scriptFilename: string;
  readonly processGroup: string;
  readonly applicationGroup: string;
  readonly callableObject: string;
  readonly multiprocess: boolean;
  readonly multithread: boolean;
  readonly runOnce: boolean;
  /** 'https' on the TLS listener, or when a trusted proxy says so (trustedProxyHeaders). */
  readonly urlScheme: 'http' | 'https';
  /** The client's address after the trusted-proxy rules (REMOTE_ADDR). */
  readonly remoteAddr: string;
  readonly serverPort: number;
}

export type ShapedRequest = IncomingMessage & { baseUrl: string; originalUrl: string; scriptAlias: ScriptAliasFacts };

/** Removes a header (lower-case name) from both req.headers and req.rawHeaders (what the hop forwards). */
export function dropHeader(req: IncomingMessage, name: string): void {
  if (req.headers[name] === undefined) return;
  delete req.headers[name];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === name) raw.splice(i, 2);
  }
}

/** Set on a socket stand-in whose own getters already give the client connection's facts (an h2
 *  stream's, protocol/h2-exchange.ts): describing it again per request is wasted work. */
export const kTellsConnection = Symbol.for('scriptalias.tellsConnection');

function describeConnection(stream: object, job: ScriptJob): void {
  Object.defineProperties(stream, {
    encrypted: { value: job.encrypted, configurable: true, enumerable: true },
    remoteAddress: { value: job.peerAddr, configurable: true, enumerable: true },
    remotePort: { value: job.remotePort, configurable: true, enumerable: true },
    localPort: { value: job.localPort, configurable: true, enumerable: true },
  });
}

/** Gives a header (lower-case name) one value in req.headers and req.rawHeaders. */
export function setHeader(req: IncomingMessage, name: string, value: string): void {
  dropHeader(req, name);
  req.headers[name] = value;
  req.rawHeaders.push(name === 'host' ? 'Host' : name, value);
}

export function applyJob(req: IncomingMessage, job: ScriptJob): ShapedRequest {
  const shaped = req as ShapedRequest;
  shaped.originalUrl = req.url ?? '/';
  shaped.url = job.url;
  shaped.baseUrl = job.scriptName;
  shaped.scriptAlias = {
    scriptName: job.scriptName,
    pathInfo: job.pathInfo,
    scriptFilename: job.script,
    processGroup: job.processGroup,
    applicationGroup: job.applicationGroup,
    callableObject: job.callable,
    multiprocess: job.multiprocess,
    multithread: job.multithread,
    runOnce: job.runOnce,
    urlScheme: job.urlScheme,
    remoteAddr: job.remoteAddr,
    serverPort: job.serverPort,
  };
  // In a worker realm the request arrives on a protocol stream, not the client's socket: give the
  // stream the client connection's facts, so req.secure/req.protocol/req.ip (Express) are right.
  const socket = req.socket as Socket & { [kTellsConnection]?: true };
  if (!(socket instanceof Socket) && socket[kTellsConnection] !== true) describeConnection(socket, job);
  // The hop to a realm (and the inline h2 bridge) is HTTP/1.1; the script sees the client's version.
  if (job.httpVersion === '2.0') {
    shaped.httpVersion = '2.0';
    shaped.httpVersionMajor = 2;
    shaped.httpVersionMinor = 0;
  }
  dropHeader(req, JOB_HEADER);
  if (!job.passAuthorization) dropHeader(req, 'authorization');
  dropHeader(req, 'proxy-authorization');
  return shaped;
}

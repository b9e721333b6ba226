// Apache's LimitRequestLine/Fields/FieldSize/Body on the plugin's request path, after routing knows
// the virtual host, alias and group (the most specific setting wins: alias, group, host, defaults).
// Node's own parser has already refused what it cannot frame (CL+TE, bad chunk sizes, NUL/CR in a
// header, heads over its maxHeaderSize); this adds Apache's limits on top, for every executor.
// Header names with `_` never reach a Python script: HTTP_X_FORWARDED_FOR must come from the
// hyphenated header a front proxy sets, never from a client's X_Forwarded_For (Apache, gunicorn).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestLimits, ResolvedConfig } from '../config/types.js';
import { LIMIT_KEYS } from '../config/limits.js';
import type { ScriptTarget } from '../routing/types.js';
import type { ErrorCode } from '../errors.js';
import { ScriptAliasError } from '../errors.js';
import { sendError } from '../http-error.js';
import type { Logger } from '../log.js';

/** Effective limits per (config, context, entry, group): computed once, then map hits per request
 *  (nested maps, no key string built per request: this runs on every script request). */
const cache = new WeakMap<ResolvedConfig, Map<string, Map<string, Map<string, RequestLimits>>>>();

export function limitsFor(config: ResolvedConfig, target: ScriptTarget): RequestLimits {
  let byContext = cache.get(config);
  if (!byContext) {
    byContext = new Map();
    cache.set(config, byContext);
  }
  let byEntry = byContext.get(target.context);
  if (!byEntry) {
    byEntry = new Map();
    byContext.set(target.context, byEntry);
  }
  let byGroup = byEntry.get(target.pointer);
  if (!byGroup) {
    byGroup = new Map();
    byEntry.set(target.pointer, byGroup);
  }
  let limits = byGroup.get(target.processGroup);
  if (!limits) {
    limits = compute(config, target);
    byGroup.set(target.processGroup, limits);
  }
  return limits;
}

function compute(config: ResolvedConfig, target: ScriptTarget): RequestLimits {
  const host = config.virtualHosts.find((v) => v.pointer === target.context)?.limits;
  const group = config.processGroups[target.processGroup]?.limits;
  const contexts = [config.server, ...config.virtualHosts];
  const alias = contexts.flatMap((c) => c.scriptAlias).find((a) => a.pointer === target.pointer)?.limits;
  const out = { ...config.defaults.limits };
  for (const key of LIMIT_KEYS) out[key] = alias?.[key] ?? group?.[key] ?? host?.[key] ?? config.defaults.limits[key];
  return out;
}

/** The head checks: the first limit the request breaks, or null. */
export function checkHead(req: IncomingMessage, limits: RequestLimits): { code: ErrorCode; reason: string } | null {
  // "METHOD target HTTP/x.y" as Apache measures it (Node gives the parts, not the line).
  const line = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 10;
  if (limits.limitRequestLine > 0 && line > limits.limitRequestLine) {
    return { code: 'SA_ERR_REQUEST_LINE_TOO_LONG', reason: `request line of ${line} bytes over limitRequestLine ${limits.limitRequestLine}` };
  }
  const raw = req.rawHeaders;
  const fields = raw.length / 2;
  if (limits.limitRequestFields > 0 && fields > limits.limitRequestFields) {
    return { code: 'SA_ERR_REQUEST_FIELDS_TOO_MANY', reason: `${fields} header fields over limitRequestFields ${limits.limitRequestFields}` };
  }
  const max = limits.limitRequestFieldSize;
  if (max > 0) {
    for (let i = 0; i < raw.length; i += 2) {
      const size = raw[i]!.length + 2 + raw[i + 1]!.length;
      if (size > max) return { code: 'SA_ERR_REQUEST_FIELD_TOO_LARGE', reason: `a header line of ${size} bytes over limitRequestFieldSize ${max}` };
    }
  }
  const length = req.headers['content-length'];
  if (limits.limitRequestBody > 0 && length !== undefined && Number(length) > limits.limitRequestBody) {
    return { code: 'SA_ERR_REQUEST_BODY_TOO_LARGE', reason: `Content-Length ${length} over limitRequestBody ${limits.limitRequestBody}` };
  }
  return null;
}

// A connection whose request was refused closes after that answer. Node's parser may already have
// read requests pipelined behind it (in the same packet): those must never run (no smuggling).
const kRefused = Symbol('refusedConnection');
type MarkedSocket = { [kRefused]?: true };

export function isRefusedConnection(req: IncomingMessage): boolean {
  return (req.socket as unknown as MarkedSocket | null)?.[kRefused] === true;
}

function markRefused(req: IncomingMessage): void {
  if (req.socket) (req.socket as unknown as MarkedSocket)[kRefused] = true;
}

/** Answers a refused request and closes its connection (its body, if any, is never read). */
export function refuse(req: IncomingMessage, res: ServerResponse, code: ErrorCode, reqId: string, reason: string, log: Logger): void {
  log.info({ code, reqId, reason, url: req.url }, 'request refused');
  markRefused(req);
  sendError(res, code, reqId, { connection: 'close' });
}

/** Drops header names with `_` (before a Python script); returns how many went. */
export function dropUnderscoreHeaders(req: IncomingMessage): number {
  const raw = req.rawHeaders;
  let dropped = 0;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!;
    if (name.indexOf('_') < 0) continue;
    raw.splice(i, 2);
    delete req.headers[name.toLowerCase()];
    dropped++;
  }
  return dropped;
}

// --- the body limit for a body without Content-Length (chunked) -------------------------------------
// Counted where Node's parser hands the body to req (req.push), so no byte is taken from a script that
// reads req itself (inline) and the hop executors (http-bridge) stream it unchanged.

interface BodyGuard {
  readonly limit: number;
  readonly res: ServerResponse;
  readonly reqId: string;
  readonly log: Logger;
  seen: number;
  over: boolean;
}

const kGuard = Symbol('bodyGuard');
type GuardedRequest = IncomingMessage & { [kGuard]: BodyGuard };
const push = Readable.prototype.push;
const noop = (): void => undefined;

/** One shared function (no closure per request): the state rides on req. */
function countingPush(this: GuardedRequest, chunk: unknown, encoding?: BufferEncoding): boolean {
  const guard = this[kGuard];
  if (guard.over) return true; // past the limit: nothing more reaches the script
  if (chunk !== null && chunk !== undefined) {
    guard.seen += (chunk as Buffer).length;
    if (guard.seen > guard.limit) {
      overLimit(this, guard);
      return true;
    }
  }
  return push.call(this, chunk, encoding);
}

function overLimit(req: GuardedRequest, guard: BodyGuard): void {
  guard.over = true;
  const { res } = guard;
  guard.log.info({ code: 'SA_ERR_REQUEST_BODY_TOO_LARGE', reqId: guard.reqId, limit: guard.limit, url: req.url }, 'request body over limitRequestBody: cut');
  // Whoever holds req/res (script, bridge) hears one error and cannot crash the proxy by writing on.
  req.on('error', noop);
  res.on('error', noop);
  markRefused(req);
  req.socket?.pause(); // read nothing more of this connection
  const err = new ScriptAliasError('SA_ERR_REQUEST_BODY_TOO_LARGE', `request body over limitRequestBody ${guard.limit}`);
  if (res.headersSent) {
    req.destroy(err);
    return;
  }
  sendError(res, 'SA_ERR_REQUEST_BODY_TOO_LARGE', guard.reqId, { connection: 'close' });
  mute(res);
  // The 413 leaves first, then the script's read fails and the connection goes.
  res.once('finish', () => req.destroy(err));
}

/** After the 413 the script still holds res: its later calls must neither throw nor emit. */
function mute(res: ServerResponse): void {
  const self = (): ServerResponse => res;
  Object.assign(res, {
    writeHead: self, setHeader: self, appendHeader: self, setHeaders: self, removeHeader: noop, flushHeaders: noop,
    addTrailers: noop, writeContinue: noop, writeProcessing: noop, writeEarlyHints: noop, write: () => true, end: self,
  });
}

/** Arms the body limit when the body has no Content-Length to check up front. */
export function guardBody(req: IncomingMessage, res: ServerResponse, limit: number, reqId: string, log: Logger): void {
  if (limit <= 0 || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] === undefined) return;
  const guarded = req as GuardedRequest;
  guarded[kGuard] = { limit, res, reqId, log, seen: 0, over: false };
  guarded.push = countingPush;
}

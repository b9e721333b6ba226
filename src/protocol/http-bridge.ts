// The proxy side of the worker wire protocol: streams a request to a realm's Unix socket (keep-alive
// HTTP, job header added, hop-by-hop and hidden headers removed) and the answer back, with
// backpressure both ways (pipe). Maps failures: connection lost before the answer → 502, past
// timeoutMs → 504; once the answer started, the client connection is cut instead. Never throws.
import http, { type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { ScriptJob } from './job.js';
import { encodeJob } from './job.js';
import { JOB_HEADER } from '../constants.js';
import { sendError } from '../http-error.js';
import type { Logger } from '../log.js';

export interface ForwardTarget {
  readonly socketPath: string;
  readonly agent: http.Agent;
}

export type ForwardOutcome = 'ok' | 'crashed' | 'timeout' | 'client-aborted';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

function requestHeaders(req: IncomingMessage, job: ScriptJob): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in req.headers) {
    if (HOP_BY_HOP.has(name) || name === JOB_HEADER) continue;
    if (name === 'authorization' && !job.passAuthorization) continue;
    headers[name] = req.headers[name];
  }
  headers[JOB_HEADER] = encodeJob(job);
  return headers;
}

function responseHeaders(upstream: IncomingMessage): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in upstream.headers) {
    if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    headers[name] = upstream.headers[name];
  }
  return headers;
}

export function forwardRequest(req: IncomingMessage, res: ServerResponse, job: ScriptJob, target: ForwardTarget,
  options: { readonly timeoutMs: number; readonly log: Logger }): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    let outcome: ForwardOutcome | null = null;
    let timer: NodeJS.Timeout | undefined;
    const settle = (value: ForwardOutcome): void => {
      if (outcome !== null) return;
      outcome = value;
      if (timer) clearTimeout(timer);
      resolve(value);
    };
    const upstream = http.request({
      socketPath: target.socketPath, agent: target.agent, method: req.method, path: req.url, headers: requestHeaders(req, job),
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer));
      answer.pipe(res);
      answer.on('end', () => settle('ok'));
      answer.on('aborted', () => { settle('crashed'); res.destroy(); });
      answer.on('error', () => { settle('crashed'); res.destroy(); });
    });
    upstream.on('error', (err) => {
      if (outcome !== null) return;
      options.log.error({ code: 'SA_ERR_SCRIPT_CRASHED', reqId: job.reqId, err: err.message }, 'worker connection failed');
      settle('crashed');
      sendError(res, 'SA_ERR_SCRIPT_CRASHED', job.reqId);
    });
    res.on('close', () => {
      if (outcome === null && !res.writableFinished) {
        settle('client-aborted');
        upstream.destroy();
      }
    });
    if (options.timeoutMs > 0) {
      timer = setTimeout(() => {
        if (outcome !== null) return;
        options.log.error({ code: 'SA_ERR_SCRIPT_TIMEOUT', reqId: job.reqId, script: job.script }, 'request timed out');
        settle('timeout');
        upstream.destroy();
        sendError(res, 'SA_ERR_SCRIPT_TIMEOUT', job.reqId);
      }, options.timeoutMs);
      timer.unref();
    }
    req.pipe(upstream);
  });
}

// Gives a script the request it expects (DESIGN §4): req.url = PATH_INFO (URL form) + ?query,
// req.baseUrl = SCRIPT_NAME, req.originalUrl = the request's own URL, req.scriptAlias = the WSGI-like
// facts; hides Authorization unless the alias passes it, and Proxy-Authorization always (mod_wsgi).
import type { IncomingMessage } from 'node:http';
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
}

export type ShapedRequest = IncomingMessage & { baseUrl: string; originalUrl: string; scriptAlias: ScriptAliasFacts };

function dropHeader(req: IncomingMessage, name: string): void {
  if (req.headers[name] === undefined) return;
  delete req.headers[name];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === name) raw.splice(i, 2);
  }
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
  };
  dropHeader(req, JOB_HEADER);
  if (!job.passAuthorization) dropHeader(req, 'authorization');
  dropHeader(req, 'proxy-authorization');
  return shaped;
}

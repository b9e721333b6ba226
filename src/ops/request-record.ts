// What the access log needs to know about one request, filled in by whoever learns it (runtime:
// vhost, alias, groups, request id, client; executors: the worker pid; the redbird adapter: the
// route's target). Only requests the access log opened a record for carry one, so with the log off
// noting a fact is one WeakMap miss.
import type { ServerResponse } from 'node:http';

export interface RequestRecord {
  reqId?: string;
  vhost?: string;
  /** The alias URL-path that took the request (SCRIPT_NAME for scripts). */
  alias?: string;
  processGroup?: string;
  applicationGroup?: string;
  /** The process that ran the script: a pool worker, or the proxy for inline/isolate. */
  workerPid?: number;
  /** Client address after the trusted-proxy rules. */
  client?: string;
  /** For requests redbird proxied: the route's target URL. */
  target?: string;
}

const records = new WeakMap<ServerResponse, RequestRecord>();

export function openRecord(res: ServerResponse): RequestRecord {
  const record: RequestRecord = {};
  records.set(res, record);
  return record;
}

/** The record of a request, when the access log is on. */
export function recordOf(res: ServerResponse): RequestRecord | undefined {
  return records.get(res);
}

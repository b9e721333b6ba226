// The one place an error becomes an HTTP answer: status from the catalogue, a short text body with
// the code and request id. Never a stack, a script path or a script's message (those go to the log).
import type { ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode, type CatalogueEntry } from './errors.js';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 413: 'Content Too Large', 414: 'URI Too Long',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusFor(code: ErrorCode): number {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  return entry.statusCode ?? 500;
}

/**
 * Answer res with the error for `code`. When headers already went out, the response cannot change
 * its status any more: the connection is destroyed so the client sees a broken response, not a
 * truncated one that looks whole.
 */
export function sendError(res: ServerResponse, code: ErrorCode, reqId: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const status = statusFor(code);
  const body = `${status} ${REASONS[status] ?? 'Error'}\ncode: ${code}\nrequest: ${reqId}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

// What routing decides for a request. Pure data: no sockets, no executors.
import type { ErrorCode } from '../errors.js';
import type { Runtime } from '../config/types.js';

/**
 * A request path after Apache's normalisation (safe-path.ts): %-decoded and dot-resolved, as a
 * "binary string" (one char per byte, latin-1), so byte-exact matching works for any encoding.
 */
export type BytePath = string;

/** The request facts routing needs (from the original URL and the Host header). */
export interface RouteRequest {
  readonly method: string;
  /** The request-target as sent: path plus optional ?query (never a redbird-rewritten URL). */
  readonly rawUrl: string;
  /** Host header value, or undefined. */
  readonly host: string | undefined;
}

/** A script to run, with its WSGI/CGI facts. Group names are resolved ('' = %{GLOBAL}). */
export interface ScriptTarget {
  readonly kind: 'script';
  readonly scriptFilename: string;        // absolute
  readonly scriptName: BytePath;          // SCRIPT_NAME, decoded bytes as latin-1, slashes collapsed
  readonly pathInfo: BytePath;            // PATH_INFO, likewise
  /** PATH_INFO as it appeared in the raw URL (still %-encoded), for req.url. */
  readonly rawPathInfo: string;
  readonly queryString: string;           // raw text after the first '?'
  readonly processGroup: string;
  readonly applicationGroup: string;
  readonly callableObject: string;
  readonly passAuthorization: boolean;
  readonly runtime: Runtime;
  /** Pointer of the config entry that matched (logs, per-alias request limits). */
  readonly pointer: string;
  /** Pointer of the routing context (virtual host or server level) that took the request. */
  readonly context: string;
}

export interface StaticTarget {
  readonly kind: 'static';
  readonly file: string;                  // absolute, confined to its root, never a script
}

export interface RedirectTarget {
  readonly kind: 'redirect';
  readonly status: 301;
  readonly location: string;              // absolute URL, query kept
}

export interface ErrorTarget {
  readonly kind: 'error';
  readonly code: ErrorCode;               // its catalogue statusCode is the answer
  readonly reason: string;                // for the log only
}

/** Nothing of ours matched: redbird's own routes decide. */
export interface Miss {
  readonly kind: 'miss';
}

export type RouteDecision = ScriptTarget | StaticTarget | RedirectTarget | ErrorTarget | Miss;

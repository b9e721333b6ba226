// The one security gate for request paths, in Apache's order (spec §1.2): decode the %-escapes of
// unreserved characters, resolve "." and ".." segments (climbing above "/" → 400), merge slash runs,
// then decode the rest: an encoded slash or NUL → 404, a bad escape → 400. The result is a BytePath
// (one char per byte) that every matcher and filesystem join works on; nothing here touches disk.
import type { BytePath } from './types.js';
import type { ErrorCode } from '../errors.js';

export type NormalizedPath =
  | { readonly kind: 'ok'; readonly path: BytePath; readonly query: string }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly reason: string }
  | { readonly kind: 'not-a-path' };

/** Paths longer than this are refused (404) before any work (Apache's LimitRequestLine is 8190). */
export const MAX_PATH_BYTES = 8190;

const HEX = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function normalizeRequestPath(rawUrl: string): NormalizedPath {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (!rawPath.startsWith('/')) return { kind: 'not-a-path' };
  if (rawPath.length > MAX_PATH_BYTES) return { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND', reason: 'path too long' };
  // Fast path: nothing to decode and no dot or doubled-slash segments.
  if (!/[%]|\/\.|\/\//.test(rawPath)) return { kind: 'ok', path: toBytes(rawPath), query };

  // 1. decode only unreserved escapes (so "%2e%2e" becomes ".." and is folded below)
  let partly = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    if (ch !== '%') { partly += ch; continue; }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { kind: 'error', code: 'SA_ERR_ROUTE_BAD_PATH', reason: 'bad %-escape' };
    const decoded = String.fromCharCode(parseInt(hex, 16));
    partly += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  // 2. dot segments and slash runs
  const segments = partly.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '' || seg === '.') { if (last) trailingSlash = true; continue; }
    if (seg === '..') {
      if (out.length === 0) return { kind: 'error', code: 'SA_ERR_ROUTE_BAD_PATH', reason: '.. above the root' };
      out.pop();
      if (last) trailingSlash = true;
      continue;
    }
    out.push(seg);
  }
  const normalized = '/' + out.join('/') + (trailingSlash && out.length > 0 ? '/' : '');
  // 3. decode the rest to bytes
  let bytes = '';
  for (let i = 0; i < normalized.length; i++) {
    const ch = normalized[i]!;
    if (ch !== '%') { bytes += ch; continue; }
    const code = parseInt(normalized.slice(i + 1, i + 3), 16);
    if (code === 0x2f) return { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND', reason: 'encoded slash' };
    // 404, not 400: Apache's answer in the recording (encoded-slash-and-dots, request "nul").
    if (code === 0) return { kind: 'error', code: 'SA_ERR_ROUTE_NOT_FOUND', reason: 'encoded NUL' };
    bytes += String.fromCharCode(code);
    i += 2;
  }
  return { kind: 'ok', path: toBytes(bytes), query };
}

/** A JS string that may hold non-latin-1 chars (raw UTF-8 in a request line is already bytes in Node's latin-1 view). */
function toBytes(text: string): BytePath {
  return text;
}

/** The UTF-8 bytes of a config string (alias URL-paths are written in Unicode). */
export function utf8Bytes(text: string): BytePath {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const URL_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
/** A BytePath back in URL form (what a JS script sees in req.url): unsafe bytes %-encoded. */
export function encodePath(path: BytePath): string {
  if (/^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/.test(path)) return path;
  let out = '';
  for (const ch of path) {
    out += URL_SAFE.test(ch) ? ch : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

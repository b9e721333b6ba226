// Sends one static file with `send` (ETag, Last-Modified, 304, Range/206, HEAD, Content-Type).
// The file was already resolved, confined to its root and checked not to be a script by match.ts;
// this module only streams it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';
import type { ErrorCode } from '../errors.js';

export function serveStatic(req: IncomingMessage, res: ServerResponse, file: string, onError: (code: ErrorCode) => void): void {
  // dotfiles 'allow': the real path may run through dot-folders of the host (e.g. ~/.local);
  // dotfiles in the URL were refused by match.ts already.
  const stream = send(req, file, { dotfiles: 'allow', index: false, etag: true, lastModified: true, acceptRanges: true });
  stream.on('error', (err: { status?: number }) => {
    onError(err.status === 404 ? 'SA_ERR_ROUTE_NOT_FOUND' : err.status === 400 ? 'SA_ERR_ROUTE_BAD_PATH' : 'SA_ERR_ROUTE_NOT_FOUND');
  });
  stream.on('directory', () => onError('SA_ERR_ROUTE_NOT_FOUND'));
  stream.pipe(res);
}

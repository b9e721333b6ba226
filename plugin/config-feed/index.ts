// Picks the feed for what serve/check were given: a path (file feed) or etcd://… (etcd feed).
import type { Logger } from '../../src/log.js';
import type { ConfigFeed } from './feed.js';
import { FileConfigFeed } from './file.js';
import { parseEtcdUrl } from './etcd-url.js';

export type { ConfigFeed, FeedWatch } from './feed.js';
export { FileConfigFeed } from './file.js';

export interface FeedOptions {
  readonly log: Logger;
  /** Folder relative paths in a non-file config resolve against (default: cwd). */
  readonly baseDir?: string;
  /** A file to serve while the source cannot be reached at start. */
  readonly fallbackFile?: string;
}

/** The feed for `--config-from URL`, or a one-line reason the URL is not usable. */
export async function openConfigFeed(url: string, options: FeedOptions): Promise<ConfigFeed | string> {
  if (url.startsWith('etcd://')) {
    const target = parseEtcdUrl(url);
    if (typeof target === 'string') return target;
    // Loaded only for etcd: gRPC costs a file-fed serve (and every other command) ~0.3 s at start.
    const { EtcdConfigFeed } = await import('./etcd.js');
    return new EtcdConfigFeed(url, target, {
      log: options.log,
      baseDir: options.baseDir ?? process.cwd(),
      ...(options.fallbackFile === undefined ? {} : { fallbackFile: options.fallbackFile }),
    });
  }
  if (url.startsWith('file://')) return new FileConfigFeed(new URL(url).pathname);
  return `--config-from takes etcd://host:port[,host:port]/key or file:///path, not '${url}'`;
}

// A config file on disk: today's chokidar watch (editors that save by rename), plus a watch of its
// folder for symlink swaps, as kubelet updates a mounted ConfigMap: `proxy.json -> ..data/proxy.json`,
// `..data -> ..2026_11_27_…`, and an update renames a new `..data` link over the old one. The file's
// own inode never changes then, so a watch on the file alone can miss it; the folder sees the rename.
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { watchConfigFile } from '../watch.js';
import type { ConfigFeed, FeedWatch } from './feed.js';

export class FileConfigFeed implements ConfigFeed {
  readonly describe: string;
  readonly stateKey: string;
  readonly #file: string;
  readonly #debounceMs: number;

  constructor(file: string, debounceMs = 150) {
    this.#file = file;
    this.describe = path.resolve(file);
    this.stateKey = this.describe;
    this.#debounceMs = debounceMs;
  }

  async read(): Promise<string> {
    return this.#file;
  }

  async watch(onChange: () => void): Promise<FeedWatch> {
    // One timer for both watches: a ConfigMap swap is seen by the folder watch and often by chokidar
    // too (the old file goes away, a new one appears), and must become one reload, not two.
    let last = await target(this.describe);
    let contentChanged = false;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const settle = async (): Promise<void> => {
      const now = await target(this.describe);
      const swapped = now !== null && now !== last;
      if (now !== null) last = now;
      if (closed || !(swapped || contentChanged)) return;
      contentChanged = false;
      onChange();
    };
    const schedule = (content: boolean): void => {
      if (content) contentChanged = true;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void settle(), this.#debounceMs);
      timer.unref();
    };
    const content = await watchConfigFile(this.#file, () => schedule(true), 0);
    const folder = watchFolder(path.dirname(this.describe), () => schedule(false));
    return {
      async close() {
        closed = true;
        if (timer) clearTimeout(timer);
        folder?.close();
        await content.close();
      },
    };
  }
}

/** Where the path leads now, or null while it leads nowhere (mid-swap, or deleted). */
async function target(file: string): Promise<string | null> {
  try {
    return await realpath(file);
  } catch {
    return null;
  }
}

/**
 * Any change of a name in the folder (a ..data link renamed over, say); the caller checks whether the
 * file now leads elsewhere. Null when the folder cannot be watched: chokidar still sees content edits.
 */
function watchFolder(dir: string, onEvent: () => void): FSWatcher | null {
  try {
    const watcher = fsWatch(dir, { persistent: false }, onEvent);
    // The folder going away (an unmounted volume) ends this watch.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return null;
  }
}

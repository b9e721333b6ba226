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
    const content = await watchConfigFile(this.#file, onChange, this.#debounceMs);
    const swaps = await watchSymlinkSwaps(this.describe, onChange, this.#debounceMs);
    return {
      async close() {
        swaps.close();
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
 * Calls onChange when the file's resolved path changes (any link on the way swapped). Events on other
 * names in the folder are checked the same way and ignored when the file still leads to the same place.
 */
async function watchSymlinkSwaps(file: string, onChange: () => void, debounceMs: number): Promise<{ close(): void }> {
  let last = await target(file);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const check = async (): Promise<void> => {
    const now = await target(file);
    if (closed || now === null || now === last) return;
    last = now;
    onChange();
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = fsWatch(path.dirname(file), { persistent: false }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void check(), debounceMs);
      timer.unref();
    });
    // The folder going away (an unmounted volume) ends this watch; chokidar still watches the file.
    watcher.on('error', () => watcher?.close());
  } catch {
    // An unwatchable folder: content changes are still seen by chokidar.
  }
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}

// Debounced config-file watching: one reload request per burst of writes. chokidar follows the file
// across editors that save by writing a temp file and renaming it over the original.
import { watch } from 'chokidar';

export interface ConfigWatcher {
  close(): Promise<void>;
}

/** Resolves once the watcher is ready: a write after that is never missed. */
export async function watchConfigFile(file: string, onChange: () => void, debounceMs = 150): Promise<ConfigWatcher> {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(file, {
    ignoreInitial: true,
    atomic: true,
    // A half-written file is not a config: wait until its size stops changing.
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
  });
  const fire = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  watcher.on('add', fire).on('change', fire);
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

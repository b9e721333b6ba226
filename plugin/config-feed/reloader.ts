// Reloads from a feed one at a time, latest wins: a burst of changes while a reload runs becomes one
// more reload, so an older value can never be applied after a newer one.
import type { ConfigSource, ScriptAliasHandle } from '../index.js';
import type { ReloadReport } from '../../src/runtime/runtime.js';
import { serializeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { ConfigFeed } from './feed.js';

export function feedReloader(feed: ConfigFeed, plugin: () => ScriptAliasHandle, log: Logger): () => Promise<ReloadReport> {
  let running: Promise<ReloadReport> | null = null;
  let queued: Promise<ReloadReport> | null = null;
  const once = async (): Promise<ReloadReport> => {
    let source: ConfigSource;
    try {
      source = await feed.read();
    } catch (err) {
      log.error({ err, code: 'SA_ERR_RELOAD_FAILED', source: feed.describe }, 'cannot read the config source; the previous config keeps serving');
      return { applied: false, generation: plugin().status().generation, needsRestart: [], error: serializeError(err) };
    }
    return plugin().reload(source);
  };
  const reload = (): Promise<ReloadReport> => {
    if (!running) {
      running = once().finally(() => { running = null; });
      return running;
    }
    queued ??= running.then(() => {
      queued = null;
      return reload();
    });
    return queued;
  };
  return reload;
}

// Loads JS scripts into the current realm and finds their callable. One cache per realm (the proxy's
// main thread, a worker thread, a worker process), so module state is shared inside an application
// group and never across groups. CommonJS is loaded with require (module.parent set, require.main
// !== module: an app that listens only when run directly does not listen); ESM with import().
// A failed load is not cached: the next request tries again (mod_wsgi). With reloading on, a script
// whose mtime or size changed is loaded again into a fresh module on its next request.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScriptAliasError } from '../errors.js';
import { DEFAULT_CALLABLE } from '../constants.js';

export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface ScriptCache {
  /** The listener: synchronously when it is loaded and unchanged (the hot path), else a promise. */
  get(script: string, callable: string, reloading: boolean): Listener | Promise<Listener>;
  /** Loads the module without calling it (the preload rule). Rejects like get(). */
  preload(script: string, callable: string): Promise<void>;
}

interface Loaded {
  readonly module: unknown;
  readonly mtimeMs: number;
  readonly size: number;
  readonly listeners: Map<string, Listener | null>;
  /** When the file was last stat'ed: at most every STAT_INTERVAL_MS, not on every request. */
  checkedAt: number;
}

/** A changed script is seen within this long (mod_wsgi stats on every request; a stat costs ~8 % of
 *  an inline hello-world request, measured with --cpu-prof). */
export const STAT_INTERVAL_MS = 100;

function fingerprint(script: string): { mtimeMs: number; size: number } | null {
  const stat = statSync(script, { throwIfNoEntry: false });
  return stat ? { mtimeMs: stat.mtimeMs, size: stat.size } : null;
}

/** The callable named `callable`, or (for the default name) a default export / the module itself. */
export function findCallable(mod: unknown, callable: string): Listener | null {
  const record = mod as Record<string, unknown> | null | undefined;
  const named = record?.[callable];
  if (typeof named === 'function') return named as Listener;
  const fallback = record && typeof record === 'object' ? (record.default as Record<string, unknown> | undefined) : undefined;
  if (typeof fallback?.[callable] === 'function') return fallback[callable] as Listener;
  if (callable !== DEFAULT_CALLABLE) return null;
  if (typeof mod === 'function') return mod as Listener;
  if (typeof fallback === 'function') return fallback as unknown as Listener;
  return null;
}

export function createScriptCache(): ScriptCache {
  const loaded = new Map<string, Loaded>();
  const loading = new Map<string, Promise<Loaded>>();
  let generation = 0;

  async function importModule(script: string, fresh: boolean): Promise<unknown> {
    const ext = path.extname(script).toLowerCase();
    if (ext !== '.mjs') {
      const requireFrom = createRequire(script);
      if (fresh) delete requireFrom.cache[script];
      try {
        return requireFrom(script);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM' || ext === '.cjs') throw err;
      }
    }
    // ESM: a query string makes a fresh module instance after a change (the old one stays in memory).
    const url = pathToFileURL(script);
    if (fresh || generation > 0) url.search = `?v=${++generation}`;
    return import(url.href);
  }

  function load(script: string, fresh: boolean): Promise<Loaded> {
    let pending = loading.get(script);
    if (pending) return pending;
    pending = (async () => {
      const stamp = fingerprint(script);
      if (!stamp) throw new ScriptAliasError('SA_ERR_ROUTE_NOT_FOUND', `script not found: ${script}`);
      let module: unknown;
      try {
        module = await importModule(script, fresh);
      } catch (err) {
        // The why is the cause: loggers (pino) append its message, so the message must not hold it too.
        throw new ScriptAliasError('SA_ERR_SCRIPT_LOAD_FAILED', `cannot load ${script}`, { cause: err, details: { script } });
      }
      const entry: Loaded = { module, ...stamp, listeners: new Map(), checkedAt: Date.now() };
      loaded.set(script, entry);
      return entry;
    })();
    loading.set(script, pending);
    pending.then(() => loading.delete(script), () => loading.delete(script));
    return pending;
  }

  function listenerOf(entry: Loaded, script: string, callable: string): Listener {
    let listener = entry.listeners.get(callable);
    if (listener === undefined) {
      listener = findCallable(entry.module, callable);
      entry.listeners.set(callable, listener);
    }
    if (listener === null) throw new ScriptAliasError('SA_ERR_SCRIPT_NO_CALLABLE', `${script} has no callable "${callable}"`, { details: { script, callable } });
    return listener;
  }

  return {
    get(script, callable, reloading) {
      const entry = loaded.get(script);
      if (entry) {
        if (!reloading) return listenerOf(entry, script, callable);
        const now = Date.now();
        if (now - entry.checkedAt < STAT_INTERVAL_MS) return listenerOf(entry, script, callable);
        entry.checkedAt = now;
        const stamp = fingerprint(script);
        if (stamp === null) return Promise.reject(new ScriptAliasError('SA_ERR_ROUTE_NOT_FOUND', `script deleted: ${script}`));
        if (stamp.mtimeMs === entry.mtimeMs && stamp.size === entry.size) return listenerOf(entry, script, callable);
        loaded.delete(script);
        return load(script, true).then((fresh) => listenerOf(fresh, script, callable));
      }
      return load(script, false).then((fresh) => listenerOf(fresh, script, callable));
    },
    async preload(script, callable) {
      const entry = loaded.get(script) ?? await load(script, false);
      listenerOf(entry, script, callable);
    },
  };
}

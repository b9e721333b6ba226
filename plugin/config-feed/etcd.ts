// A config kept as one etcd key (JSON text), read with the etcd3 client: get value + revision at
// start, then watch from revision + 1, so no change between the two is missed. When etcd goes away
// the current config keeps serving (one SA_WRN_SOURCE_LOST), and the client's watch resumes
// from the last revision it saw, so changes made meanwhile arrive on reconnect.
import path from 'node:path';
import { Etcd3, type Watcher, type IKeyValue } from 'etcd3';
import { ExponentialBackoff, noop } from 'cockatiel';
import { ConfigText, type ConfigSource } from '../index.js';
import { ScriptAliasError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { ConfigFeed, FeedWatch } from './feed.js';
import type { EtcdTarget } from './etcd-url.js';

export interface EtcdFeedOptions {
  readonly log: Logger;
  /** Relative paths in the value resolve against this folder (serve's --config-base; default cwd). */
  readonly baseDir: string;
  /** Served while etcd cannot be reached at start; etcd's value replaces it once reached. */
  readonly fallbackFile?: string;
  /** How long one get may take before etcd counts as unreachable (default 5 s: a loaded host can take 2 s just to dial). */
  readonly requestTimeoutMs?: number;
}

/** Retries while etcd is out of reach (fallback mode), capped so a returning etcd is found soon. */
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 2_000;

export class EtcdConfigFeed implements ConfigFeed {
  readonly describe: string;
  readonly stateKey: string;
  readonly #key: string;
  readonly #origin: string;
  readonly #client: Etcd3;
  readonly #log: Logger;
  readonly #fallbackFile: string | undefined;
  /** The value last seen (get or watch) and its mod_revision. */
  #latest: { text: string; revision: number } | null = null;
  /** The store's revision at the last get: the watch starts after it. */
  #seenRevision = 0;
  #lost = false;
  #closed = false;
  #watcher: Watcher | null = null;
  #retry: NodeJS.Timeout | undefined;
  readonly #timeoutMs: number;

  constructor(url: string, target: EtcdTarget, options: EtcdFeedOptions) {
    this.describe = url;
    this.stateKey = url;
    this.#key = target.key;
    // ConfigText anchors relative paths at dirname(origin); the name says where the text came from.
    this.#origin = path.join(path.resolve(options.baseDir), `etcd:${encodeURIComponent(target.key)}`);
    this.#log = options.log;
    this.#fallbackFile = options.fallbackFile;
    const timeoutMs = options.requestTimeoutMs ?? 5_000;
    this.#timeoutMs = timeoutMs;
    this.#client = new Etcd3({
      hosts: [...target.hosts],
      dialTimeout: timeoutMs,
      // One attempt per call with a deadline: unreachable at start must fail within seconds, and no
      // circuit breaker may keep a returned etcd shut out for another 5 s.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      faultHandling: {
        host: () => noop,
        global: noop,
        // Capped: a watch reconnects within 2 s of etcd's return, not cockatiel's default 30 s.
        watchBackoff: new ExponentialBackoff({ initialDelay: RETRY_MIN_MS, maxDelay: RETRY_MAX_MS }).next(),
      },
    });
  }

  async read(): Promise<ConfigSource> {
    try {
      await this.#fetch();
    } catch (err) {
      // Reload while etcd is away: the value last seen (the watch catches up when it returns).
      if (this.#latest) return this.#text();
      if (this.#fallbackFile !== undefined) return this.#fallbackFile;
      throw err;
    }
    return this.#text();
  }

  async watch(onChange: () => void): Promise<FeedWatch> {
    if (this.#latest) {
      await this.#startWatch(onChange);
    } else {
      // Serving the fallback file: keep trying etcd; its value applies once reached.
      this.#log.warn({ code: 'SA_WRN_SOURCE_LOST', source: this.describe, fallback: this.#fallbackFile }, 'config source unreachable; serving the fallback file and retrying');
      this.#lost = true;
      this.#retryUntilReached(onChange, RETRY_MIN_MS);
    }
    return { close: () => this.close() };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    const watcher = this.#watcher;
    this.#watcher = null;
    await watcher?.cancel().catch(() => undefined);
    this.#client.close();
  }

  #text(): ConfigText {
    return new ConfigText(this.#latest!.text, this.#origin);
  }

  /** get: the value and the store's revision; a missing or empty key is an error like an unreachable etcd. */
  async #fetch(): Promise<void> {
    let response;
    try {
      response = await this.#client.get(this.#key).exec();
    } catch (err) {
      throw new ScriptAliasError('SA_ERR_SOURCE_UNAVAILABLE', `cannot read ${this.describe}: ${reason(err)}`, { cause: err, details: { source: this.describe } });
    }
    const kv = response.kvs[0];
    if (!kv || kv.value.length === 0) {
      throw new ScriptAliasError('SA_ERR_SOURCE_UNAVAILABLE', `${this.describe}: the key ${JSON.stringify(this.#key)} is missing or empty`, { details: { source: this.describe } });
    }
    this.#seenRevision = Math.max(this.#seenRevision, Number(response.header.revision));
    this.#take(kv);
  }

  /** Keeps the newest value; an older one (a watch event behind a get) is dropped. */
  #take(kv: IKeyValue): boolean {
    const revision = Number(kv.mod_revision);
    if (this.#latest && revision <= this.#latest.revision) return false;
    this.#latest = { text: kv.value.toString('utf8'), revision };
    return true;
  }

  #retryUntilReached(onChange: () => void, delayMs: number): void {
    this.#retry = setTimeout(() => {
      void this.#fetch().then(async () => {
        if (this.#closed) return;
        this.#log.info({ source: this.describe, revision: this.#latest!.revision }, 'config source reached; applying its value');
        this.#lost = false;
        onChange();
        await this.#startWatch(onChange);
      }, () => {
        if (!this.#closed) this.#retryUntilReached(onChange, Math.min(delayMs * 2, RETRY_MAX_MS));
      }).catch((err: unknown) => {
        // The watch could not be created (etcd left again): start over.
        this.#log.warn({ err, source: this.describe }, 'watching the config source failed; retrying');
        if (!this.#closed) this.#retryUntilReached(onChange, RETRY_MAX_MS);
      });
    }, delayMs);
    this.#retry.unref();
  }

  /**
   * Resolves once etcd confirmed the watch, or after the request timeout when etcd went away right
   * after the get: the watcher keeps reconnecting on its own, and its loss is logged like any other.
   */
  async #startWatch(onChange: () => void): Promise<void> {
    if (this.#closed) return;
    // watcher() rather than create(): the handlers are on before the first event, and start never
    // waits for an etcd that has just left.
    const watcher = this.#client.watch().key(this.#key).startRevision(String(this.#seenRevision + 1)).watcher();
    this.#watcher = watcher;
    const confirmed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#timeoutMs).unref();
      const done = (): void => { clearTimeout(timer); resolve(); };
      watcher.once('connected', done).once('error', done);
    });
    watcher.on('put', (kv) => {
      if (this.#take(kv)) onChange();
    });
    watcher.on('delete', () => {
      this.#log.warn({ code: 'SA_WRN_SOURCE_LOST', source: this.describe }, 'config key deleted; the current config keeps serving');
    });
    let resumeFrom: string | number | null = null;
    watcher.on('disconnected', (err: Error) => {
      if (this.#lost || this.#closed) return;
      this.#lost = true;
      resumeFrom = watcher.lastRevision();
      this.#log.warn({ code: 'SA_WRN_SOURCE_LOST', source: this.describe, revision: this.#latest?.revision, reason: reason(err) }, 'config source lost; the current config keeps serving, the watch resumes when it returns');
    });
    watcher.on('connected', () => {
      if (!this.#lost) return;
      this.#lost = false;
      this.#log.info({ source: this.describe, fromRevision: resumeFrom }, 'config source back; watch resumed from the last revision seen');
    });
    watcher.on('error', (err: Error) => {
      // etcd cancelled the watch (its start revision was compacted away): read the value anew and watch again.
      this.#log.warn({ code: 'SA_WRN_SOURCE_LOST', source: this.describe, reason: err.message }, 'config watch cancelled by etcd; reading the key again');
      if (this.#watcher === watcher) this.#watcher = null;
      void watcher.cancel().catch(() => undefined);
      if (!this.#closed) this.#retryUntilReached(onChange, RETRY_MIN_MS);
    });
    await confirmed;
  }
}

/** gRPC's message in one short clause: the socket error when there is one (connect ECONNREFUSED host:port). */
function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const socket = /connect (E[A-Z]+ \S+)/.exec(message);
  return socket ? `unreachable (${socket[1]!.replace(/\.$/, '')})` : message.split('\n')[0]!;
}

// What `serve` reads its config from: a file on disk or a key in etcd. A feed only hands over the
// config (a path or text); validation stays in the one pipeline behind loadConfig.
import type { ConfigSource } from '../index.js';

export interface FeedWatch {
  close(): Promise<void>;
}

export interface ConfigFeed {
  /** For logs and messages: the file's absolute path, or etcd://hosts/key. */
  readonly describe: string;
  /** What the state file is keyed by, so `status`/`reload` find the running proxy. */
  readonly stateKey: string;
  /** The config as it is now (at start, and on every reload). Throws SA_ERR_SOURCE_UNAVAILABLE when it cannot. */
  read(): Promise<ConfigSource>;
  /** Resolves once watching: a change after that calls onChange (then read() returns it). */
  watch(onChange: () => void): Promise<FeedWatch>;
  /** Frees connections (etcd); a file feed has none. */
  close?(): Promise<void>;
}

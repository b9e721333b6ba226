// The access log: one line per request, written when its response ends (finished or aborted).
// JSON (the fields and layout of a pino line at info) or Apache's Combined Log Format, to stdout
// (beside the proxy's own log) or a file that reopen() (SIGUSR1, logrotate's postrotate) opens afresh.
// Fed by the request record (src/ops/request-record.ts); it never calls back.
//
// Cost is the point of this module's shape (bench/README.md "Access log cost"): on the proxy's main
// thread a finished request is only copied into a shared ring (numbers and the strings' code units);
// a writer thread of its own (src/ops/access-log-thread.ts) builds the lines and writes them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import type { ResolvedAccessLog } from '../config/types.js';
import type { RequestLine, RequestRecord } from './request-record.js';
import {
  emptyEntry, S_ALIAS, S_APP_GROUP, S_CLIENT, S_GROUP, S_HTTP_VERSION, S_METHOD, S_REFERER, S_REQ_ID, S_TARGET, S_URL,
  S_USER_AGENT, S_VHOST, type AccessEntry,
} from './access-format.js';
import { createRing, KIND_CLOSE, KIND_REOPEN, RingWriter } from './access-ring.js';
import type { WriterThreadData, WriterThreadMessage } from './access-log-thread.js';

/** Room for ~2 000 requests (~130 bytes each). Small on purpose: the writer thread is woken when it is
 *  a quarter full (every few ms under load), and a ring that stays in the core's cache costs the main
 *  thread far less to write than a larger one (bench/README.md "Access log cost"). */
const RING_BYTES = 256 * 1024;
const threadEntry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'access-log-thread.js');

export class AccessLog implements RequestLine {
  readonly #config: ResolvedAccessLog;
  readonly #ring: RingWriter;
  readonly #thread: Worker;
  readonly #closed: Promise<void>;
  readonly #combined: boolean;
  /** Filled per request and copied into the ring: no object per request. */
  readonly #entry: AccessEntry = emptyEntry();
  #closing = false;
  readonly #log: Logger;
  /** The ring's drop count when lines began to be dropped; -1 while none are. */
  #droppedSince = -1;

  private constructor(config: ResolvedAccessLog, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#combined = config.format === 'combined';
    const ring = createRing(RING_BYTES);
    this.#ring = new RingWriter(ring);
    const workerData: WriterThreadData = {
      ring, path: config.path, format: config.format, toFile: config.path !== null, clockOrigin: performance.timeOrigin,
      pid: process.pid, hostname: os.hostname(), name: (log.bindings().name as string | undefined) ?? 'scriptalias',
    };
    this.#thread = new Worker(threadEntry, { workerData });
    // Never what keeps the process up: close() writes out what is gathered first.
    this.#thread.unref();
    this.#thread.on('message', (message: WriterThreadMessage) => {
      log.error({ code: 'SA_ERR_OPS_ACCESS_LOG_WRITE', errno: message.code, file: config.path ?? 'stdout' }, `access log: ${message.message}`);
    });
    this.#thread.on('error', (err) => log.error({ code: 'SA_ERR_OPS_ACCESS_LOG_WRITE', err }, 'access log writer thread failed'));
    this.#closed = new Promise((resolve) => this.#thread.once('exit', () => {
      // Nobody reads the ring any more: stop writing to it (a full ring would make every request wait).
      this.#closing = true;
      resolve();
    }));
  }

  /** null when the config turns the access log off, or when its JSON lines would go to the proxy's
   *  log (stdout) while that is quieter than info. */
  static create(config: ResolvedAccessLog | null, log: Logger): AccessLog | null {
    if (config === null) return null;
    if (config.path === null && config.format === 'json' && !log.isLevelEnabled('info')) return null;
    return new AccessLog(config, log);
  }

  /** True when `other` would write the same log the same way (a reload keeps this one). */
  sameAs(other: ResolvedAccessLog | null): boolean {
    return other !== null && other.format === this.#config.format && other.path === this.#config.path;
  }

  /** The line of a request whose response has ended. */
  write(record: RequestRecord, req: IncomingMessage, res: ServerResponse, ms: number): void {
    if (this.#closing) return;
    const entry = this.#entry;
    const status = res.statusCode;
    entry.time = record.start + ms;
    entry.ms = ms;
    entry.status = status;
    // Apache's %b: none for HEAD, 204 and 304.
    entry.bytes = req.method === 'HEAD' || status === 204 || status === 304 ? 0 : record.bytes;
    entry.aborted = !res.writableFinished;
    entry.workerPid = record.workerPid ?? 0;
    const s = entry.strings;
    s[S_METHOD] = req.method;
    s[S_URL] = record.url;
    s[S_VHOST] = record.vhost;
    s[S_ALIAS] = record.alias;
    s[S_GROUP] = record.processGroup;
    s[S_APP_GROUP] = record.applicationGroup;
    s[S_TARGET] = record.target;
    s[S_REQ_ID] = record.reqId;
    s[S_CLIENT] = record.client ?? req.socket?.remoteAddress;
    if (this.#combined) {
      s[S_HTTP_VERSION] = req.httpVersion;
      s[S_REFERER] = header(req, 'referer');
      s[S_USER_AGENT] = header(req, 'user-agent');
    }
    if (this.#ring.put(entry)) {
      if (this.#droppedSince >= 0) {
        this.#log.warn({ code: 'SA_ERR_OPS_ACCESS_LOG_WRITE', dropped: this.#ring.dropped - this.#droppedSince }, 'access log: the writer caught up; lines were dropped');
        this.#droppedSince = -1;
      }
    } else if (this.#droppedSince < 0) {
      this.#droppedSince = this.#ring.dropped - 1;
      this.#log.error({ code: 'SA_ERR_OPS_ACCESS_LOG_WRITE', file: this.#config.path ?? 'stdout' }, 'access log: the writer is not keeping up (disk or stdout blocked); lines are dropped until it does');
    }
  }

  /** Opens the file again by its name (after logrotate moved it); the lines so far go to the old one. */
  reopen(): void {
    if (this.#config.path === null || this.#closing) return;
    this.#ring.control(KIND_REOPEN);
  }

  /** Writes out every line so far and closes the file. Lines of requests still running are dropped. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#ring.control(KIND_CLOSE);
    }
    await this.#closed;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

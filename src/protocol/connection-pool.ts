// Streams from the proxy to one realm, for the HTTP bridge: each exchange borrows a byte stream, sends
// one request on it and gives it back when the answer was read whole. The streams are multiplexed over
// one connection (mux.ts), for every realm: a loop turn's requests share one write and their answers
// one read. Idle streams are reused LIFO (the warmest first). No timeouts or retries here: the bridge
// decides what a broken stream means for its request.
import net from 'node:net';
import { MuxSession, type MuxBatching, type MuxStream } from './mux.js';
import { largeReadTransport, socketTransport, type MuxTransport } from './mux-transport.js';

/** How a request and its answer head cross the hop (docs/worker-protocol.md): HTTP/1.1 text (JS realms)
 *  or the compact WSGI head of wsgi-head.ts (the CPython worker: an environ it need not build, a head it
 *  need not parse). */
export type HeadForm = 'http1' | 'wsgi';

export interface StreamPool {
  readonly socketPath: string;
  readonly headForm: HeadForm;
  /** An idle stream, or a new one (already connecting: writes are queued until it is up). The caller
   *  keeps an 'error' listener on it for as long as the stream lives, also while it is idle. */
  acquire(): MuxStream;
  /** Give back a stream whose last answer was read whole. */
  release(stream: MuxStream): void;
  /** Close every stream (in-flight ones too). */
  destroy(): void;
}

/** The streams to one realm, over one link (reopened when it closed: the realm's worker restarted). */
export class MuxPool implements StreamPool {
  readonly socketPath: string;
  readonly headForm: HeadForm;
  readonly #idle: MuxStream[] = [];
  #closed = false;
  #session: MuxSession | null = null;
  readonly #batching: MuxBatching;
  readonly #connect: () => MuxTransport;

  /** `connect` opens a new link when there is none (default: a connection to `socketPath`). */
  constructor(socketPath: string, options: { readonly headForm?: HeadForm; readonly connect?: () => MuxTransport } = {}) {
    this.socketPath = socketPath;
    this.headForm = options.headForm ?? 'http1';
    // The CPython worker takes a turn's requests in one read (mux.ts, MuxBatching).
    this.#batching = this.headForm === 'wsgi' ? 'turn' : 'callback';
    // The CPython worker sends its answers in 64 KiB chunks: read them whole (mux-transport.ts).
    this.#connect = options.connect ?? (this.headForm === 'wsgi' ? () => largeReadTransport(socketPath) : () => socketTransport(net.createConnection(socketPath)));
  }

  acquire(): MuxStream {
    for (;;) {
      const stream = this.#idle.pop();
      if (!stream) return this.#open();
      if (!stream.destroyed) return stream;
    }
  }

  release(stream: MuxStream): void {
    if (this.#closed || stream.destroyed) {
      stream.destroy();
      return;
    }
    // An idle stream that breaks is dropped lazily in acquire() (destroyed check). Its 'error' is
    // heard by the borrower's listener, which stays for the stream's life (http-bridge binds once).
    this.#idle.push(stream);
  }

  destroy(): void {
    this.#closed = true;
    this.#idle.length = 0;
    this.#session?.destroy();
  }

  #open(): MuxStream {
    let session = this.#session;
    if (!session || session.closed) {
      // JS realms read HTTP/1.1 heads: those carry the session's token (mux.ts, introduce).
      session = new MuxSession(this.#connect(), undefined, this.#batching, this.headForm === 'http1');
      this.#session = session;
    }
    return session.open();
  }
}

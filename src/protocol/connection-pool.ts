// Connections from the proxy to one realm's Unix socket, for the HTTP bridge: each exchange borrows a
// byte stream, sends one HTTP/1.1 request on it and gives it back when the answer was read whole.
// Two kinds, chosen by what the realm speaks (docs/worker-protocol.md):
// - SocketPool: one Unix-socket connection per stream (the Python worker);
// - MuxPool: streams multiplexed over one connection (JS realms): a loop turn's requests share one
//   write and their answers one read.
// Idle streams are reused LIFO (the warmest first). No timeouts or retries here: the bridge decides
// what a broken stream means for its request.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { MuxSession } from './mux.js';
import { socketTransport, type MuxTransport } from './mux-transport.js';

/** How a request and its answer head cross the hop: HTTP/1.1 text (JS realms) or the compact WSGI
 *  head of wsgi-head.ts (the CPython worker: an environ it need not build, a head it need not parse). */
export type HeadForm = 'http1' | 'wsgi';

export interface StreamPool {
  readonly socketPath: string;
  readonly headForm: HeadForm;
  /** An idle stream, or a new one (already connecting: writes are queued until it is up). The caller
   *  keeps an 'error' listener on it for as long as the stream lives, also while it is idle. */
  acquire(): Duplex;
  /** Give back a stream whose last answer was read whole. */
  release(stream: Duplex): void;
  /** Close every stream (in-flight ones too). */
  destroy(): void;
}

abstract class IdleStreams implements StreamPool {
  abstract readonly headForm: HeadForm;
  readonly socketPath: string;
  readonly #idle: Duplex[] = [];
  protected closed = false;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  protected abstract create(): Duplex;

  acquire(): Duplex {
    for (;;) {
      const stream = this.#idle.pop();
      if (!stream) return this.create();
      if (!stream.destroyed) return stream;
    }
  }

  release(stream: Duplex): void {
    if (this.closed || stream.destroyed) {
      stream.destroy();
      return;
    }
    // An idle stream that breaks is dropped lazily in acquire() (destroyed check). Its 'error' is
    // heard by the borrower's listener, which stays for the stream's life (http-bridge binds once).
    this.#idle.push(stream);
  }

  destroy(): void {
    this.closed = true;
    this.#idle.length = 0;
  }
}

/** One connection per stream: the CPython worker's realms, which speak the compact WSGI head. */
export class SocketPool extends IdleStreams {
  readonly headForm: HeadForm = 'wsgi';
  readonly #all = new Set<net.Socket>();

  protected create(): Duplex {
    const socket = net.createConnection(this.socketPath);
    socket.setNoDelay(true);
    this.#all.add(socket);
    socket.once('close', () => this.#all.delete(socket));
    return socket;
  }

  override destroy(): void {
    super.destroy();
    for (const socket of this.#all) socket.destroy();
  }
}

export class MuxPool extends IdleStreams {
  readonly headForm: HeadForm = 'http1';
  #session: MuxSession | null = null;
  readonly #connect: () => MuxTransport;

  /** `connect` opens a new link when there is none (default: a connection to `socketPath`). */
  constructor(socketPath: string, connect?: () => MuxTransport) {
    super(socketPath);
    this.#connect = connect ?? (() => socketTransport(net.createConnection(socketPath)));
  }

  protected create(): Duplex {
    let session = this.#session;
    if (!session || session.closed) {
      session = new MuxSession(this.#connect());
      this.#session = session;
    }
    return session.open();
  }

  override destroy(): void {
    super.destroy();
    this.#session?.destroy();
  }
}

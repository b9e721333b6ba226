// Keep-alive connections to one realm's Unix socket, for the HTTP bridge. Idle connections are reused
// (LIFO: the warmest first); a connection that closes while idle is dropped. No request timeouts or
// retries here: the bridge decides what a broken connection means for its request.
import net from 'node:net';

export class ConnectionPool {
  readonly socketPath: string;
  readonly #idle: net.Socket[] = [];
  readonly #all = new Set<net.Socket>();
  #closed = false;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** An idle connection, or a new one (already connecting: writes are queued until it is up). */
  acquire(): net.Socket {
    for (;;) {
      const socket = this.#idle.pop();
      if (!socket) break;
      socket.removeListener('close', this.#onIdleClose);
      socket.removeListener('error', ignore);
      if (!socket.destroyed) return socket;
    }
    const socket = net.createConnection(this.socketPath);
    socket.setNoDelay(true);
    this.#all.add(socket);
    socket.once('close', () => this.#all.delete(socket));
    return socket;
  }

  /** Give back a connection whose last answer was read whole. */
  release(socket: net.Socket): void {
    if (this.#closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    socket.on('close', this.#onIdleClose);
    socket.on('error', ignore);
    this.#idle.push(socket);
  }

  readonly #onIdleClose = function (this: net.Socket): void {
    // `this` is the socket; the pool drops it lazily in acquire() (destroyed check).
  };

  /** Close every connection (in-flight ones too). */
  destroy(): void {
    this.#closed = true;
    for (const socket of this.#all) socket.destroy();
    this.#idle.length = 0;
  }
}

function ignore(): void {
  // An idle connection's error is its close; nothing waits on it.
}

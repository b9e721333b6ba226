// What a mux session (mux.ts) runs over: a byte link that delivers its frames in order. Two kinds:
// - a Unix-socket connection (the proxy ↔ a worker process, or a process's application-group thread),
//   read 64 KiB at a time, or 256 KiB to a CPython worker (largeReadTransport);
// - a MessagePort (the proxy ↔ one of its own isolate threads): each batch of frames is copied once
//   into a fresh ArrayBuffer that is transferred, not cloned, so a body byte is copied once per hop
//   instead of twice through the kernel, with no syscall (bench/README.md, "Isolate bodies").
import net, { type Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';

export interface MuxTransport {
  /** Each batch is dear (a message to another thread): streams buffer a whole window before write()
   *  says false, so a writer's chunks of one turn leave together. */
  readonly windowBuffered?: boolean;
  /** Starts delivery: `onData` for each chunk of frame bytes in order, `onClose` once when the link is gone. */
  start(onData: (chunk: Buffer) => void, onClose: () => void): void;
  /** Sends one batch of frames (header and payload pieces, in order; `bytes` = their total length). */
  write(chunks: readonly Buffer[], bytes: number): void;
  /** Drops the link; the peer sees it close. */
  destroy(): void;
}

/** Batches below this are joined into one buffer; larger ones go out as a writev without copies. */
const JOIN_LIMIT = 16 * 1024;

/** Bytes per read of a connection whose frames are large (the Python hop's 64 KiB answer chunks): a
 *  frame then mostly arrives in one read, not cut in two by libuv's 64 KiB reads, which made two client
 *  writes of each (bench/README.md, "The Python hop multiplexed"). */
export const LARGE_READ_BYTES = 256 * 1024;

/** One batch on a socket: joined when small (one `write` is cheaper than a `writev` of many pieces),
 *  else corked into one `writev`, uncopied. (Also what bench/floors/ sends with.) */
export function writeBatch(socket: Socket, chunks: readonly Buffer[], bytes: number): void {
  if (bytes <= JOIN_LIMIT) {
    socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks as Buffer[], bytes));
    return;
  }
  socket.cork();
  for (const chunk of chunks) socket.write(chunk);
  socket.uncork();
}

export function socketTransport(socket: Socket): MuxTransport {
  return {
    start(onData, onClose) {
      socket.on('data', onData);
      socket.on('error', onClose);
      socket.on('close', onClose);
    },
    write: (chunks, bytes) => writeBatch(socket, chunks, bytes),
    destroy: () => socket.destroy(),
  };
}

/** A connection to the Unix socket at `path`, read LARGE_READ_BYTES at a time, each read into memory of
 *  its own: the frames' payloads are passed on as views of it, never copied, so it is not reused. */
export function largeReadTransport(path: string): MuxTransport {
  // Set by start(), which the session calls as it is made, before the connection can deliver a byte.
  let deliver: ((chunk: Buffer) => void) | null = null;
  const socket = net.createConnection({
    path,
    onread: {
      buffer: () => Buffer.allocUnsafeSlow(LARGE_READ_BYTES),
      callback: (bytes: number, buffer: Uint8Array) => {
        deliver?.(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
        return true;
      },
    },
  });
  return {
    start(onData, onClose) {
      deliver = onData;
      socket.on('error', onClose);
      socket.on('close', onClose);
    },
    write: (chunks, bytes) => writeBatch(socket, chunks, bytes),
    destroy: () => socket.destroy(),
  };
}

/** A batch copied once into memory of its own (allocUnsafeSlow: never the shared pool), to transfer
 *  to another thread. (Also what bench/floors/ sends with.) */
export function batchInOwnMemory(chunks: readonly Buffer[], bytes: number): ArrayBuffer {
  const batch = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  for (const chunk of chunks) {
    batch.set(chunk, at);
    at += chunk.length;
  }
  return batch.buffer;
}

/**
 * A MessagePort link. The payload pieces are views of buffers their writer may reuse (a script's
 * static chunk, a pooled read buffer sharing one ArrayBuffer with others), so none can be transferred
 * as it is: the batch is copied once into memory of its own (allocUnsafeSlow: never the shared pool)
 * and that ArrayBuffer is moved to the other thread. `unref`: the link alone keeps no thread alive.
 */
export function portTransport(port: MessagePort, options: { readonly unref?: boolean } = {}): MuxTransport {
  let closed = false;
  return {
    windowBuffered: true,
    start(onData, onClose) {
      port.on('message', (data: ArrayBuffer) => onData(Buffer.from(data)));
      port.once('close', () => { closed = true; onClose(); });
      if (options.unref) port.unref();
    },
    write(chunks, bytes) {
      if (closed) return;
      const batch = batchInOwnMemory(chunks, bytes);
      port.postMessage(batch, [batch]);
    },
    destroy() {
      if (closed) return;
      closed = true;
      port.close();
    },
  };
}

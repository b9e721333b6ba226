// The floors' wire format: u32 stream id | u8 type | u32 n | n payload bytes. Deliberately the least
// a hop can carry (no credit, no reset): a floor measures what any design must pay, not a design.
// Batches leave as the real links send them: the same functions (npm run bench builds dist/ first).
export { writeBatch, batchInOwnMemory } from '../../dist/src/protocol/mux-transport.js';

export const HEAD = 1;
export const DATA = 2;
export const END = 3;
const HEADER_BYTES = 9;

/**
 * Frames queued meanwhile leave in one write: at the end of the callback that queued them ('callback',
 * process.nextTick) or of the event-loop turn ('turn', setImmediate). Measured on the floors (wrk -c32,
 * hello): a process hop 0.77 / 0.73 x node, a thread hop 0.61 / 0.76; floor-proxy.mjs takes the better.
 */
export function frameWriter(send, batching = 'callback') {
  let queue = [];
  let bytes = 0;
  const flush = () => {
    const batch = queue;
    const size = bytes;
    queue = [];
    bytes = 0;
    send(batch, size);
  };
  return (id, type, payload) => {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(id, 0);
    header[4] = type;
    header.writeUInt32BE(payload ? payload.length : 0, 5);
    if (queue.length === 0) {
      if (batching === 'turn') setImmediate(flush);
      else process.nextTick(flush);
    }
    queue.push(header);
    bytes += HEADER_BYTES;
    if (payload) {
      queue.push(payload);
      bytes += payload.length;
    }
  };
}

/**
 * Calls onFrame(id, type, payload) per frame. A DATA payload cut by the end of a read is passed on in
 * pieces as it comes (never joined: a 64 KiB body chunk is not copied); any other frame's payload is
 * small and joined when cut.
 */
export function frameReader(onFrame) {
  let header = null; // a header cut by the end of a read
  let id = 0;
  let type = 0;
  let left = 0; // payload bytes of the current frame still to come
  let pieces = []; // a cut non-DATA payload
  return (chunk) => {
    let at = 0;
    for (;;) {
      if (left > 0) {
        const take = Math.min(left, chunk.length - at);
        const piece = chunk.subarray(at, at + take);
        at += take;
        left -= take;
        if (type === DATA) onFrame(id, DATA, piece);
        else pieces.push(piece);
        if (left > 0) return;
        if (type !== DATA) {
          onFrame(id, type, Buffer.concat(pieces));
          pieces = [];
        }
      }
      if (at === chunk.length) return;
      let head;
      if (header || chunk.length - at < HEADER_BYTES) {
        const need = HEADER_BYTES - (header ? header.length : 0);
        const got = chunk.subarray(at, at + need);
        header = header ? Buffer.concat([header, got]) : Buffer.from(got);
        at += got.length;
        if (header.length < HEADER_BYTES) return;
        head = header;
        header = null;
      } else {
        head = chunk.subarray(at, at + HEADER_BYTES);
        at += HEADER_BYTES;
      }
      id = head.readUInt32BE(0);
      type = head[4];
      left = head.readUInt32BE(5);
      if (left === 0) onFrame(id, type, EMPTY);
      else if (type !== DATA && chunk.length - at >= left) {
        onFrame(id, type, chunk.subarray(at, at + left));
        at += left;
        left = 0;
      }
    }
  };
}

const EMPTY = Buffer.alloc(0);

// The floors' wire format: u32 stream id | u8 type | u32 n | n payload bytes. Deliberately the least
// a hop can carry (no credit, no reset): a floor measures what any design must pay, not a design.
export const HEAD = 1;
export const DATA = 2;
export const END = 3;
const HEADER_BYTES = 9;

/** Frames queued during one callback leave in one write at its end (as the real mux's 'callback' batching). */
export function frameWriter(send) {
  let queue = [];
  let bytes = 0;
  const flush = () => {
    const batch = queue.length === 1 ? queue[0] : Buffer.concat(queue, bytes);
    queue = [];
    bytes = 0;
    send(batch);
  };
  return (id, type, payload) => {
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(id, 0);
    header[4] = type;
    header.writeUInt32BE(payload ? payload.length : 0, 5);
    if (queue.length === 0) process.nextTick(flush);
    queue.push(header);
    bytes += HEADER_BYTES;
    if (payload) {
      queue.push(payload);
      bytes += payload.length;
    }
  };
}

/** Calls onFrame(id, type, payload) for every whole frame, keeping a cut one for the next chunk. */
export function frameReader(onFrame) {
  let rest = null;
  return (chunk) => {
    const data = rest ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    while (data.length - at >= HEADER_BYTES) {
      const n = data.readUInt32BE(at + 5);
      if (data.length - at < HEADER_BYTES + n) break;
      onFrame(data.readUInt32BE(at), data[at + 4], data.subarray(at + HEADER_BYTES, at + HEADER_BYTES + n));
      at += HEADER_BYTES + n;
    }
    rest = at < data.length ? Buffer.from(data.subarray(at)) : null;
  };
}

/** A batch as an ArrayBuffer of its own, to transfer to another thread (one copy, as the real isolate link). */
export function transferable(batch) {
  const own = new Uint8Array(batch.length);
  own.set(batch);
  return own.buffer;
}

// The hand-over of finished requests from the proxy's main thread to the access log's writer
// thread: a single-producer, single-consumer ring in a SharedArrayBuffer. The main thread only
// copies numbers and UTF-16 code units into it (no line built, nothing encoded, no syscall); the
// writer thread formats and writes (bench/README.md "Access log cost": building and encoding the line
// on the main thread was most of what the log cost).
//
// A record, 8-byte aligned (HEAD_BYTES, then the strings): i32 size (bytes, a multiple of 8; WRAP =
// skip to the ring's start), i32 kind | flags << 8, i32 status, i32 worker pid, i32 mask of unset
// string slots, i32 mask of slots that repeat the previous request's string, f64 time, f64 ms, f64
// bytes; then each other slot's string in slot order: i32 length, its code units, padded to 4 bytes.
// Small records matter: each cache line the main thread writes was last read by the writer thread's core.
// The control array's USED counts the bytes in use (records and the skipped tail before a wrap): the
// writer adds, the reader subtracts, both atomically, so each side sees the other's bytes complete.
import { STRING_SLOTS, type AccessEntry } from './access-format.js';

/** Control slots (Int32Array over their own SharedArrayBuffer). */
const USED = 0;
/** 1 while the reader sleeps until there is something to read: the writer clears it and wakes it. */
export const ARMED = 1;
/** 1 when the reader should not wait out its gathering delay (ring a quarter full, or a control record). */
export const URGENT = 2;
/** 1 while the writer waits for room (the ring is full). */
const WAITING = 3;
const CONTROL_SLOTS = 4;

export const KIND_REQUEST = 0;
/** Open the log file again by its name (logrotate moved it). */
export const KIND_REOPEN = 1;
/** Write out everything and stop. */
export const KIND_CLOSE = 2;
export type RecordKind = typeof KIND_REQUEST | typeof KIND_REOPEN | typeof KIND_CLOSE;

const WRAP = -1;
const HEAD_BYTES = 48;
/** A longer string is logged cut to this many UTF-16 units: a record of twelve such strings (~196 KiB)
 *  still fits the access log's 256 KiB ring. The request line and header limits (8190 bytes by
 *  default) keep real requests' strings shorter. */
export const MAX_STRING_UNITS = 8192;
const FLAG_ABORTED = 1;

/** How long the writer waits for room before it drops a line (a reader that stopped reading). */
const FULL_WAIT_LIMIT_MS = 5000;

export interface RingBuffers {
  readonly data: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

export function createRing(bytes: number): RingBuffers {
  if (bytes % 8 !== 0 || bytes < 1024) throw new RangeError(`ring size ${bytes}: a multiple of 8, at least 1024`);
  return { data: new SharedArrayBuffer(bytes), control: new SharedArrayBuffer(4 * CONTROL_SLOTS) };
}

class RingViews {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u16: Uint16Array;
  readonly control: Int32Array;
  readonly capacity: number;

  constructor(buffers: RingBuffers) {
    this.i32 = new Int32Array(buffers.data);
    this.f64 = new Float64Array(buffers.data);
    this.u16 = new Uint16Array(buffers.data);
    this.control = new Int32Array(buffers.control);
    this.capacity = buffers.data.byteLength;
  }
}

/** The main thread's end. */
export class RingWriter {
  readonly #v: RingViews;
  /** The string each slot had in the last request put in (the reader keeps the same). */
  readonly #last: (string | undefined)[] = new Array<string | undefined>(STRING_SLOTS).fill(undefined);
  #head = 0;
  /** Bytes written (records, a wrap's skipped tail) that the reader cannot see yet. */
  #pending = 0;
  #publishing = false;
  readonly #fullWaitMs: number;
  /** The reader let a wait for room time out: drop without waiting until it frees room. */
  #stalled = false;
  /** Lines dropped because the reader stopped taking them. */
  dropped = 0;

  constructor(buffers: RingBuffers, options: { fullWaitMs?: number } = {}) {
    this.#v = new RingViews(buffers);
    this.#fullWaitMs = options.fullWaitMs ?? FULL_WAIT_LIMIT_MS;
  }

  /**
   * Copies a finished request in. A slot whose string is the one the previous request had (names
   * from the config, the method, a keep-alive client's address) is one bit, not a copy. False when
   * the line was dropped (no room in time: see #waitForRoom).
   */
  put(entry: AccessEntry): boolean {
    const strings = entry.strings;
    const last = this.#last;
    let unset = 0;
    let repeat = 0;
    let size = HEAD_BYTES;
    for (let i = 0; i < STRING_SLOTS; i++) {
      const text = strings[i];
      if (text === undefined) unset |= 1 << i;
      else if (text === last[i]) repeat |= 1 << i;
      else size += 4 + ((Math.min(text.length, MAX_STRING_UNITS) + 1) >> 1) * 4;
    }
    size = (size + 7) & ~7;
    const at = this.#reserve(size);
    if (at < 0) { this.dropped++; return false; }
    const { i32, f64, u16 } = this.#v;
    const w = at >> 2;
    i32[w] = size;
    i32[w + 1] = KIND_REQUEST | (entry.aborted ? FLAG_ABORTED << 8 : 0);
    i32[w + 2] = entry.status;
    i32[w + 3] = entry.workerPid;
    i32[w + 4] = unset;
    i32[w + 5] = repeat;
    const d = at >> 3;
    f64[d + 3] = entry.time;
    f64[d + 4] = entry.ms;
    f64[d + 5] = entry.bytes;
    let word = w + (HEAD_BYTES >> 2);
    for (let i = 0; i < STRING_SLOTS; i++) {
      if (((unset | repeat) >> i) & 1) continue;
      const text = strings[i]!;
      last[i] = text;
      const length = Math.min(text.length, MAX_STRING_UNITS);
      i32[word] = length;
      const unit = (word + 1) << 1;
      for (let c = 0; c < length; c++) u16[unit + c] = text.charCodeAt(c);
      word += 1 + ((length + 1) >> 1);
    }
    this.#publish(size);
    return true;
  }

  /** A control record (reopen, close): read in order with the requests before it, and at once. */
  control(kind: typeof KIND_REOPEN | typeof KIND_CLOSE): void {
    const at = this.#reserve(HEAD_BYTES);
    if (at < 0) { this.dropped++; return; }
    const { i32 } = this.#v;
    i32[at >> 2] = HEAD_BYTES;
    i32[(at >> 2) + 1] = kind;
    this.#publish(HEAD_BYTES);
    this.#publishNow();
    this.#hurry();
  }

  /** Where `size` bytes go (wrapping to the start when the tail is too short), or -1. */
  #reserve(size: number): number {
    const { control, capacity } = this.#v;
    const skip = this.#head + size > capacity ? capacity - this.#head : 0;
    if (capacity - Atomics.load(control, USED) - this.#pending < skip + size) {
      if (!this.#waitForRoom(skip + size)) return -1;
    } else {
      this.#stalled = false;
    }
    if (skip > 0) {
      this.#v.i32[this.#head >> 2] = WRAP;
      this.#pending += skip;
      this.#head = 0;
    }
    return this.#head;
  }

  /** The record just written at the head is complete; the reader sees it at the next publish. */
  #publish(size: number): void {
    this.#head += size;
    if (this.#head === this.#v.capacity) this.#head = 0;
    this.#pending += size;
    if (this.#pending > this.#v.capacity >> 3) { this.#publishNow(); return; }
    if (!this.#publishing) {
      this.#publishing = true;
      setImmediate(this.#publishPending);
    }
  }

  /** Once per event-loop turn, not per request: one atomic add (a full barrier) for all the records
   *  the turn's requests wrote. */
  readonly #publishPending = (): void => {
    this.#publishing = false;
    this.#publishNow();
  };

  #publishNow(): void {
    if (this.#pending === 0) return;
    const { control, capacity } = this.#v;
    const used = Atomics.add(control, USED, this.#pending) + this.#pending;
    this.#pending = 0;
    this.#wakeReader();
    if (used > capacity >> 2) this.#hurry();
  }

  #hurry(): void {
    const { control } = this.#v;
    if (Atomics.load(control, URGENT) === 1) return;
    Atomics.store(control, URGENT, 1);
    Atomics.notify(control, URGENT);
    this.#wakeReader();
  }

  /** A reader asleep until the first record (ARMED) is woken. */
  #wakeReader(): void {
    const { control } = this.#v;
    if (Atomics.load(control, ARMED) !== 1) return;
    Atomics.store(control, ARMED, 0);
    Atomics.notify(control, ARMED);
  }

  /**
   * Blocks this thread until the reader frees `bytes` (the disk is behind: the proxy slows down rather
   * than lose lines or grow memory), at most fullWaitMs. A reader that let that pass is taken as
   * stuck (stdout piped to a process that stopped reading): until it frees room, lines are dropped
   * without waiting, so the proxy keeps serving at full speed.
   */
  #waitForRoom(bytes: number): boolean {
    const { control, capacity } = this.#v;
    if (bytes > capacity || this.#stalled) return false;
    const deadline = performance.now() + this.#fullWaitMs;
    this.#publishNow(); // the reader can only free what it sees
    Atomics.store(control, WAITING, 1);
    try {
      for (;;) {
        const used = Atomics.load(control, USED);
        if (capacity - used - this.#pending >= bytes) return true;
        const left = deadline - performance.now();
        if (left <= 0) { this.#stalled = true; return false; }
        this.#hurry();
        Atomics.wait(control, USED, used, Math.min(left, 50));
      }
    } finally {
      Atomics.store(control, WAITING, 0);
    }
  }
}

/** The writer thread's end. */
export class RingReader {
  readonly #v: RingViews;
  readonly #bytes: Buffer;
  readonly #last: string[] = new Array<string>(STRING_SLOTS).fill('');
  #tail = 0;

  constructor(buffers: RingBuffers) {
    this.#v = new RingViews(buffers);
    this.#bytes = Buffer.from(buffers.data);
  }

  get control(): Int32Array { return this.#v.control; }

  /** A copied slot's string (decoded), remembered for the records that repeat it. */
  #text(slot: number, unit: number, length: number): string {
    const text = this.#bytes.toString('utf16le', 2 * unit, 2 * (unit + length));
    this.#last[slot] = text;
    return text;
  }

  /** Bytes waiting to be read. */
  pending(): number {
    return Atomics.load(this.#v.control, USED);
  }

  /**
   * Reads every record there is now: a request fills `entry` (reused) and calls onRequest; a control
   * record calls onControl. Returns after freeing what it read (waking a writer waiting for room).
   */
  drain(entry: AccessEntry, onRequest: (entry: AccessEntry) => void, onControl: (kind: RecordKind) => void): void {
    const { control, capacity, i32, f64 } = this.#v;
    const available = Atomics.load(control, USED);
    let consumed = 0;
    while (consumed < available) {
      const at = this.#tail;
      const w = at >> 2;
      const size = i32[w]!;
      if (size === WRAP) {
        consumed += capacity - at;
        this.#tail = 0;
        continue;
      }
      const kind = (i32[w + 1]! & 0xff) as RecordKind;
      if (kind === KIND_REQUEST) {
        entry.aborted = ((i32[w + 1]! >> 8) & FLAG_ABORTED) !== 0;
        entry.status = i32[w + 2]!;
        entry.workerPid = i32[w + 3]!;
        const unset = i32[w + 4]!;
        const repeat = i32[w + 5]!;
        const d = at >> 3;
        entry.time = f64[d + 3]!;
        entry.ms = f64[d + 4]!;
        entry.bytes = f64[d + 5]!;
        let word = w + (HEAD_BYTES >> 2);
        for (let i = 0; i < STRING_SLOTS; i++) {
          if ((unset >> i) & 1) { entry.strings[i] = undefined; continue; }
          if ((repeat >> i) & 1) { entry.strings[i] = this.#last[i]; continue; }
          const length = i32[word]!;
          entry.strings[i] = this.#text(i, (word + 1) << 1, length);
          word += 1 + ((length + 1) >> 1);
        }
        onRequest(entry);
      } else {
        onControl(kind);
      }
      consumed += size;
      this.#tail = at + size === capacity ? 0 : at + size;
    }
    if (consumed === 0) return;
    Atomics.sub(control, USED, consumed);
    if (Atomics.load(control, WAITING) === 1) Atomics.notify(control, USED);
  }
}

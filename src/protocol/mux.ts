// Many byte streams over one link (mux-transport.ts: a Unix-socket connection, or a MessagePort to an
// isolate thread) between the proxy and a realm, so that the requests of one event-loop turn cost one
// write and one read on each side instead of one per request (profile: the per-request write to the
// worker socket alone was 12 % of the proxy's CPU).
// Each stream is a Duplex that carries exactly what a socket would, so both ends keep their code: a JS
// worker feeds streams to a real http.Server as connections (the bridge's HTTP/1.1); the CPython worker
// (wsgi_host/mux.py, the same frames) reads each as it read a keep-alive connection (the compact head).
//
// Frame: u32 stream id | u8 type | u32 n | payload (DATA: n bytes; WINDOW: none, n = credit; HELLO:
// none, id = word index, n = one word of the session token a JS realm's link opens with).
// Streams are opened by the proxy (its first DATA names a new id). Flow control per stream: a sender
// may have at most STREAM_WINDOW bytes unacknowledged (1 MiB: a 1 MiB answer needs no credit round trip;
// 256 KiB cost a quarter of the big-body throughput); the receiver grants credit back as its reader
// consumes, so a slow client pauses only its own stream and memory stays bounded.
// A DATA frame is as large as the sender's credit allows (up to the window) and may gather several
// written chunks (a corked batch arrives as one _writev): one header, the payload pieces queued as
// they are, never joined.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { MuxTransport } from './mux-transport.js';

const HEADER_BYTES = 9;
/** The frame types (the CPython worker's wsgi_host/mux.py has their twins, compared by a test; it never
 *  gets Hello, which only the JS realms' links carry). */
export const FrameType = { Data: 1, End: 2, Reset: 3, Window: 4, Hello: 5 } as const;
type FrameType = typeof FrameType[keyof typeof FrameType];
export const STREAM_WINDOW = 1024 * 1024;

/**
 * When queued frames leave (measured per hop, wrk -c32, bench/README.md "The Python hop multiplexed"):
 * - 'callback': at the end of the callback that queued them (process.nextTick): what one read produced
 *   (the worker: all answers to one batch of requests) leaves in one write. Both ends of a JS hop:
 *   batching a whole loop turn there made the stages wait on each other (JS pool -20 to -30 % req/s).
 * - 'turn': the turn's first callback's frames leave at its end, so an idle worker starts at once; the
 *   frames of the turn's later callbacks leave together when the turn ends (setImmediate). The proxy's
 *   end of the Python hop: the CPython worker reads and parses each batch in one go, and one write per
 *   turn instead of one per request cut the proxy's CPU per request by a sixth.
 */
export type MuxBatching = 'callback' | 'turn';

/** The ids an opening end gives its streams: 1 … 2^32 - 1, then around to 1 again, skipping any still
 *  in use (a stream kept for reuse since the start would otherwise share its id with a new one). */
export class StreamIds {
  #next: number;

  /** `first`: where to start (tests start near the wrap-around). */
  constructor(first = 1) {
    this.#next = first;
  }

  take(inUse: (id: number) => boolean): number {
    let id = this.#next;
    while (inUse(id)) id = StreamIds.#after(id);
    this.#next = StreamIds.#after(id);
    return id;
  }

  static #after(id: number): number {
    return id === 0xffffffff ? 1 : id + 1;
  }
}

/** Whether stream id `a` was opened after `b`, modulo 2^32 (serial number arithmetic, RFC 1982): an
 *  id up to 2^31 - 1 ahead is newer, so ids keep working after they wrap around. */
export function isNewerStreamId(a: number, b: number): boolean {
  const ahead = (a - b) >>> 0;
  return ahead !== 0 && ahead < 0x80000000;
}

/** A session token is this many 32-bit words, one Hello frame each (frame id = word index, n = word). */
const TOKEN_WORDS = 4;

export class MuxSession {
  readonly #link: MuxTransport;
  readonly #streams = new Map<number, MuxStream>();
  readonly #onStream: ((stream: MuxStream) => void) | null;
  readonly #ids = new StreamIds();
  readonly #inUse = (id: number): boolean => this.#streams.has(id);
  /** The newest id the peer opened a stream with (the accepting end). */
  #lastAccepted = 0;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #flushScheduled = false;
  readonly #batching: MuxBatching;
  /** 'turn' batching: this loop turn's first frames have left; the rest wait for its end. */
  #turnOpen = false;
  readonly #closeTurn = (): void => { this.#turnOpen = false; };
  /** A frame header cut by the end of a read (fewer than HEADER_BYTES bytes). */
  #partial: Buffer | null = null;
  /** Payload bytes of the current DATA frame still to come in later reads, and their stream. */
  #payloadLeft = 0;
  #payloadStream: MuxStream | undefined;
  #consumed = 0;
  #closed = false;
  /** The opening end's random token (sent in Hello frames first), or what the accepting end got of it. */
  #token: string | null = null;
  readonly #tokenWords: number[] = [];

  /**
   * `onStream` set: this end accepts streams the peer opens (the worker); unset: it opens them.
   * `introduce` (an opening end): first send a random token in Hello frames. Each request head the
   * proxy writes carries it, and a JS realm serves only heads that do: bytes a client wrote can never
   * pass for a head the proxy wrote, even if framing broke somewhere (docs/worker-protocol.md).
   */
  constructor(link: MuxTransport, onStream?: (stream: MuxStream) => void, batching: MuxBatching = 'callback', introduce = false) {
    this.#link = link;
    this.#onStream = onStream ?? null;
    this.#batching = batching;
    link.start(this.#onData, () => this.#shutdown());
    if (introduce && !onStream) {
      const token = randomBytes(TOKEN_WORDS * 4);
      this.#token = token.toString('hex');
      for (let i = 0; i < TOKEN_WORDS; i++) this.frame(i, FrameType.Hello, token.readUInt32BE(i * 4));
    }
  }

  /** The session's token: the one this end sent, or (accepting end) the one it received whole; null
   *  when there is none. */
  get token(): string | null {
    return this.#token;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal Whether this session's streams buffer a whole window before write() says false. */
  get windowBuffered(): boolean {
    return this.#link.windowBuffered === true;
  }

  open(): MuxStream {
    const id = this.#ids.take(this.#inUse);
    const stream = new MuxStream(this, id);
    this.#streams.set(id, stream);
    return stream;
  }

  /** Ends the connection and every stream on it (streams see 'close', as a socket would). */
  destroy(): void {
    this.#link.destroy();
    this.#shutdown();
  }

  /** @internal */
  frame(id: number, type: FrameType, n: number, payload?: readonly Buffer[]): void {
    if (this.#closed) return;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(id, 0);
    header[4] = type;
    header.writeUInt32BE(n, 5);
    this.#queue.push(header);
    this.#queuedBytes += HEADER_BYTES;
    if (payload) {
      for (const piece of payload) this.#queue.push(piece);
      this.#queuedBytes += n;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      if (this.#batching === 'turn' && this.#turnOpen) {
        setImmediate(this.#flush);
      } else {
        if (this.#batching === 'turn') {
          this.#turnOpen = true;
          setImmediate(this.#closeTurn);
        }
        process.nextTick(this.#flush);
      }
    }
  }

  /** @internal */
  forget(id: number): void {
    this.#streams.delete(id);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const queue = this.#queue;
    if (queue.length === 0 || this.#closed) return;
    this.#queue = [];
    const bytes = this.#queuedBytes;
    this.#queuedBytes = 0;
    this.#link.write(queue, bytes);
  };

  readonly #onData = (chunk: Buffer): void => {
    const data = chunk;
    let offset = 0;
    // The rest of a DATA payload that began in an earlier read: passed on as it comes, never copied.
    if (this.#payloadLeft > 0) {
      const take = Math.min(this.#payloadLeft, data.length);
      this.#payloadStream?.receive(data.subarray(0, take));
      this.#payloadLeft -= take;
      offset = take;
      if (this.#payloadLeft === 0) this.#payloadStream = undefined;
    } else if (this.#partial) {
      // A frame header split over two reads: join only those few bytes.
      const need = HEADER_BYTES - this.#partial.length;
      if (data.length < need) {
        this.#partial = Buffer.concat([this.#partial, data]);
        return;
      }
      const header = Buffer.concat([this.#partial, data.subarray(0, need)]);
      this.#partial = null;
      offset = need;
      if (!this.#frame(header, 0, data, offset)) return;
      offset += this.#consumed;
    }
    while (data.length - offset >= HEADER_BYTES) {
      if (!this.#frame(data, offset, data, offset + HEADER_BYTES)) return;
      offset += HEADER_BYTES + this.#consumed;
    }
    if (offset < data.length && this.#payloadLeft === 0) this.#partial = Buffer.from(data.subarray(offset));
  };

  /** Handles the frame whose header is at `header[at]`; its payload starts at `data[from]` (possibly
   *  cut short by the end of this read). Sets #consumed to the payload bytes taken; false = stop. */
  #frame(header: Buffer, at: number, data: Buffer, from: number): boolean {
    const id = header.readUInt32BE(at);
    const type = header[at + 4] as FrameType;
    const n = header.readUInt32BE(at + 5);
    this.#consumed = 0;
    if (type === FrameType.Data) {
      const stream = this.#streamFor(id);
      const take = Math.min(n, data.length - from);
      if (take > 0) stream?.receive(data.subarray(from, from + take));
      this.#consumed = take;
      if (take < n) {
        this.#payloadLeft = n - take;
        this.#payloadStream = stream;
      }
      return true;
    }
    const stream = this.#streams.get(id);
    if (type === FrameType.End) stream?.receiveEnd();
    else if (type === FrameType.Reset) stream?.receiveReset();
    else if (type === FrameType.Window) stream?.receiveCredit(n);
    else if (type === FrameType.Hello && this.#onStream && this.#token === null && id === this.#tokenWords.length) {
      this.#tokenWords.push(n);
      if (this.#tokenWords.length === TOKEN_WORDS) this.#token = this.#tokenWords.map((word) => word.toString(16).padStart(8, '0')).join('');
    } else {
      this.destroy(); // not our protocol: drop the connection rather than guess
      return false;
    }
    return true;
  }

  #streamFor(id: number): MuxStream | undefined {
    const known = this.#streams.get(id);
    if (known || !this.#onStream) return known;
    // Only a new id opens a stream. DATA still in flight for a stream this end closed (a script that
    // destroyed its request mid-upload) is dropped: as a new stream its bytes, the client's request
    // body, would be parsed as requests, with whatever job header the client wrote into that body
    // (any script file run in this realm). The CPython end has the same rule (wsgi_host/mux.py).
    if (!isNewerStreamId(id, this.#lastAccepted)) return undefined;
    this.#lastAccepted = id;
    const stream = new MuxStream(this, id);
    this.#streams.set(id, stream);
    this.#onStream(stream);
    return stream;
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    for (const stream of this.#streams.values()) stream.destroy();
    this.#streams.clear();
  }
}

export class MuxStream extends Duplex {
  readonly #session: MuxSession;
  readonly id: number;
  #sendCredit = STREAM_WINDOW;
  /** A write waiting for credit: the rest of its chunks and its callback. */
  #blocked: { pieces: Buffer[]; callback: (err?: Error | null) => void } | null = null;
  /** Bytes received and not yet acknowledged with a WINDOW frame. */
  #unacked = 0;
  #readerFull = false;
  #peerGone = false;

  constructor(session: MuxSession, id: number) {
    // On a link whose batches are dear (a MessagePort: one message each), write() says true until a
    // window is buffered, so a script writing 64 KiB chunks fills a window in one turn and it leaves
    // as one batch (bench/README.md: isolate big, main thread -30 %). On a socket the same cost pools
    // CPU on big (A/B), so there the default stays.
    super({ allowHalfOpen: false, ...(session.windowBuffered && { writableHighWaterMark: STREAM_WINDOW }) });
    this.#session = session;
    this.id = id;
  }

  /** Its session's token (MuxSession.token). */
  get sessionToken(): string | null {
    return this.#session.token;
  }

  /** @internal */
  receive(payload: Buffer): void {
    if (this.destroyed) return;
    this.#unacked += payload.length;
    // The frame's bytes are a view of the connection's read buffer, which is not reused: no copy.
    if (!this.push(payload)) this.#readerFull = true;
    else if (this.#unacked >= STREAM_WINDOW / 2) this.#grant();
  }

  /** @internal */
  receiveEnd(): void {
    this.push(null);
  }

  /** @internal */
  receiveReset(): void {
    this.#peerGone = true;
    this.destroy();
  }

  /** @internal */
  receiveCredit(n: number): void {
    this.#sendCredit += n;
    const blocked = this.#blocked;
    if (!blocked) return;
    this.#blocked = null;
    this.#send(blocked.pieces, blocked.callback);
  }

  override _read(): void {
    if (this.#readerFull || this.#unacked >= STREAM_WINDOW / 2) {
      this.#readerFull = false;
      this.#grant();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#send([chunk], callback);
  }

  /** A corked batch (an HTTP head and its body chunks, a chunked-encoding size line, data and CRLF). */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.#send(chunks.map((c) => c.chunk), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#session.frame(this.id, FrameType.End, 0);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // A stream that ended both ways needs no RESET; any other end tells the peer to drop it.
    const whole = this.writableFinished && this.readableEnded;
    if (!this.#peerGone && !whole) this.#session.frame(this.id, FrameType.Reset, 0);
    this.#session.forget(this.id);
    this.#blocked = null; // a write waiting for credit is dropped with the stream
    callback(err);
  }

  /** Sends `pieces` in DATA frames as large as the credit allows; the rest waits for credit. */
  #send(pieces: Buffer[], callback: (err?: Error | null) => void): void {
    let i = 0;
    while (i < pieces.length && this.#sendCredit > 0) {
      const frame: Buffer[] = [];
      let size = 0;
      while (i < pieces.length && size < this.#sendCredit) {
        const piece = pieces[i]!;
        const take = Math.min(piece.length, this.#sendCredit - size);
        if (take === piece.length) i++;
        else pieces[i] = piece.subarray(take);
        if (take > 0) frame.push(take === piece.length ? piece : piece.subarray(0, take));
        size += take;
      }
      if (size === 0) continue; // only empty pieces
      this.#session.frame(this.id, FrameType.Data, size, frame);
      this.#sendCredit -= size;
    }
    if (i < pieces.length) this.#blocked = { pieces: pieces.slice(i), callback };
    else callback();
  }

  #grant(): void {
    if (this.#unacked === 0 || this.destroyed) return;
    this.#session.frame(this.id, FrameType.Window, this.#unacked);
    this.#unacked = 0;
  }
}

// The access log's writer thread: reads finished requests from the ring (src/ops/access-ring.ts),
// formats their lines (src/ops/access-format.ts) and writes them, gathered, to stdout or the log file.
// It sleeps while the ring is empty; the first record wakes it, and it gathers for FLUSH_MS (or until
// the ring is a quarter full, or a control record comes) before writing: a busy proxy costs a few
// writes a second, an idle one none.
import { closeSync, fstatSync, mkdirSync, openSync, readlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { emptyEntry, lineFormat, type FormatOptions } from './access-format.js';
import { ARMED, KIND_CLOSE, KIND_REOPEN, RingReader, URGENT, type RecordKind, type RingBuffers } from './access-ring.js';

export interface WriterThreadData extends FormatOptions {
  readonly ring: RingBuffers;
  /** Absolute file path, or null for stdout. */
  readonly path: string | null;
  /** The main thread's performance.timeOrigin: its performance.now() in a record is converted to
   *  the wall clock as it reads now (a wall clock stepped since the request still gives the right time). */
  readonly clockOrigin: number;
}

/** What the writer thread tells the main thread. */
export type WriterThreadMessage = { readonly type: 'error'; readonly message: string; readonly code: string | undefined };

/** Lines wait at most this long (a tail -f sees them this late at the most). */
const FLUSH_MS = 100;
/** Lines are gathered into writes of about this many UTF-16 units. */
const BATCH_UNITS = 64 * 1024;
/** A pipe takes a write of at most this many bytes whole (PIPE_BUF): the proxy's own log writes
 *  lines to the same stdout, which must not land inside one of ours. */
const PIPE_ATOMIC_BYTES = 4096;

const data = workerData as WriterThreadData;
const port = parentPort!;
const reader = new RingReader(data.ring);
const format = lineFormat(data);
const entry = emptyEntry();

let fd = -1;
let ownFd = false;
/** stdout is a pipe or socket: writes are cut at line ends into PIPE_ATOMIC_BYTES pieces. */
let piecewise = false;
let batch = '';
let closing = false;

function report(err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  const message: WriterThreadMessage = { type: 'error', message: e?.message ?? String(err), code: e?.code };
  port.postMessage(message);
}

function open(): void {
  try {
    if (data.path === null) {
      fd = 1;
      ownFd = false;
      const stat = fstatSync(1);
      piecewise = stat.isFIFO() || stat.isSocket();
    } else {
      mkdirSync(path.dirname(data.path), { recursive: true });
      fd = openSync(data.path, 'a');
      ownFd = true;
      piecewise = false;
    }
  } catch (err) {
    fd = -1;
    report(err);
  }
}

function closeFile(): void {
  if (ownFd && fd >= 0) {
    try { closeSync(fd); } catch (err) { report(err); }
  }
  fd = -1;
}

function writeOut(): void {
  if (batch === '') return;
  const bytes = Buffer.from(batch, 'utf8');
  batch = '';
  if (fd < 0) return;
  try {
    if (!piecewise) { writeAll(bytes, 0, bytes.length); return; }
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.length;
      if (end - start > PIPE_ATOMIC_BYTES) {
        // The last line end within the piece; a single longer line goes whole.
        const cut = bytes.lastIndexOf(0x0a, start + PIPE_ATOMIC_BYTES - 1);
        end = cut >= start ? cut + 1 : bytes.indexOf(0x0a, start) + 1 || bytes.length;
      }
      writeAll(bytes, start, end);
      start = end;
    }
  } catch (err) {
    report(err);
  }
}

/** For a pause on this thread (it has nothing else to do while its output is blocked). */
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(bytes: Buffer, start: number, end: number): void {
  let at = start;
  while (at < end) {
    try {
      at += writeSync(fd, bytes, at, end - at);
    } catch (err) {
      // stdout may be a non-blocking pipe (libuv makes it one once the process uses process.stdout):
      // full is not an error, the reader is slow. Wait for it; meanwhile the ring takes new lines.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}

/** Added to a record's time (main thread's performance.now()) gives epoch ms; set per drain. */
let wallOffset = 0;

function onRequest(): void {
  entry.time = Math.floor(entry.time + wallOffset);
  batch += format(entry);
  if (batch.length >= BATCH_UNITS) writeOut();
}

function onControl(kind: RecordKind): void {
  writeOut(); // lines before the record belong before it
  if (kind === KIND_REOPEN) {
    // Only a file's log is sent this (AccessLog.reopen): stdout is never reopened.
    closeFile();
    open();
  } else if (kind === KIND_CLOSE) {
    closing = true;
  }
}

async function run(): Promise<void> {
  const control = reader.control;
  for (;;) {
    wallOffset = Date.now() - (performance.timeOrigin + performance.now()) + data.clockOrigin;
    reader.drain(entry, onRequest, onControl);
    writeOut();
    if (closing) break;
    Atomics.store(control, URGENT, 0);
    // Sleep until a record comes (the writer clears ARMED and wakes us)…
    Atomics.store(control, ARMED, 1);
    if (reader.pending() === 0) {
      const woken = Atomics.waitAsync(control, ARMED, 1);
      if (woken.async) await woken.value;
    } else {
      Atomics.store(control, ARMED, 0);
    }
    // …then gather for FLUSH_MS unless told to hurry.
    const gathered = Atomics.waitAsync(control, URGENT, 0, FLUSH_MS);
    if (gathered.async) await gathered.value;
  }
  closeFile();
  port.close(); // the thread ends; the main thread's close() waits for that ('exit')
}

/** The log is background work: this thread gets the lowest CPU priority, so that on a busy machine it
 *  takes what the proxy's main thread and the clients leave instead of preempting them when it wakes
 *  (Linux: setpriority on a thread id applies to that thread alone). */
function yieldPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, 19);
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

// The port keeps this thread's event loop alive while it waits on the ring (a pending waitAsync does not).
port.on('message', () => undefined);
yieldPriority();
open();
run().catch((err: unknown) => { report(err); process.exit(1); });

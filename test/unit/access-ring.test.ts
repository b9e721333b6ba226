// The access log's hand-over ring (src/ops/access-ring.ts): what goes in comes out, in order and
// exact (strings of any content, repeated slots, records that wrap round the ring, control records
// between requests), nothing is visible before the turn that wrote it ends, and a reader that stops
// reading costs dropped lines, not a proxy that waits on every request.
import test from 'ava';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { emptyEntry, STRING_SLOTS, type AccessEntry } from '../../src/ops/access-format.js';
import { createRing, KIND_CLOSE, KIND_REOPEN, MAX_STRING_UNITS, RingReader, RingWriter, type RecordKind } from '../../src/ops/access-ring.js';

type Plain = Omit<AccessEntry, 'strings'> & { strings: (string | undefined)[] };
type Read = Plain | RecordKind;

function entry(i: number, strings: (string | undefined)[]): AccessEntry {
  const e = emptyEntry();
  Object.assign(e, { time: 1000.25 + i, ms: i / 7, status: 200 + (i % 300), bytes: i * 1_000_003, aborted: i % 5 === 0, workerPid: i % 3 === 0 ? 0 : 40_000 + i });
  strings.forEach((s, slot) => { e.strings[slot] = s; });
  return e;
}

const copy = (e: AccessEntry): Plain => ({ ...e, strings: [...e.strings] });

function drainAll(reader: RingReader): Read[] {
  const out: Read[] = [];
  reader.drain(emptyEntry(), (e) => out.push(copy(e)), (kind) => out.push(kind));
  return out;
}

test('requests come out exactly as they went in, and only after the turn that wrote them', async (t) => {
  const ring = createRing(4 * 1024 * 1024);
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const odd = ['GET', '/a?b=%20c', 'ünïcødé ✓ 😀', '\ud800 lone surrogate', '', '"quotes" \\ and \n newline', 'x'.repeat(1001)];
  const sent: AccessEntry[] = [];
  for (let i = 0; i < 40; i++) {
    const strings = Array.from({ length: STRING_SLOTS }, (_, slot) => (i + slot) % 4 === 0 ? undefined : odd[(i * slot) % odd.length]);
    const e = entry(i, strings);
    t.true(writer.put(e));
    sent.push(copy(e));
  }
  t.deepEqual(drainAll(reader), [], 'published at the end of the event-loop turn, not per request');
  await nextTurn();
  t.deepEqual(drainAll(reader), sent);
  t.is(reader.pending(), 0);
});

test('a slot that repeats the previous request\'s string, or comes back after being unset, reads right', async (t) => {
  const ring = createRing(64 * 1024);
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const group = '%{GLOBAL}';
  const rows: (string | undefined)[][] = [
    ['GET', '/one', group], ['GET', '/two', group], ['POST', '/two', undefined], ['POST', '/three', group], ['GET', '/three', 'other'],
  ];
  const sent = rows.map((r, i) => { const e = entry(i, r); writer.put(e); return copy(e); });
  await nextTurn();
  t.deepEqual(drainAll(reader), sent);
});

test('records wrap round a small ring, interleaved with control records, in order', async (t) => {
  const ring = createRing(1024);
  const writer = new RingWriter(ring, { fullWaitMs: 0 }); // a put that finds no room fails the test at once
  const reader = new RingReader(ring);
  const sent: Read[] = [];
  const got: Read[] = [];
  for (let i = 0; i < 500; i++) {
    // Sizes from 64 to ~200 bytes, so the wrap point moves.
    const e = entry(i, [i % 2 ? 'GET' : 'HEAD', `/path/${'x'.repeat(i % 97)}`, undefined, `c${i}`]);
    t.true(writer.put(e), `put ${i}`);
    sent.push(copy(e));
    if (i % 50 === 49) { writer.control(i % 100 === 99 ? KIND_CLOSE : KIND_REOPEN); sent.push(i % 100 === 99 ? KIND_CLOSE : KIND_REOPEN); }
    if (i % 2 === 1) { await nextTurn(); got.push(...drainAll(reader)); }
  }
  await nextTurn();
  got.push(...drainAll(reader));
  t.is(got.length, sent.length);
  t.deepEqual(got, sent);
});

test('a reader that stops reading: one wait, then lines are dropped at once until it frees room', async (t) => {
  const ring = createRing(1024);
  const writer = new RingWriter(ring, { fullWaitMs: 20 });
  const reader = new RingReader(ring);
  const e = entry(1, ['GET', '/fill', undefined, '127.0.0.1']);
  let accepted = 0;
  while (writer.put(e)) accepted++;
  t.true(accepted > 5, `${accepted} records fit`);
  t.is(writer.dropped, 1);
  // Stalled: the next puts do not wait again (each would block the proxy's thread otherwise).
  const before = performance.now();
  for (let i = 0; i < 50; i++) t.false(writer.put(e));
  t.is(writer.dropped, 51);
  t.true(performance.now() - before < 20 * 50, 'no 20 ms wait per put while stalled');
  // The reader catches up: room again, and nothing that was accepted is lost.
  t.is(drainAll(reader).length, accepted);
  t.true(writer.put(e));
  await nextTurn();
  t.is(drainAll(reader).length, 1);
});

test('a string longer than MAX_STRING_UNITS is cut to it, also when the next request repeats it', async (t) => {
  const ring = createRing(256 * 1024);
  const writer = new RingWriter(ring, { fullWaitMs: 0 });
  const reader = new RingReader(ring);
  const long = `/${'a'.repeat(MAX_STRING_UNITS + 5000)}`;
  // Twelve long strings: the largest record there can be still fits.
  t.true(writer.put(entry(1, Array.from({ length: STRING_SLOTS }, () => long))));
  t.true(writer.put(entry(2, ['GET', long])));
  await nextTurn();
  const [first, second] = drainAll(reader) as Plain[];
  t.deepEqual(first!.strings, Array.from({ length: STRING_SLOTS }, () => long.slice(0, MAX_STRING_UNITS)));
  t.is(second!.strings[1], long.slice(0, MAX_STRING_UNITS));
});

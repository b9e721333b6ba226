// The CPython worker's request threads (wsgi_host/realm.py, leader and followers) driven directly over
// a realm's Unix socket by test/fixtures/python/realm-driver/drive.py: while a slow request holds the
// first leader and another thread takes over, every request is answered, and never more than one
// thread waits on the selector (two once did, and the realm stalled); a stream that carries only
// request heads still gets its credit back (the proxy would stall it after a window); a stream id that
// wrapped around to 1 opens a new stream.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../helpers/python.js';
import { fixture, repoRoot } from '../helpers/paths.js';
import { STREAM_WINDOW } from '../../src/protocol/mux.js';

const python = findPython();

interface DriveReport { answers: string[]; mostInSelect: number; headBytes: number; granted: number; errors: unknown[] }

test('a slow request hands the selector to one other thread: all answered, one thread in the selector at a time, credit given back for request heads, ids past the wrap-around served', (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = mkdtempSync(path.join(tmpdir(), 'sa-realm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(python, [fixture('python', 'realm-driver', 'drive.py'), path.join(repoRoot, 'src', 'worker', 'python'), path.join(dir, 'r.sock')],
    { encoding: 'utf8', timeout: 60_000 });
  t.is(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as DriveReport;
  const expected: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 15; i++) expected.push(`/kept${i}`, `/new${i}`);
    expected.push('/sleep');
    for (let i = 0; i < 5; i++) expected.push(`/after${i}`);
  }
  for (let i = 0; i < Math.floor(3 * STREAM_WINDOW / 8192); i++) expected.push(`/head${i}`);
  expected.push('/half-way', '/before-wrap', '/after-wrap');
  t.deepEqual(report.answers, expected);
  // Of three windows of request heads, all but the last window's worth came back as credit.
  t.true(report.granted >= report.headBytes - STREAM_WINDOW, `${report.granted} of ${report.headBytes} head bytes acknowledged`);
  t.is(report.mostInSelect, 1);
  t.deepEqual(report.errors, []);
});

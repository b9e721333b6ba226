// The CPython worker's request threads (wsgi_host/realm.py, leader and followers) driven directly over
// a realm's Unix socket by test/fixtures/python/realm-driver/drive.py: while a slow request holds the
// first leader and another thread takes over, every request is answered, and never more than one
// thread waits on the selector (two once did, and the realm stalled).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPython } from '../helpers/python.js';
import { fixture, repoRoot } from '../helpers/paths.js';

const python = findPython();

interface DriveReport { answers: string[]; mostInSelect: number; errors: unknown[] }

test('a slow request hands the selector to one other thread: all answered, one thread in the selector at a time', (t) => {
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
  t.deepEqual(report.answers, expected);
  t.is(report.mostInSelect, 1);
  t.deepEqual(report.errors, []);
});

// The CPython worker's copies of constants it shares with the TypeScript side (wsgi_host/protocol.py)
// equal the originals: control message types, the compact head's private keys, the head limit, the
// stream protocol's window and frame types, the reload check interval, the codes it emits (each in the
// catalogue, with the catalogue's status) and its reason phrases. Python prints its module as JSON;
// nothing is parsed out of source text.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import path from 'node:path';
import { PROCESS_MESSAGE_TYPES } from '../../src/protocol/messages.js';
import { MAX_HEAD_BYTES } from '../../src/protocol/http-bridge.js';
import { STAT_INTERVAL_MS } from '../../src/script/load-script.js';
import { PRIVATE_KEYS } from '../../src/protocol/wsgi-head.js';
import { FrameType, STREAM_WINDOW } from '../../src/protocol/mux.js';
import { ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE, type CatalogueEntry } from '../../src/errors.js';
import { findPython } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';

const pythonDir = path.join(repoRoot, 'src', 'worker', 'python');
const PRINT = 'import json, sys\nsys.path.insert(0, sys.argv[1])\nfrom wsgi_host import protocol\n'
  + 'print(json.dumps({k: v for k, v in vars(protocol).items() if k.isupper()}))\n';

function pythonConstants(): Record<string, unknown> {
  const python = findPython() ?? 'python3';
  const run = spawnSync(python, ['-c', PRINT, pythonDir], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const py = pythonConstants();
const catalogue = new Map<string, CatalogueEntry>(
  [ERROR_CATALOGUE, WARNING_CATALOGUE, EVENT_CATALOGUE].flatMap((c) => Object.entries(c) as [string, CatalogueEntry][]));

test('private environ keys of the compact head, head limit and reload check interval match', (t) => {
  t.deepEqual([py.REQUEST_ID_KEY, py.CHUNKED_KEY, py.DROPPED_KEY], [PRIVATE_KEYS.requestId, PRIVATE_KEYS.chunked, PRIVATE_KEYS.dropped]);
  t.is(py.MAX_HEAD_BYTES, MAX_HEAD_BYTES);
  t.is(py.RELOAD_CHECK_MS, STAT_INTERVAL_MS);
});

test('the stream protocol\'s window and frame types match mux.ts', (t) => {
  t.is(py.STREAM_WINDOW, STREAM_WINDOW);
  t.deepEqual([py.MUX_DATA, py.MUX_END, py.MUX_RESET, py.MUX_WINDOW], [FrameType.Data, FrameType.End, FrameType.Reset, FrameType.Window]);
});

test('the control message types are the process channel\'s, all of them', (t) => {
  const pyTypes = Object.entries(py).filter(([name]) => name.startsWith('MSG_')).map(([, value]) => value as string);
  t.deepEqual([...pyTypes].sort(), Object.values(PROCESS_MESSAGE_TYPES).sort());
});

test('every code the Python worker emits is in the catalogue, answered with the catalogue\'s status', (t) => {
  const codes = Object.values(py).filter((v): v is string => typeof v === 'string' && v.startsWith('SA_'));
  t.true(codes.length > 0);
  for (const code of codes) t.true(catalogue.has(code), code);
  for (const [code, status] of Object.entries(py.STATUS as Record<string, number>)) {
    t.true(codes.includes(code), `${code} is a named constant`);
    t.is(catalogue.get(code)?.statusCode, status, code);
  }
});

test('reason phrases are Node\'s, as src/http-error.ts answers', (t) => {
  for (const [status, reason] of Object.entries(py.REASONS as Record<string, string>)) t.is(reason as string | undefined, STATUS_CODES[Number(status)], status);
});

test('codes appear in protocol.py only, so the check above sees every one', (t) => {
  const elsewhere = readdirSync(path.join(pythonDir, 'wsgi_host')).filter((f) => f.endsWith('.py') && f !== 'protocol.py')
    .filter((f) => /\bSA_(?:ERR|WRN|EVT)_/.test(readFileSync(path.join(pythonDir, 'wsgi_host', f), 'utf8')));
  t.deepEqual(elsewhere, []);
});

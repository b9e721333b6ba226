// Issue 15 item 4: a script that throws while it loads gives log lines that say the reason once
// (never "boom at load: boom at load") and whose `err` is an object with type, message and stack, in
// every place a script runs: inline, an isolate, a Node pool worker and a Python pool worker (their
// lines cross a process boundary as text and are turned back into an object by the proxy).
import test from 'ava';
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { serve } from '../../plugin/serve.js';
import { createLogger } from '../../src/log.js';
import { tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython } from '../helpers/python.js';
import { waitFor } from '../helpers/events.js';

const python = findPython();
const JS_DETAIL = 'js-load-detail-7f3a';
const PY_DETAIL = 'py-load-detail-9c1e';

interface Line { msg?: string; code?: string; script?: string; err?: unknown }

test('a script that throws at load: each log line says why once, err is {type, message, stack} (inline, isolate, Node and Python pools)', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, {
    'boom.cjs': `throw new Error('${JS_DETAIL}');\n`,
    'boom.wsgi': `raise RuntimeError('${PY_DETAIL}')\n`,
  });
  const configFile = path.join(dir, 'proxy.json');
  writeFileSync(configFile, JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
    python,
    processGroups: { js: { processes: 1 }, py: { processes: 1, runtime: 'python' } },
    scriptAlias: [
      { url: '/inline', path: 'boom.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
      { url: '/isolate', path: 'boom.cjs', processGroup: '%{GLOBAL}', applicationGroup: 'iso' },
      { url: '/js', path: 'boom.cjs', processGroup: 'js', applicationGroup: '%{GLOBAL}' },
      { url: '/py', path: 'boom.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' },
    ],
  } } }));
  const lines: Line[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line); done(); } });
  const running = await serve(configFile, { log: createLogger({ level: 'info' }, sink), port: 0, watch: false });
  t.teardown(() => running.destroy());
  for (const url of ['/inline', '/isolate', '/js', '/py']) t.is((await request(running.url, url)).status, 500, url);
  // Four request lines (SA_ERR_SCRIPT_LOAD_FAILED), one per place.
  const failed = await waitFor('four load-failure lines', () => {
    const found = lines.filter((l) => l.code === 'SA_ERR_SCRIPT_LOAD_FAILED');
    return found.length >= 4 ? found : undefined;
  });
  // Every line about the load that carries an err (the failures, and the preload warnings before them).
  const withErr = lines.filter((l) => (l.code === 'SA_ERR_SCRIPT_LOAD_FAILED' || l.code === 'SA_WRN_PRELOAD_FAILED') && l.err !== undefined);
  t.true(withErr.length >= failed.length);
  for (const line of withErr) {
    const label = JSON.stringify(line).slice(0, 600);
    t.is(typeof line.err, 'object', label);
    const err = line.err as Record<string, unknown>;
    t.is(typeof err.type, 'string', label);
    t.is(typeof err.message, 'string', label);
    t.is(typeof err.stack, 'string', label);
    const detail = String(line.script).endsWith('.wsgi') ? PY_DETAIL : JS_DETAIL;
    const said = (text: unknown): number => String(text).split(detail).length - 1;
    t.is(said(err.message), 1, `the reason once in err.message: ${label}`);
    t.true(said(line.msg) === 0 && said(err.type) === 0, label);
    t.true(said(err.stack) >= 1, `the reason in err.stack: ${label}`);
  }
  t.is(failed.filter((l) => l.err !== undefined).length, 4, 'every failure line has its err');
});

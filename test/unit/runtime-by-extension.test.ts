// One function maps a script's extension to its runtime; runtimeOfScript only adds the group fallback.
import test from 'ava';
import { runtimeByExtension, runtimeOfScript } from '../../src/script/runtime-by-extension.js';

test('Python extensions (.wsgi, .py) → python, any case', (t) => {
  for (const file of ['/srv/app.wsgi', 'app.py', '/srv/APP.WSGI', 'x.Py']) t.is(runtimeByExtension(file), 'python', file);
});

test('JS extensions (.js, .mjs, .cjs) → node, any case', (t) => {
  for (const file of ['/srv/app.js', 'app.mjs', 'app.cjs', '/srv/APP.JS']) t.is(runtimeByExtension(file), 'node', file);
});

test('an extension that says nothing → null (no extension, unknown, dotfile, folder)', (t) => {
  for (const file of ['/srv/app', 'app.txt', 'app.wsgi.bak', '/srv/.py', '/srv/scripts/', 'app.']) t.is(runtimeByExtension(file), null, file);
});

test('runtimeOfScript: the extension wins, else the chosen runtime (alias, group or default)', (t) => {
  t.is(runtimeOfScript('/srv/app.wsgi', 'node'), 'python');
  t.is(runtimeOfScript('/srv/app.js', 'python'), 'node');
  t.is(runtimeOfScript('/srv/app', 'python'), 'python');
  t.is(runtimeOfScript('/srv/app', 'node'), 'node');
});

// A group starts only the runtimes its aliases' scripts need (issue 15/16: a Python-only group starts
// no Node worker), a group no alias reaches starts in its declared runtime, and a script of the other
// runtime found later in a group's folder still gets its pool on first use.
import test from 'ava';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';

const python = findPython();
const PY = pythonApp('hello');
const JS = 'module.exports.application = (req, res) => res.end("js");\n';

test('pools start per runtime the aliases need, not per group', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'app.wsgi': PY, 'app.js': JS, 'mixed/late.wsgi': PY, 'mixed/x.js': JS });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python,
    processGroups: {
      pyonly: { processes: 1, threads: 2 },               // declared node (the default), reached only by a .wsgi alias
      both: { processes: 1, threads: 2 },
      unused: { processes: 1, threads: 2, runtime: 'python', python },
      folder: { processes: 1, threads: 2 },
    },
    scriptAlias: [
      { url: '/py', path: 'app.wsgi', processGroup: 'pyonly' },
      { url: '/both-py', path: 'app.wsgi', processGroup: 'both' },
      { url: '/both-js', path: 'app.js', processGroup: 'both' },
      { url: '/mixed/', path: 'mixed/', processGroup: 'folder' },
    ],
  } } }, dir);
  const pools = Object.keys(proxy.running.plugin.status().executors).filter((id) => id.startsWith('pool:')).sort();
  t.deepEqual(pools, ['pool:node:both', 'pool:node:folder', 'pool:python:both', 'pool:python:pyonly', 'pool:python:unused']);
  t.is((await request(proxy.url, '/py')).body, 'py');
  t.is((await request(proxy.url, '/mixed/x.js')).body, 'js');
  t.is((await request(proxy.url, '/mixed/late.wsgi')).body, 'py', 'a Python file in a node folder gets its pool on first use');
  t.true(Object.keys(proxy.running.plugin.status().executors).includes('pool:python:folder'));
});

// Which runtime runs a script whose name says nothing (DESIGN §2): the alias's `runtime` (object key
// or directive option runtime=), else its group's, else defaults.runtime, else node. A mod_wsgi site's
// extension-less scripts and its index.html index script run as Python in the global and a named group.
import test from 'ava';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython, pythonApp } from '../helpers/python.js';

const python = findPython();
const PY = pythonApp('runtime-report');
const JS = 'module.exports.application = (req, res) => res.end(`node ${req.baseUrl}|${req.scriptAlias.processGroup}`);\n';

test('runtime=python runs extension-less and index.html scripts as Python in the global and a named group', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'site/hello': PY, 'site/index.html': PY, 'js/hello': JS });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python,
    processGroups: { web: { processes: 1, threads: 2 } },
    scriptAlias: [
      '/g/ site/ runtime=python',
      { url: '/n/', path: 'site/', processGroup: 'web', runtime: 'python' },
      { url: '/j', path: 'js/hello' },
    ],
  } } }, dir);
  t.is((await request(proxy.url, '/g/hello')).body, 'python /g/hello||3');
  t.is((await request(proxy.url, '/g/')).body, 'python /g/index.html||3');
  t.is((await request(proxy.url, '/n/hello')).body, 'python /n/hello|web|3');
  t.is((await request(proxy.url, '/n/')).body, 'python /n/index.html|web|3');
  t.is((await request(proxy.url, '/j')).body, 'node /j|', 'no runtime written: node');
});

test('defaults.runtime and a group runtime decide when the alias says nothing; the alias beats both', async (t) => {
  if (!python) { t.fail('no python3'); return; }
  const dir = tempDir(t);
  writeTree(dir, { 'py/hello': PY, 'js/hello': JS });
  const proxy = await startProxy(t, { plugins: { scriptalias: {
    python,
    defaults: { runtime: 'python' },
    processGroups: { jsg: { processes: 1, threads: 2, runtime: 'node' } },
    scriptAlias: [
      { url: '/d', path: 'py/hello' },
      { url: '/grp', path: 'js/hello', processGroup: 'jsg' },
      { url: '/forced', path: 'js/hello', runtime: 'node' },
    ],
  } } }, dir);
  t.is((await request(proxy.url, '/d')).body, 'python /d||3');
  t.is((await request(proxy.url, '/grp')).body, 'node /grp|jsg');
  t.is((await request(proxy.url, '/forced')).body, 'node /forced|');
});

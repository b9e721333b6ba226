// Issue 15 item 8: worker processes are titled scriptalias:<group> in ps, the Python ones as the
// Node ones: /proc/<pid>/cmdline (ps -o args) is the title, /proc/<pid>/comm (ps -o comm) its first
// 15 bytes; a group's displayName replaces it. Each python3 found (Debian's and the one on PATH)
// is tried, since the title is written through /proc with the standard library only.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import type { RuntimeStatus } from '../../plugin/index.js';

const PY_APP = 'def application(environ, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"py"]\n';
const JS_APP = 'exports.application = (req, res) => res.end("js");\n';

function pythons(): string[] {
  const found: string[] = [];
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    if (probe.status === 0 && !found.includes(probe.stdout.trim())) found.push(probe.stdout.trim());
  }
  return found;
}

/** What ps shows of a process: its command line (NULs as ps joins them, trailing ones dropped) and comm. */
function title(pid: number): { args: string; comm: string } {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
  return { args: cmdline, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
}

function pidsOf(status: RuntimeStatus, group: string): number[] {
  const found = Object.values(status.executors).find((e) => e.kind === 'process-group' && e.processGroup === group);
  return found?.kind === 'process-group' ? found.processes.map((p) => p.pid) : [];
}

const interpreters = pythons();

test('python3 is available for the title tests', (t) => {
  t.true(interpreters.length > 0, 'no python3 (apt-get install python3)');
});

for (const python of interpreters) {
  test(`Python and Node workers are titled scriptalias:<group>, or their displayName (${python})`, async (t) => {
    const dir = tempDir(t);
    writeTree(dir, { 'app.wsgi': PY_APP, 'app.js': JS_APP });
    const proxy = await startProxy(t, { plugins: { scriptalias: {
      python,
      processGroups: {
        py: { processes: 1, runtime: 'python' },
        named: { processes: 1, runtime: 'python', displayName: 'billing-api (wsgi)' },
        js: { processes: 1 },
      },
      scriptAlias: [
        { url: '/py', path: 'app.wsgi', processGroup: 'py', applicationGroup: '%{GLOBAL}' },
        { url: '/named', path: 'app.wsgi', processGroup: 'named', applicationGroup: '%{GLOBAL}' },
        { url: '/js', path: 'app.js', processGroup: 'js', applicationGroup: '%{GLOBAL}' },
      ],
    } } }, dir);
    // A request each, so every worker has finished its start (the title is set when it starts).
    for (const url of ['/py', '/named', '/js']) t.is((await request(proxy.url, url)).status, 200, url);
    const status = proxy.running.plugin.status();
    const [py] = pidsOf(status, 'py');
    const [named] = pidsOf(status, 'named');
    const [js] = pidsOf(status, 'js');
    t.truthy(py && named && js, JSON.stringify(status));
    t.deepEqual(title(py!), { args: 'scriptalias:py', comm: 'scriptalias:py' });
    t.deepEqual(title(named!), { args: 'billing-api (wsgi)', comm: 'billing-api (ws' });
    t.deepEqual(title(js!), { args: 'scriptalias:js', comm: 'scriptalias:js' });
  });
}

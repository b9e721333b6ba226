// The preload rule, exactly (DESIGN §5): a script is loaded as its process (or realm) starts only when
// its alias itself writes both processGroup and applicationGroup; an alias that writes one or neither
// (the rest from `defaults`) loads on its first request. Every executor × runtime, and again after a
// named group's worker is replaced.
import test from 'ava';
import path from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';
import { findPython } from '../helpers/python.js';
import { waitFor } from '../helpers/events.js';

const python = findPython();

const EXECUTORS = [
  { name: 'inline', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
  { name: 'isolate', processGroup: '%{GLOBAL}', applicationGroup: 'app' },
  { name: 'named group, %{GLOBAL} app group', processGroup: 'grp', applicationGroup: '%{GLOBAL}' },
  { name: 'named group, named app group', processGroup: 'grp', applicationGroup: 'app' },
] as const;
const WRITES = ['both', 'application', 'process', 'neither'] as const;

function script(runtime: 'js' | 'python', marks: string, name: string): string {
  if (runtime === 'js') {
    return `require('node:fs').appendFileSync(${JSON.stringify(marks)}, ${JSON.stringify(name)} + ' ' + process.pid + '\\n');
module.exports.application = (req, res) => res.end(String(process.pid));
`;
  }
  return `import os
with open(${JSON.stringify(marks)}, 'a') as f:
    f.write('${name} %d\\n' % os.getpid())
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str(os.getpid()).encode()]
`;
}

function loadsOf(marks: string): Array<{ name: string; pid: number }> {
  if (!existsSync(marks)) return [];
  return readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [name, pid] = line.split(' ');
    return { name: name!, pid: Number(pid) };
  });
}

for (const runtime of ['js', 'python'] as const) {
  for (const executor of EXECUTORS) {
    test(`${runtime}, ${executor.name}: preloaded exactly when the alias writes both groups (also after a restart)`, async (t) => {
      if (runtime === 'python' && !python) { t.fail('no python3'); return; }
      const dir = tempDir(t);
      const marks = path.join(dir, 'loads.log');
      const ext = runtime === 'js' ? 'cjs' : 'wsgi';
      const files: Record<string, string> = {};
      const aliases = WRITES.map((writes) => {
        files[`${writes}.${ext}`] = script(runtime, marks, writes);
        const entry: Record<string, string> = { url: `/${writes}`, path: `${writes}.${ext}` };
        if (writes === 'both' || writes === 'process') entry.processGroup = executor.processGroup;
        if (writes === 'both' || writes === 'application') entry.applicationGroup = executor.applicationGroup;
        return entry;
      });
      writeTree(dir, files);
      const proxy = await startProxy(t, { plugins: { scriptalias: {
        ...(python ? { python } : {}),
        // Only what differs from the built-in defaults (%{GLOBAL} process group) is written there.
        defaults: { ...(executor.processGroup === '%{GLOBAL}' ? {} : { processGroup: executor.processGroup }), applicationGroup: executor.applicationGroup },
        processGroups: { grp: { processes: 1, threads: 4, runtime: runtime === 'js' ? 'node' : 'python', ...(python ? { python } : {}) } },
        scriptAlias: aliases,
      } } }, dir);
      // Ready means preloads done: only the alias that writes both groups has loaded.
      t.deepEqual(loadsOf(marks).map((l) => l.name), ['both'], 'loaded before any request');
      const pids = new Map<string, number>();
      for (const writes of WRITES) pids.set(writes, Number((await request(proxy.url, `/${writes}`)).body));
      t.deepEqual(loadsOf(marks).map((l) => l.name).sort(), ['application', 'both', 'neither', 'process'], 'the rest loaded on first request');
      const distinct = new Set(pids.values());
      t.is(distinct.size, 1, 'every alias reached the same executor');
      if (executor.processGroup !== 'grp') return;
      // A replaced worker preloads again before it takes requests; the others wait for their request.
      const oldPid = pids.get('both')!;
      process.kill(oldPid, 'SIGKILL');
      const newPid = await waitFor('a new ready worker', () => {
        const group = Object.values(proxy.running.plugin.status().executors).find((e) => e.processGroup === 'grp');
        const ready = group?.processes.find((p) => p.state === 'ready' && p.pid !== oldPid);
        return ready?.pid;
      });
      t.deepEqual(loadsOf(marks).filter((l) => l.pid === newPid).map((l) => l.name), ['both'], 'the new worker preloaded only the alias that writes both');
    });
  }
}

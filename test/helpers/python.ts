// Picks the Python a test needs: Debian's /usr/bin/python3 (where apt's python3-flask lands) when it
// can import the modules asked for, else the first python3 on PATH that can; null when none can.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';

export function findPython(modules: readonly string[] = []): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const code = modules.map((m) => `import ${m}`).join('; ') || 'pass';
    const probe = spawnSync(candidate, ['-c', code], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** The text of a WSGI app in test/fixtures/python/<name>/app.wsgi, to write where a test needs it. */
export function pythonApp(name: string): string {
  return readFileSync(fixture('python', name, 'app.wsgi'), 'utf8');
}

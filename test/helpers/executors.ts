// The six places a script can run, as one table shared by the tests that must cover them all:
// inline, isolate and a named group (main realm and an application group) for JS; the global group's
// companions and a named group for Python. `sixAliases` mounts one JS and one WSGI file at each.

export const EXECUTORS = [
  { name: 'js inline', url: '/js-inline', runtime: 'js' },
  { name: 'js isolate', url: '/js-isolate', runtime: 'js' },
  { name: 'js named group', url: '/js-pool', runtime: 'js' },
  { name: 'js named group app group', url: '/js-pool-app', runtime: 'js' },
  { name: 'python global group', url: '/py-global', runtime: 'python' },
  { name: 'python named group', url: '/py-pool', runtime: 'python' },
] as const;

/** scriptAlias entries for EXECUTORS: `js` and `wsgi` are the script files (relative to the config). */
export function sixAliases(js: string, wsgi: string): unknown[] {
  return [
    { url: '/js-inline', path: js, processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' },
    { url: '/js-isolate', path: js, applicationGroup: 'iso' },
    { url: '/js-pool', path: js, processGroup: 'jsg', applicationGroup: '%{GLOBAL}' },
    { url: '/js-pool-app', path: js, processGroup: 'jsg', applicationGroup: 'app' },
    { url: '/py-global', path: wsgi },
    { url: '/py-pool', path: wsgi, processGroup: 'pyg' },
  ];
}

/** The two named groups sixAliases uses: 1 process × 4 slots each. */
export function sixGroups(python: string): Record<string, unknown> {
  return { jsg: { processes: 1, threads: 4 }, pyg: { processes: 1, threads: 4, runtime: 'python', python } };
}

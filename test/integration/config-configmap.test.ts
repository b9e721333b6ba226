// A config file mounted from a Kubernetes ConfigMap: the exact layout kubelet writes
// (proxy.json -> ..data/proxy.json, ..data -> ..<timestamp>) and its atomic update (a new timestamped
// folder, a ..data_tmp link renamed over ..data, the old folder removed). `serve` follows each swap
// and applies it; a swap to an invalid config is rejected and the old one keeps serving.
import test from 'ava';
import { readFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture } from '../helpers/paths.js';
import { tempDir, request } from '../helpers/proxy.js';
import { serveCli, type LogEntry } from '../helpers/cli.js';

function config(name: string): string {
  return JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: { scriptAlias: [{ url: `/${name}`, path: 'app.js' }] } } }, null, 2);
}

/** A mounted ConfigMap volume with the keys proxy.json and app.js, as kubelet lays it out. */
class ConfigMapVolume {
  #serial = 0;
  #current: string | null = null;
  constructor(readonly dir: string) {}

  /** Writes a new version the way kubelet's atomic writer does, and swaps ..data to it. */
  publish(files: Record<string, string>, removeOld = true): void {
    const version = `..2026_11_27_17_00_00.${String(++this.#serial).padStart(9, '0')}`;
    mkdirSync(path.join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(this.dir, version, name), content);
    if (this.#current === null) {
      symlinkSync(version, path.join(this.dir, '..data'));
      for (const name of Object.keys(files)) symlinkSync(path.join('..data', name), path.join(this.dir, name));
    } else {
      symlinkSync(version, path.join(this.dir, '..data_tmp'));
      renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
      if (removeOld) rmSync(path.join(this.dir, this.#current), { recursive: true });
    }
    this.#current = version;
  }
}

const reloaded = (e: LogEntry): boolean => e.msg === 'config reloaded';

test('serve follows a ConfigMap volume\'s ..data symlink swap; an invalid version is rejected (SA_ERR_RELOAD_FAILED)', async (t) => {
  const dir = tempDir(t);
  const app = readFileSync(fixture('cli', 'app.js'), 'utf8');
  const volume = new ConfigMapVolume(dir);
  volume.publish({ 'proxy.json': config('v1'), 'app.js': app });
  const p = await serveCli(t, [path.join(dir, 'proxy.json')]);
  t.is((await request(p.url, '/v1')).status, 200);

  let mark = p.logs.entries.length;
  volume.publish({ 'proxy.json': config('v2'), 'app.js': app });
  await p.logs.next(reloaded, mark);
  t.is((await request(p.url, '/v2')).status, 200);
  t.is(p.logs.entries.slice(mark).filter(reloaded).length, 1, 'one swap, one reload');
  t.is((await request(p.url, '/v1')).status, 404);

  mark = p.logs.entries.length;
  volume.publish({ 'proxy.json': '{"proxy": ', 'app.js': app });
  await p.logs.next((e) => e.code === 'SA_ERR_RELOAD_FAILED', mark);
  t.true(p.logs.entries.slice(mark).some((e) => e.code === 'SA_ERR_CONFIG_JSON'));
  t.is((await request(p.url, '/v2')).status, 200, 'the old config keeps serving');

  // And the next good version after a bad one still applies.
  mark = p.logs.entries.length;
  volume.publish({ 'proxy.json': config('v3'), 'app.js': app });
  await p.logs.next(reloaded, mark);
  t.is((await request(p.url, '/v3')).status, 200);
});

test('a swap that leaves the old version in place is followed too (the file under the old link never changes)', async (t) => {
  // Only the ..data rename happens: the file chokidar watches (through the old link) is untouched, so
  // the folder watch is what sees it. kubelet removes the old version in a later step; a crash between
  // the steps, or another writer of this layout, leaves it.
  const dir = tempDir(t);
  const app = readFileSync(fixture('cli', 'app.js'), 'utf8');
  const volume = new ConfigMapVolume(dir);
  volume.publish({ 'proxy.json': config('v1'), 'app.js': app });
  const p = await serveCli(t, [path.join(dir, 'proxy.json')]);
  const mark = p.logs.entries.length;
  volume.publish({ 'proxy.json': config('v2'), 'app.js': app }, false);
  await p.logs.next(reloaded, mark);
  t.is((await request(p.url, '/v2')).status, 200);
});

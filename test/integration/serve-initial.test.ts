// `serve` with the config its caller already read and validated (the CLI reads it once to choose one
// process or a cluster): it serves exactly that config, not what a second read of the file would
// give, so a file swapped between the choice and the start cannot make the two disagree.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { serve } from '../../plugin/serve.js';
import { loadConfig } from '../../plugin/index.js';
import { silentLogger } from '../../src/log.js';
import { tempDir, writeTree, request } from '../helpers/proxy.js';

const configWith = (url: string): string => JSON.stringify({ proxy: { port: 0, host: '127.0.0.1' }, plugins: { scriptalias: {
  scriptAlias: [{ url, path: 'hello.cjs', processGroup: '%{GLOBAL}', applicationGroup: '%{GLOBAL}' }],
} } });

test('serve runs the initial config it is given, though the file changed after it was read', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, { 'hello.cjs': "exports.application = (req, res) => res.end('hello');\n" });
  const file = path.join(dir, 'proxy.json');
  writeFileSync(file, configWith('/first'));
  const config = await loadConfig(file);
  writeFileSync(file, configWith('/second')); // the swap, between the read and the start
  const running = await serve(file, { log: silentLogger(), port: 0, watch: false, initial: { source: file, config } });
  t.teardown(() => running.destroy());
  t.is((await request(running.url, '/first')).status, 200);
  t.is((await request(running.url, '/second')).status, 404);
});

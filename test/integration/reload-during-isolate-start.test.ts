// A reload while an isolate is still starting for its first request (found with etcd reloads): the
// old generation lets the isolate go and closes it gracefully; the request waiting for the thread
// is in flight too, so it is answered (200), never cut with 502 "worker connection lost".
import test from 'ava';
import { startProxy, tempDir, writeTree, request } from '../helpers/proxy.js';

test('a reload while an application group thread starts for its first request: that request still gets 200', async (t) => {
  const dir = tempDir(t);
  writeTree(dir, {
    // Takes a while to load.
    'slow.cjs': `const end = Date.now() + 400; while (Date.now() < end);
module.exports = (req, res) => res.end('loaded\\n');\n`,
  });
  // Only the application group is given: the isolate starts on the first request, not with the generation.
  const { url, running } = await startProxy(t, { plugins: { scriptalias: { scriptAlias: [{ url: '/slow', path: 'slow.cjs', applicationGroup: 'slow' }] } } }, dir);
  const first = request(url, '/slow');
  // At once, while the thread boots: the same file again makes a new generation that has not started
  // this isolate, and the old one lets it go.
  await running.reload();
  const answer = await first;
  t.is(answer.status, 200, answer.body);
  t.is(answer.body, 'loaded\n');
  t.is((await request(url, '/slow')).status, 200);
});

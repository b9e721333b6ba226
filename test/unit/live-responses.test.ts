// The inline executor's list of responses not yet closed (src/script/live-responses.ts): what a Set
// did (add, delete, size, a walk that survives deletions), and what it did not: requests that came and
// went are not kept alive into V8's old generation by the container.
import test from 'ava';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { LiveResponses } from '../../src/script/live-responses.js';
import { repoRoot } from '../helpers/paths.js';

const response = (): http.ServerResponse => new http.ServerResponse(new http.IncomingMessage(null as never));

test('adds, deletes from the head, middle and tail, and counts as a Set would', (t) => {
  const live = new LiveResponses();
  const [a, b, c, d] = [response(), response(), response(), response()];
  for (const res of [a, b, c, d]) live.add(res);
  live.add(b); // already in: no second entry
  t.is(live.size, 4);
  t.true(live.delete(b)); // middle
  t.false(live.delete(b)); // gone already
  t.true(live.delete(d)); // the head (last added)
  t.true(live.delete(a)); // the tail
  t.deepEqual(live.snapshot(), [c]);
  t.false(live.delete(response())); // never in
  t.true(live.delete(c));
  t.is(live.size, 0);
  t.deepEqual(live.snapshot(), []);
  live.add(a); // back in after leaving
  t.deepEqual(live.snapshot(), [a]);
});

test('a snapshot can be walked while each response leaves the list (stop destroys them one by one)', (t) => {
  const live = new LiveResponses();
  const all = Array.from({ length: 5 }, response);
  for (const res of all) live.add(res);
  const seen: http.ServerResponse[] = [];
  for (const res of live.snapshot()) {
    seen.push(res);
    live.delete(res);
  }
  t.is(seen.length, 5);
  t.deepEqual(new Set(seen), new Set(all));
  t.is(live.size, 0);
});

// 200 000 requests through a container that lives in the old generation, 128 in flight at a time, in a
// child with --expose-gc. A Set there re-allocates its table in the old generation as entries come and
// go, and the outgrown tables keep every request they held alive through young-generation GCs, which
// promote them: the old generation grows by tens of MB (measured: ~85 MB). The list must not.
test('requests that left the list do not pile up in the old generation (a Set beside it, same run)', (t) => {
  const moduleUrl = pathToFileURL(path.join(repoRoot, 'dist', 'src', 'script', 'live-responses.js')).href;
  const child = (kind: 'set' | 'list'): number => {
    const source = `
      import v8 from 'node:v8';
      import http from 'node:http';
      import { LiveResponses } from ${JSON.stringify(moduleUrl)};
      const oldUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
      const live = ${kind === 'set' ? 'new Set()' : 'new LiveResponses()'};
      globalThis.gc(); globalThis.gc();
      const before = oldUsed();
      const inFlight = [];
      for (let i = 0; i < 200000; i++) {
        const res = new http.ServerResponse(new http.IncomingMessage(null));
        live.add(res); inFlight.push(res);
        if (inFlight.length > 128) live.delete(inFlight.shift());
      }
      process.stdout.write(String(oldUsed() - before));`;
    return Number(execFileSync(process.execPath, ['--expose-gc', '--single-threaded-gc', '--input-type=module', '-e', source]).toString());
  };
  const setGrowth = child('set');
  const listGrowth = child('list');
  t.log(`old generation growth: Set ${(setGrowth / 1e6).toFixed(1)} MB, list ${(listGrowth / 1e6).toFixed(1)} MB`);
  t.true(listGrowth < Math.max(setGrowth / 4, 16e6), `list ${listGrowth} bytes, Set ${setGrowth} bytes`);
});

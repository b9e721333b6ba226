// The "stops reading" check of a pool (fixtures "flood": a JS pool script and a WSGI app that count
// what they send): a client pauses a 64 MiB answer from `<proxy>/f/flood`; the writer stalls with
// bounded bytes out while other requests (the progress looks, on the same worker connection as the
// paused stream) flow; once the client reads again, the answer arrives whole.
import type { ExecutionContext } from 'ava';
import http from 'node:http';
import { once } from 'node:events';
import { waitForStall, type SendProgress } from './events.js';
import { json } from './proxy.js';

const MiB = 1 << 20;

/** `writer`: who sends (for the messages); `stall`: what the stall waits on ("drain", "credit"). */
export async function checkPausedClientStallsOnlyItsStream(t: ExecutionContext, proxyUrl: string, writer: string, stall: string): Promise<void> {
  const req = http.get(`${proxyUrl}/f/flood?mb=64`);
  t.teardown(() => req.destroy());
  const [res] = await once(req, 'response') as [http.IncomingMessage];
  res.pause();
  const stalled = await waitForStall(`${writer} to stall on ${stall}`, async () => (await json<SendProgress>(proxyUrl, '/f/progress')).body);
  t.log(`stalled after ${stalled.sent} bytes`);
  t.false(stalled.done, `${writer} sent all 64 MiB although the client read nothing`);
  t.true(stalled.sent < 24 * MiB, `${stalled.sent} bytes left ${writer} while the client read nothing`);
  let received = 0;
  res.on('data', (chunk: Buffer) => { received += chunk.length; });
  res.resume();
  await once(res, 'end');
  t.is(received, 64 * MiB);
}

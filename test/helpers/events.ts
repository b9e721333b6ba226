// The only way tests wait: for a condition (polled on a short interval, with a deadline), never a
// fixed sleep.
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a writer that counts its bytes reports (test fixtures "flood": a JS pool script, a WSGI app). */
export interface SendProgress { readonly sent: number; readonly done: boolean; readonly waiting?: boolean }

/** Looks at a writer's progress until it is done, or stalled: the same count (and `waiting`, when it
 *  reports one) on 10 consecutive looks. Each look is a request of its own, so reaching a stall also
 *  shows that the stalled stream holds up no one else. */
export async function waitForStall<P extends SendProgress>(what: string, look: () => Promise<P>): Promise<P> {
  let last = -1;
  let same = 0;
  return waitFor(what, async () => {
    const p = await look();
    if (p.done) return p;
    same = p.waiting !== false && p.sent === last ? same + 1 : 0;
    last = p.sent;
    return same >= 10 ? p : undefined;
  });
}

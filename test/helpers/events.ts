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

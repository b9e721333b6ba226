// Polls a condition on a short interval until it holds or a limit passes: for drains, where the
// condition is spread over many counters (in-flight requests of several workers, a queue).
export async function waitUntil(done: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

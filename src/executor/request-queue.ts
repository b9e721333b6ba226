// Bounded FIFO of requests waiting for a free slot. Full → the caller answers 503 (queue full);
// an entry older than queueTimeoutMs is dropped with 503 (queue timeout); a request whose client
// went away leaves the queue. Pure bookkeeping: the caller owns the responses.

export interface Waiting<T> {
  readonly item: T;
  readonly enqueuedAt: number;
}

export class RequestQueue<T> {
  readonly #items: Waiting<T>[] = [];
  readonly #limit: number;
  readonly #timeoutMs: number;

  constructor(limit: number, timeoutMs: number) {
    this.#limit = limit;
    this.#timeoutMs = timeoutMs;
  }

  get length(): number {
    return this.#items.length;
  }

  /** False when the queue is full (the request must be refused). */
  push(item: T, now: number): boolean {
    if (this.#items.length >= this.#limit) return false;
    this.#items.push({ item, enqueuedAt: now });
    return true;
  }

  /** The oldest entry still in time; expired ones are handed to onExpired first. */
  shift(now: number, onExpired: (item: T) => void): T | undefined {
    for (;;) {
      const next = this.#items.shift();
      if (!next) return undefined;
      if (this.#timeoutMs > 0 && now - next.enqueuedAt > this.#timeoutMs) {
        onExpired(next.item);
        continue;
      }
      return next.item;
    }
  }

  /** Drops entries older than the timeout (called by a timer, so waiting requests expire on time). */
  expire(now: number, onExpired: (item: T) => void): void {
    if (this.#timeoutMs <= 0) return;
    while (this.#items.length > 0 && now - this.#items[0]!.enqueuedAt > this.#timeoutMs) onExpired(this.#items.shift()!.item);
  }

  remove(item: T): boolean {
    const index = this.#items.findIndex((w) => w.item === item);
    if (index < 0) return false;
    this.#items.splice(index, 1);
    return true;
  }

  drain(): T[] {
    return this.#items.splice(0).map((w) => w.item);
  }
}

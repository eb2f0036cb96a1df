/**
 * Flow control towards the SMSC. The window caps unacknowledged submit_sm (SMSCs allow a fixed number per bind
 * and answer ESME_RTHROTTLED beyond it); the pacer spaces submits to a contracted rate and backs off for a
 * moment when the SMSC says "throttled" or "queue full", instead of hammering it.
 */

export class SubmitWindow {
  #inFlight = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('window size must be a positive integer');
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves with a release function once a slot is free; slots are granted in request order. */
  async acquire(): Promise<() => void> {
    if (this.#inFlight >= this.size) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    else this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // The slot passes straight to the next waiter, so the count never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.#inFlight--;
    };
  }
}

export class Pacer {
  #nextFree = 0;
  readonly #intervalMs: number;

  /** maxPerSecond undefined or 0: no rate limit, only the slow-down pauses. */
  constructor(maxPerSecond?: number) {
    this.#intervalMs = maxPerSecond && maxPerSecond > 0 ? 1000 / maxPerSecond : 0;
  }

  /** Waits for this submit's turn. */
  async take(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.#nextFree);
    this.#nextFree = at + this.#intervalMs;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }

  /** No submit starts within the next `ms`. */
  pause(ms: number): void {
    this.#nextFree = Math.max(this.#nextFree, Date.now() + ms);
  }
}

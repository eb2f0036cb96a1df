/**
 * Whether the TSA may trust its clock. A stamp says "this existed at genTime ± accuracy"; a TSA whose clock
 * has drifted must refuse (timeNotAvailable) rather than sign a wrong time. The reference is the database
 * server's clock, which every node of an installation shares: each check reads it and compares it with
 * ours at the middle of the round trip, allowing for half the round trip. Trust ends when the last check
 * failed or is older than three check periods (the database cannot be reached), measured on the monotonic
 * clock, which no one resets.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface ClockReading {
  /** Reference minus ours, at the middle of the round trip (ms). */
  offsetMs: number;
  roundTripMs: number;
  trusted: boolean;
  /** Why not trusted; absent when trusted. */
  reason?: string;
}

export interface ClockGuardOptions {
  maxDriftMs: number;
  checkEveryMs: number;
  /** Our wall clock: the one genTime is read from (ServerContext.now). */
  now: () => Date;
  /** Monotonic milliseconds (default performance.now): ages the last check. */
  monotonic?: () => number;
  onChange?: (reading: ClockReading) => void;
}

export class ClockGuard {
  readonly #db: Kysely<Database>;
  readonly #o: ClockGuardOptions;
  readonly #monotonic: () => number;
  #last: ClockReading | undefined;
  #lastAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<ClockReading> | undefined;

  constructor(db: Kysely<Database>, options: ClockGuardOptions) {
    this.#db = db;
    this.#o = options;
    this.#monotonic = options.monotonic ?? (() => performance.now());
  }

  /** Compares our clock with the reference now; concurrent callers share one comparison. */
  check(): Promise<ClockReading> {
    this.#checking ??= this.#compare().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #compare(): Promise<ClockReading> {
    let reading: ClockReading;
    try {
      const start = this.#monotonic();
      const before = this.#o.now().getTime();
      const { rows } = await sql<{ at: Date }>`SELECT clock_timestamp() AS at`.execute(this.#db);
      const after = this.#o.now().getTime();
      const roundTripMs = this.#monotonic() - start;
      const reference = new Date(rows[0]!.at).getTime();
      const offsetMs = reference - (before + after) / 2;
      // Our reading could be off by up to half the round trip either way.
      const worst = Math.abs(offsetMs) + roundTripMs / 2;
      reading =
        worst <= this.#o.maxDriftMs
          ? { offsetMs, roundTripMs, trusted: true }
          : { offsetMs, roundTripMs, trusted: false, reason: `the clock is ${Math.round(offsetMs)} ms from the database server's (round trip ${Math.round(roundTripMs)} ms); at most ${this.#o.maxDriftMs} ms is allowed` };
    } catch (e) {
      reading = { offsetMs: NaN, roundTripMs: NaN, trusted: false, reason: `the reference clock (the database server) cannot be read: ${(e as Error).message}` };
    }
    const changed = this.#last?.trusted !== reading.trusted;
    this.#last = reading;
    this.#lastAt = this.#monotonic();
    if (changed) this.#o.onChange?.(reading);
    return reading;
  }

  /** Undefined when the clock may be trusted now, otherwise why not. */
  distrust(): string | undefined {
    if (!this.#last) return 'the clock has not been compared with the reference yet';
    if (!this.#last.trusted) return this.#last.reason;
    const age = this.#monotonic() - this.#lastAt;
    if (age > 3 * this.#o.checkEveryMs) return `the clock was last compared with the reference ${Math.round(age / 1000)} s ago`;
    return undefined;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#o.checkEveryMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking?.catch(() => undefined);
  }
}

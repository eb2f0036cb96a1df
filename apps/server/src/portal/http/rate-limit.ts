/**
 * Per-client request limits for the portal's sensitive endpoints (login, SMS codes, applications): a fixed
 * one-minute window per (client address, bucket), in memory.
 *
 * Why not @fastify/rate-limit (installed): importing it augments Fastify's route-config type for the whole
 * program, which turns other features' own route config (the CA API's `scope`) into type errors. This is
 * the same fixed-window counting in a few lines. It is per node: with N portal nodes a client gets N times
 * the budget. The limits that must hold across nodes — wrong SMS codes, codes sent per application and per
 * person per day, applications per person per day — are counted in the database (reissue/otp.ts, service.ts).
 */
import { QtError } from '@qoltanba/pki';

export type Bucket = 'login' | 'sms' | 'applications';

interface Window {
  count: number;
  resetAt: number;
}

export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(options: { windowMs?: number; now?: () => number } = {}) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Counts one request; throws QT_ERR_RATE_LIMITED (with retryAfterSeconds) once `max` is exceeded. */
  hit(client: string, bucket: Bucket, max: number): void {
    const now = this.#now();
    this.#sweep(now);
    const key = `${bucket}\0${client}`;
    let w = this.#windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + this.#windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    if (w.count > max) {
      throw new QtError('QT_ERR_RATE_LIMITED', undefined, { retryAfterSeconds: Math.ceil((w.resetAt - now) / 1000), bucket });
    }
  }

  /** Forgets windows that have ended, at most once per window, so memory follows the active clients only. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const [k, w] of this.#windows) if (now >= w.resetAt) this.#windows.delete(k);
  }
}

/** Exponential backoff with jitter, so a thousand reminders failed by one SMSC outage do not all come back at once. */
import type { RetryPolicy } from '../settings.ts';

/** Delay before attempt `attempts + 1`, after `attempts` failed ones: base·2^(attempts-1), capped, ±20 %. */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const exact = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, attempts - 1)) * 1000;
  return Math.round(exact * (0.8 + 0.4 * random()));
}

/** Back-off tuning for one channel. */
export interface RetryPolicy {
  /** Ceiling of the first back-off, in ms. */
  readonly initialDelayMs: number;
  /** Largest ceiling any back-off may reach, in ms. */
  readonly maxDelayMs: number;
  /** Total time a batch may spend being retried, from its first attempt; then `retries_exhausted`. */
  readonly maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, maxElapsedMs: 60_000 };

/**
 * Exponential back-off with FULL jitter: a uniform draw in [0, min(max, initial * 2^attempt)).
 * Full jitter spreads many clients hitting one recovering backend better than equal jitter does.
 *
 * @example
 * backoffDelayMs(0, DEFAULT_RETRY, Math.random); // somewhere in [0, 500)
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` as delta-seconds or an HTTP date into a wait in ms; `undefined` when absent
 * or malformed (a past date means "now": 0).
 *
 * @example
 * parseRetryAfter('3', Date.now()); // 3000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Only accept things that look like a date; Date.parse alone accepts "1" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

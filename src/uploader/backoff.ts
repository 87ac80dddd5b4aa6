// When to try a row again: capped exponential backoff with full jitter, with the server's Retry-After as a floor.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Longest Retry-After honoured; a larger (or absurd) value is clamped to this. */
  maxRetryAfterMs: number;
}

/** Full jitter: random_between(0, min(cap, base * 2 ** retry)), `retry` counting from 0. */
export function jitteredBackoff(retry: number, policy: Pick<BackoffPolicy, 'baseMs' | 'capMs'>, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3), in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Every HTTP-date form names its month; Date.parse alone would read "-5" as a year.
  if (!/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Delay before the next attempt after `retry` earlier failures in a row. */
export function retryDelay(
  retry: number,
  retryAfter: string | null,
  now: number,
  policy: BackoffPolicy,
  random: () => number,
): number {
  const backoff = jitteredBackoff(retry, policy, random);
  const floor = parseRetryAfter(retryAfter, now);
  return floor === null ? backoff : Math.max(backoff, Math.min(floor, policy.maxRetryAfterMs));
}

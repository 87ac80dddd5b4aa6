import { describe, expect, it } from 'vitest';
import { jitteredBackoff, parseRetryAfter, retryDelay } from '../../src/uploader/backoff.js';

/** mulberry32: a seeded random in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policy = { baseMs: 1_000, capMs: 60_000, maxRetryAfterMs: 120_000 };
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('jitteredBackoff (full jitter)', () => {
  it('stays within [0, min(cap, base * 2^retry)) and uses the whole range', () => {
    const random = seeded(42);
    for (let retry = 0; retry < 12; retry++) {
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** retry);
      const samples = Array.from({ length: 400 }, () => jitteredBackoff(retry, policy, random));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThan(ceiling);
      // Full jitter spreads over the range, not clustered at the top.
      expect(Math.min(...samples)).toBeLessThan(ceiling * 0.05);
      expect(Math.max(...samples)).toBeGreaterThan(ceiling * 0.95);
    }
  });

  it('is exactly random * ceiling, capped, even for huge retry counts', () => {
    expect(jitteredBackoff(0, policy, () => 0.5)).toBe(500);
    expect(jitteredBackoff(3, policy, () => 0.5)).toBe(4_000);
    expect(jitteredBackoff(10_000, policy, () => 0.999)).toBe(59_940);
    expect(jitteredBackoff(-1, policy, () => 0.5)).toBe(500);
  });
});

describe('Retry-After', () => {
  it('parses delay-seconds and HTTP-dates; null when absent or unreadable', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 11:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter(null, NOW)).toBeNull();
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter('-5', NOW)).toBeNull();
  });

  it('is a floor under the jittered backoff, clamped to maxRetryAfterMs', () => {
    const zero = () => 0;
    expect(retryDelay(0, '30', NOW, policy, zero)).toBe(30_000);
    expect(retryDelay(0, new Date(NOW + 45_000).toUTCString(), NOW, policy, zero)).toBe(45_000);
    expect(retryDelay(0, '86400', NOW, policy, zero)).toBe(120_000);
    // A larger backoff wins over a small Retry-After.
    expect(retryDelay(5, '1', NOW, policy, () => 0.5)).toBe(16_000);
    expect(retryDelay(5, null, NOW, policy, () => 0.5)).toBe(16_000);
    expect(retryDelay(0, 'garbage', NOW, policy, () => 0.5)).toBe(500);
  });
});

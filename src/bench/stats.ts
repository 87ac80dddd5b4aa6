// Small statistics for the benchmarks: nearest-rank percentiles, latency distributions and the median of repeated runs.

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A latency figure: p50 and p99 of `samples` timings, in ms. */
export interface Distribution {
  p50: number;
  p99: number;
  samples: number;
}

export const distribution = (ms: readonly number[]): Distribution => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), samples: ms.length });

/** Milliseconds since `start` (a performance.now() value). */
export const since = (start: number): number => performance.now() - start;

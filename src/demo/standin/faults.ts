// The stand-in's fault schedule: which request gets which misbehaviour. Drawn from a seeded generator, a fixed
// number of draws per request, so the same seed and the same order of requests give the same faults.

export interface FaultOptions {
  /** The same seed and the same request order give the same schedule. */
  seed?: number;
  /** Per request (not /healthz): probability of a 500/502/503 before anything is stored. */
  error5xx?: number;
  /** Per POST: probability of storing the measurement and then answering 500/502/503 anyway. */
  error5xxAfterCommit?: number;
  /** Per request: probability of a 429 with Retry-After. */
  rate429?: number;
  retryAfterSeconds?: number;
  /** Per request: probability of destroying the connection before anything is stored. */
  resetBeforeCommit?: number;
  /** Per POST: probability of storing the measurement and then destroying the connection unanswered. */
  resetAfterCommit?: number;
  /** Per request: probability of answering only after slowMs (a POST is stored first). */
  slow?: number;
  slowMs?: number;
  /** Bodies whose name matches this regular expression get a 422 (the JSON-friendly form of reject422). */
  reject422Names?: string;
  /** 409 CONFLICT for a second measurement with the same name on the same cell instance. */
  enforceUniqueNames?: boolean;
  /** Start with every authenticated request refused with 401. */
  authFailing?: boolean;
}

export type FaultKind = 'reset_before' | '5xx' | '429' | 'reset_after' | '5xx_after' | 'slow';

export const FAULT_KINDS: readonly FaultKind[] = ['reset_before', '5xx', '429', 'reset_after', '5xx_after', 'slow'];

export interface Fault {
  kind: FaultKind;
  /** For the 5xx kinds. */
  status: number;
}

/** mulberry32: small, seedable, good enough to spread faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES_5XX = [500, 502, 503];

/** One request's fault, or null. Always two draws, whatever the outcome, so the schedule depends only on order. */
export function drawFault(random: () => number, faults: FaultOptions, isCreate: boolean): Fault | null {
  const roll = random();
  const status = STATUSES_5XX[Math.floor(random() * STATUSES_5XX.length)]!;
  const chances: Array<[FaultKind, number]> = [
    ['reset_before', faults.resetBeforeCommit ?? 0],
    ['5xx', faults.error5xx ?? 0],
    ['429', faults.rate429 ?? 0],
    ['reset_after', isCreate ? (faults.resetAfterCommit ?? 0) : 0],
    ['5xx_after', isCreate ? (faults.error5xxAfterCommit ?? 0) : 0],
    ['slow', faults.slow ?? 0],
  ];
  let edge = 0;
  for (const [kind, p] of chances) {
    edge += p;
    if (roll < edge) return { kind, status };
  }
  return null;
}

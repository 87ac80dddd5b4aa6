// The crash test's plan, drawn from one seed: the cells the operator measures, which of them the stand-in rejects
// with 422, the stand-in's fault rates, and how each life of the daemon ends. The same seed gives the same plan;
// timing (which request a fault hits, where a random kill lands) still varies a little from run to run.
import { seededRandom, type FaultOptions } from '../../src/demo/standin/faults.js';
import { CRASH_POINTS, type CrashPointName } from '../../src/ops/crash-points.js';

export const SEED_ENV = 'IONWORKS_CRASH_SEED';

export interface Cell {
  id: string;
  /** Thickness in mm, as the gauge sends it. */
  thickness: string;
}

export type LifeKind = CrashPointName | 'random';

export interface Life {
  kind: LifeKind;
  /** For a crash point: die on its n-th hit in this life. */
  nth: number;
  /** For 'random': the test kills the daemon this long after spawning it (start-up included). */
  killAfterMs: number;
  /** > 0: the stand-in refuses every key (401) for this long from the start of the life. */
  authWindowMs: number;
}

export interface Scenario {
  seed: number;
  cells: Cell[];
  /** Cell ids whose bodies the stand-in answers with 422 (by name, so every attempt gets it). */
  rejected: string[];
  lives: Life[];
  faults: FaultOptions;
  random: () => number;
}

export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[SEED_ENV];
  if (text === undefined || text === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${SEED_ENV}="${text}" is not a non-negative integer`);
  return seed;
}

const KINDS: readonly LifeKind[] = [...CRASH_POINTS, 'random'];

export function scenario(seed: number, size: { cells: number; lives: number; rejected: number }): Scenario {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const cells = Array.from({ length: size.cells }, (_, i) => ({
    id: `CELL-${String(i + 1).padStart(4, '0')}`,
    thickness: `5.${String(int(400, 699))}`,
  }));
  const rejected = shuffle(cells.map((c) => c.id), random).slice(0, size.rejected).sort();
  // Every block of four lives holds each kind once, in a seeded order: all kinds happen while cells remain.
  const lives: Life[] = [];
  while (lives.length < size.lives)
    for (const kind of shuffle([...KINDS], random))
      lives.push({ kind, nth: int(1, 3), killAfterMs: int(100, 1_500), authWindowMs: random() < 0.15 ? int(500, 2_000) : 0 });
  const faults: FaultOptions = {
    seed,
    error5xx: 0.06,
    error5xxAfterCommit: 0.05,
    rate429: 0.02,
    retryAfterSeconds: 1,
    resetBeforeCommit: 0.04,
    resetAfterCommit: 0.06,
    slow: 0.04,
    // Longer than the daemon's api.timeout_ms (see world.ts): the POST is stored, the answer comes too late.
    slowMs: 900,
    reject422Names: rejected.length > 0 ? `_(${rejected.join('|')})_` : undefined,
  };
  return { seed, cells, rejected, lives: lives.slice(0, size.lives), faults, random };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

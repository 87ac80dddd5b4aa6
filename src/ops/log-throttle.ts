// A failure that repeats (every scrape, every probe) is logged once when it starts, then at most once per
// window with how many times it happened since, and once more when it stops: the journal shows the spell, not
// each repeat. Keys are independent (one per failing thing).
import type { Clock } from '../core/clock.js';

export interface ThrottleVerdict {
  /** Log this occurrence. */
  log: boolean;
  /** Occurrences not logged since the last logged one (put it in the line as `repeated`). */
  repeated: number;
}

export class LogThrottle {
  private readonly spells = new Map<string, { lastLoggedAt: number; repeated: number; total: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 300_000,
  ) {}

  /** One more occurrence of `key`: whether to log it now. */
  hit(key: string): ThrottleVerdict {
    const now = this.clock.now();
    const spell = this.spells.get(key);
    if (!spell) {
      this.spells.set(key, { lastLoggedAt: now, repeated: 0, total: 1 });
      return { log: true, repeated: 0 };
    }
    spell.total++;
    if (now - spell.lastLoggedAt < this.windowMs) {
      spell.repeated++;
      return { log: false, repeated: spell.repeated };
    }
    const repeated = spell.repeated;
    spell.lastLoggedAt = now;
    spell.repeated = 0;
    return { log: true, repeated };
  }

  /** The failure stopped: returns how many times it happened in the spell (0 if there was none), and forgets it. */
  clear(key: string): number {
    const total = this.spells.get(key)?.total ?? 0;
    this.spells.delete(key);
    return total;
  }
}

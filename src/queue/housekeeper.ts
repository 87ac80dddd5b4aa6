// Periodic outbox upkeep in the daemon: prune delivered rows past retention (so the cap never fills with finished
// work) and re-check the storage level, so the 80 % warning appears even when nobody scans.
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Logger } from '../ops/logger.js';

export const DAY_MS = 86_400_000;

export interface HousekeeperOptions {
  /** Deletes delivered rows finished before the given time; returns how many. */
  prune: (before: number) => number;
  /** Storage-level check after each prune. */
  check: () => unknown;
  retentionMs: number;
  intervalMs: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
}

export class Housekeeper {
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(private readonly opts: HousekeeperOptions) {}

  /** Runs one round now, then every intervalMs until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.round();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.opts.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One round; errors are logged and the next round still comes. Returns the number of rows pruned. */
  runOnce(): number {
    const { prune, check, clock, retentionMs, logger } = this.opts;
    let count = 0;
    try {
      const before = clock.now() - retentionMs;
      count = prune(before);
      if (count > 0) {
        logger.info(
          { event: 'outbox.pruned', count, before: new Date(before).toISOString() },
          `${count} delivered row(s) older than the retention pruned`,
        );
      }
    } catch (err) {
      logger.error({ event: 'outbox.prune_failed', err: (err as Error).message }, 'pruning delivered rows failed');
    }
    check();
    return count;
  }

  private round(): void {
    this.timer = null;
    if (!this.running) return;
    this.runOnce();
    if (this.running) this.timer = this.opts.timers.setTimeout(() => this.round(), this.opts.intervalMs);
  }
}

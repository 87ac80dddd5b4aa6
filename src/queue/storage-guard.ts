// The outbox cap: pending + dead rows (and optionally their body bytes) are bounded. Nothing saved is ever dropped
// to make room; instead a full outbox refuses new scans, so no cell is measured that could not be saved.
import type { Logger } from '../ops/logger.js';
import type { StorageUsage } from './admin.js';

export type Admission = { ok: true } | { ok: false; reason: string };

export interface StorageLimits {
  maxRows: number;
  maxBytes?: number;
}

export type StorageLevel = 'ok' | 'nearly_full' | 'full';

export interface StorageGuardOptions {
  usage: () => StorageUsage;
  limits: StorageLimits;
  logger: Logger;
  /** Fraction of the cap at which `outbox.nearly_full` is logged. */
  warnAt?: number;
}

export const OUTBOX_FULL = 'outbox full';

export class StorageGuard {
  private level: StorageLevel = 'ok';
  private last: StorageUsage = { rows: 0, bytes: 0 };

  constructor(private readonly opts: StorageGuardOptions) {}

  /** Reads the usage, logs level changes (each once per crossing) and says whether a new measurement may start. */
  check(): Admission {
    const { logger, limits } = this.opts;
    let usage: StorageUsage;
    try {
      usage = this.opts.usage();
    } catch (err) {
      // The save itself would fail and be reported "not saved"; a stats query must not stop the bench on its own.
      logger.error({ event: 'outbox.usage_failed', err: (err as Error).message }, 'could not read outbox usage');
      return this.level === 'full' ? { ok: false, reason: OUTBOX_FULL } : { ok: true };
    }
    this.last = usage;
    const fill = this.fill(usage);
    const level: StorageLevel = fill >= 1 ? 'full' : fill >= (this.opts.warnAt ?? 0.8) ? 'nearly_full' : 'ok';
    const fields = { ...usage, maxRows: limits.maxRows, maxBytes: limits.maxBytes ?? null, percent: Math.floor(fill * 100) };
    if (level !== 'ok' && this.level === 'ok') {
      logger.warn({ event: 'outbox.nearly_full', ...fields }, `outbox ${fields.percent}% full (pending + dead rows)`);
    }
    if (level === 'full' && this.level !== 'full') {
      logger.error({ event: 'outbox.full', ...fields }, 'outbox full: new scans are refused until rows are delivered or dead rows purged');
    }
    if (level !== 'full' && this.level === 'full') {
      logger.info({ event: 'outbox.space_available', ...fields }, 'outbox has room again: scans accepted');
    }
    this.level = level;
    return level === 'full' ? { ok: false, reason: OUTBOX_FULL } : { ok: true };
  }

  status(): { level: StorageLevel; usage: StorageUsage; limits: StorageLimits } {
    return { level: this.level, usage: this.last, limits: this.opts.limits };
  }

  private fill(u: StorageUsage): number {
    const { maxRows, maxBytes } = this.opts.limits;
    return Math.max(u.rows / maxRows, maxBytes === undefined ? 0 : u.bytes / maxBytes);
  }
}

// Prometheus metrics for one daemon, on its own Registry (never prom-client's global one, so two daemons in one
// process, as in the tests, never share counters). Counters are fed by the daemon from component events (device
// readings, the outbox commit, upload outcomes); gauges read their source when scraped, so they are never stale.
import { stat, statfs } from 'node:fs/promises';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { DeviceStatus } from '../devices/device.js';
import type { OutboxCounts, RowState } from '../queue/types.js';
import type { UploaderOutbox } from '../uploader/uploader.js';
import type { Logger } from './logger.js';
import { LogThrottle } from './log-throttle.js';

export const METRIC_PREFIX = 'ionworks_edge_';

export type UploadOutcome = 'delivered' | 'retry' | 'dead';
const UPLOAD_OUTCOMES: readonly UploadOutcome[] = ['delivered', 'retry', 'dead'];
const ROW_STATES: readonly RowState[] = ['pending', 'delivered', 'dead'];

export interface MetricsSources {
  version: string;
  clock: Clock;
  logger: Logger;
  /** `voided`: dead rows an operator voided (#VOID) before upload; they are not failures and raise no alert. */
  outbox: { counts(): OutboxCounts; oldestPendingAt(): number | null; voided?: () => number };
  /** The outbox database file; its -wal file is counted with it. */
  outboxPath: string;
  /** Free space is that of the filesystem holding this directory. */
  stateDir: string;
  devices: () => Iterable<DeviceStatus>;
  /** Station ids, so their counters exist (at 0) before the first measurement. */
  stations: () => Iterable<string>;
  /** The uploader's mode (running, offline, auth_failed, halted, no_key). */
  uploaderMode?: () => string;
  /** The clock-sync monitor's last answer; undefined before its first check. */
  clockSync?: () => 'synchronised' | 'unsynchronised' | 'unknown' | undefined;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly readings: Counter<'device' | 'quantity'>;
  private readonly saved: Counter<'station'>;
  private readonly uploads: Counter<'outcome'>;
  private lastUploadSuccessAt: number | undefined;
  private readonly throttle: LogThrottle;

  constructor(private readonly src: MetricsSources) {
    this.throttle = new LogThrottle(src.clock);
    const registers = [this.registry];
    const name = (n: string) => `${METRIC_PREFIX}${n}`;
    const self = this;

    new Gauge({ name: name('build_info'), help: 'Always 1; the version label says what runs.', labelNames: ['version'], registers }).set(
      { version: src.version },
      1,
    );
    this.readings = new Counter({ name: name('readings_total'), help: 'Readings decoded from instruments.', labelNames: ['device', 'quantity'], registers });
    this.saved = new Counter({
      name: name('measurements_saved_total'),
      help: 'Measurements committed to the outbox.',
      labelNames: ['station'],
      registers,
      collect() {
        for (const station of src.stations()) this.inc({ station }, 0);
      },
    });
    this.uploads = new Counter({ name: name('uploads_total'), help: 'Upload attempts by outcome.', labelNames: ['outcome'], registers });
    for (const outcome of UPLOAD_OUTCOMES) this.uploads.inc({ outcome }, 0);

    // Each gauge below reads its source when scraped. A source that fails leaves the gauge empty (NaN when it
    // has no labels: prom-client would otherwise show 0, and "0 dead letters" is not what a broken outbox means).
    const gauge = (n: string, help: string, labelNames: string[], fill: (g: Gauge<string>) => void | Promise<void>) =>
      new Gauge({
        name: name(n),
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          try {
            await fill(this);
            self.collected(n);
          } catch (err) {
            if (labelNames.length === 0) this.set(Number.NaN);
            self.collectFailed(n, err);
          }
        },
      });
    gauge('last_upload_success_timestamp_seconds', 'Unix time of the last upload the API accepted since start (NaN before the first).', [], (g) =>
      g.set(this.lastUploadSuccessAt === undefined ? Number.NaN : this.lastUploadSuccessAt / 1000),
    );
    gauge('outbox_rows', 'Outbox rows by state.', ['state'], (g) => {
      const counts = src.outbox.counts();
      for (const state of ROW_STATES) g.set({ state }, counts[state]);
    });
    gauge('outbox_dead_letters', 'Rows the API rejected for good; they wait for a person (operator voids excluded).', [], (g) =>
      g.set(src.outbox.counts().dead - (src.outbox.voided?.() ?? 0)),
    );
    gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest measurement not yet uploaded (0 when none).', [], (g) => {
      const at = src.outbox.oldestPendingAt();
      g.set(at === null ? 0 : Math.max(0, (src.clock.now() - at) / 1000));
    });
    gauge('outbox_file_bytes', 'Size of the outbox database and its write-ahead log.', [], async (g) => {
      g.set((await fileSize(src.outboxPath)) + (await fileSize(`${src.outboxPath}-wal`)));
    });
    gauge('disk_free_bytes', 'Space available to the service on the state directory filesystem.', [], async (g) => {
      const fs = await statfs(src.stateDir);
      g.set(fs.bavail * fs.bsize);
    });
    gauge('device_connected', '1 while the instrument answers, else 0.', ['device'], (g) => {
      for (const d of src.devices()) g.set({ device: d.id }, d.state === 'connected' ? 1 : 0);
    });
    gauge('device_last_reading_age_seconds', 'Seconds since the device last sent a reading or scan (absent before the first).', ['device'], (g) => {
      for (const d of src.devices()) if (d.lastDataAt !== undefined) g.set({ device: d.id }, Math.max(0, (src.clock.now() - d.lastDataAt) / 1000));
    });
    if (src.uploaderMode) {
      const mode = src.uploaderMode;
      gauge('uploader_mode', '1 for the mode the uploader is in (running, offline, auth_failed, halted, no_key).', ['mode'], (g) => g.set({ mode: mode() }, 1));
    }
    if (src.clockSync) {
      const sync = src.clockSync;
      gauge('clock_synchronised', '1 when the system clock is NTP-synchronised, 0 when not (absent when unknown).', [], (g) => {
        const state = sync();
        if (state === 'synchronised' || state === 'unsynchronised') g.set(state === 'synchronised' ? 1 : 0);
      });
    }
  }

  reading(r: { device: string; quantity: string }): void {
    this.readings.inc({ device: r.device, quantity: r.quantity });
  }

  measurementSaved(station: string): void {
    this.saved.inc({ station });
  }

  upload(outcome: UploadOutcome, at: number): void {
    this.uploads.inc({ outcome });
    if (outcome === 'delivered') this.lastUploadSuccessAt = at;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private collectFailed(metric: string, err: unknown): void {
    const v = this.throttle.hit(metric);
    if (v.log)
      this.src.logger.warn(
        { event: 'metrics.collect_failed', metric: `${METRIC_PREFIX}${metric}`, err: err instanceof Error ? err.message : String(err), repeated: v.repeated },
        `metric ${METRIC_PREFIX}${metric} could not be read`,
      );
  }

  private collected(metric: string): void {
    const failures = this.throttle.clear(metric);
    if (failures > 0)
      this.src.logger.info({ event: 'metrics.collect_recovered', metric: `${METRIC_PREFIX}${metric}`, failures }, `metric ${METRIC_PREFIX}${metric} readable again`);
  }
}

/**
 * The outbox as the uploader sees it, reporting each recorded attempt's outcome to `on`. Counting here, at the
 * commit of the outcome, means a metric never counts an upload the outbox does not also hold as done.
 */
export function reportUploadOutcomes<T extends UploaderOutbox>(outbox: T, on: (outcome: UploadOutcome, at: number) => void): UploaderOutbox {
  // Inside atomically() the outcomes are held until the transaction has committed.
  let held: Array<[UploadOutcome, number]> | null = null;
  const report = (outcome: UploadOutcome, at: number) => (held ? held.push([outcome, at]) : on(outcome, at));
  return {
    due: (now, limit) => outbox.due(now, limit),
    beginAttempt: (id, at) => outbox.beginAttempt(id, at),
    releaseAttempt: (id, attempt) => outbox.releaseAttempt(id, attempt),
    nextDueAt: () => outbox.nextDueAt(),
    atomically: (fn) => {
      if (held) return outbox.atomically(fn);
      const outcomes: Array<[UploadOutcome, number]> = (held = []);
      try {
        const result = outbox.atomically(fn);
        for (const [outcome, at] of outcomes) on(outcome, at);
        return result;
      } finally {
        held = null;
      }
    },
    recordDelivered: (id, at, outcome) => {
      outbox.recordDelivered(id, at, outcome);
      report('delivered', at);
    },
    recordRetry: (id, at, outcome, next) => {
      outbox.recordRetry(id, at, outcome, next);
      report('retry', at);
    },
    recordDead: (id, at, outcome) => {
      outbox.recordDead(id, at, outcome);
      report('dead', at);
    },
  };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    // No WAL file (checkpointed and removed) is size 0; any other error is a failure to report.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

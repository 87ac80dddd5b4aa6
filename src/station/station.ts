// One bench: scan a cell, collect each configured property from its device, build the measurement, save it.
// "Saved" is reported only after `save` (the outbox commit) returns; until then the readings stay here.
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { Reading, Scan } from '../core/types.js';
import type { StationConfig } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import type { NewMeasurement } from '../queue/types.js';
import { captureStep, initialCapture, type CaptureState } from './capture.js';
import { createPropertiesMeasurementSchema } from './measurement-schema.js';
import { measurementName } from './name.js';

/** What the station hands to the outbox: exactly the outbox's NewMeasurement. */
export type BuiltMeasurement = NewMeasurement;

export interface StationOptions {
  id: string;
  config: StationConfig;
  lab: string;
  /** ionworks-edge version, written into test_setup.software. */
  version: string;
  clock: Clock;
  logger: Logger;
  /** Commits the row durably; throws when it was not saved. */
  save: (m: BuiltMeasurement) => { id: number };
}

export interface TakenReading {
  /** Decimal text as the instrument sent it. */
  value: string;
  unit: string;
  device: string;
  at: number;
}

export interface MissingProperty {
  property: string;
  device: string;
  /** `unload`: the pan still carries a weight from before the scan and must be lifted off first. */
  waitingFor: 'unload' | 'reading';
}

export interface StationSnapshot {
  station: string;
  activeCell: { id: string; scannedAt: number } | null;
  readings: Record<string, TakenReading>;
  missing: MissingProperty[];
  /** A complete measurement whose save failed; kept until a retry saves it or a new scan abandons it. */
  unsaved: { name: string } | null;
  lastSaved: { id: number; name: string; cell: string; at: number } | null;
  lastError: { cell: string; name?: string; message: string; at: number } | null;
}

export interface StationEvents {
  changed: [StationSnapshot];
}

interface ActiveCell {
  id: string;
  scannedAt: number;
  readings: Map<string, TakenReading>;
  built?: BuiltMeasurement;
}

export class Station extends EventEmitter<StationEvents> {
  private readonly opts: StationOptions;
  private readonly pattern: RegExp;
  private readonly capture = new Map<string, CaptureState>();
  /** Last drop reason per device: a repeated reason (a balance polled 4x a second) is logged at debug only. */
  private readonly lastDrop = new Map<string, string>();
  private active: ActiveCell | null = null;
  private seq = 0;
  private lastSaved: StationSnapshot['lastSaved'] = null;
  private lastError: StationSnapshot['lastError'] = null;

  constructor(opts: StationOptions) {
    super();
    this.opts = opts;
    this.pattern = new RegExp(opts.config.cell_pattern);
  }

  get id(): string {
    return this.opts.id;
  }

  handleScan(scan: Scan): void {
    const { logger, config, id: station } = this.opts;
    if (scan.device !== config.scanner) {
      logger.warn({ event: 'scan.rejected', station, device: scan.device, reason: `device "${scan.device}" is not this station's scanner` }, 'scan rejected');
      return;
    }
    if (!this.pattern.test(scan.code)) {
      logger.warn({ event: 'scan.rejected', station, device: scan.device, code: scan.code, reason: `does not match cell_pattern ${config.cell_pattern}` }, 'scan rejected');
      return;
    }
    // Scanning the same cell again after "not saved" is the operator's way to retry.
    if (this.active?.built && this.active.id === scan.code) {
      this.trySave(this.active, this.active.built);
      return;
    }
    if (this.active) this.abandon(this.active, scan.code);
    this.active = { id: scan.code, scannedAt: scan.at, readings: new Map() };
    for (const prop of Object.keys(config.properties)) this.step(prop, { kind: 'scan' });
    logger.info({ event: 'scan.accepted', station, cell: scan.code, device: scan.device }, `cell ${scan.code} active`);
    this.changed();
  }

  handleReading(reading: Reading): void {
    const { config } = this.opts;
    const entry = Object.entries(config.properties).find(([, src]) => src.device === reading.device);
    if (!entry) return this.drop(reading, `device "${reading.device}" feeds no property of this station`);
    const [prop, src] = entry;
    // Never convert here: a unit other than the configured one means the instrument is set up differently.
    if (reading.unit !== src.unit) return this.drop(reading, `unit "${reading.unit}" is not the configured "${src.unit}"`, 'warn');
    const value = Number(reading.value);
    if (reading.value.trim() === '' || !Number.isFinite(value)) return this.drop(reading, `value "${reading.value}" is not a number`, 'warn');
    // The capture state follows the pan even with no active cell, so the next scan knows whether it is loaded.
    const before = this.capture.get(prop)?.phase;
    const result = this.step(prop, { kind: 'reading', value, stable: reading.stable });
    const cell = this.active;
    if (!cell) return this.drop(reading, 'no active cell');
    if (!result.take) {
      this.drop(reading, result.reason ?? 'not taken');
      // "Lift the pan off" must reach the status page as soon as it applies or stops applying.
      if (before !== result.state.phase) this.changed();
      return;
    }
    const taken: TakenReading = { value: reading.value, unit: reading.unit, device: reading.device, at: reading.at };
    cell.readings.set(prop, taken);
    this.lastDrop.delete(reading.device);
    this.opts.logger.info(
      { event: 'reading.taken', station: this.opts.id, cell: cell.id, property: prop, value: reading.value, unit: reading.unit, device: reading.device },
      `${prop} ${reading.value} ${reading.unit} for ${cell.id}`,
    );
    if (cell.readings.size === Object.keys(config.properties).length) this.complete(cell);
    else this.changed();
  }

  /** Tries again to save a complete measurement whose save failed, with the same name and body. */
  retrySave(): boolean {
    if (!this.active?.built) return false;
    this.trySave(this.active, this.active.built);
    return true;
  }

  snapshot(): StationSnapshot {
    const cell = this.active;
    const missing: MissingProperty[] = [];
    if (cell)
      for (const [property, src] of Object.entries(this.opts.config.properties))
        if (!cell.readings.has(property))
          missing.push({ property, device: src.device, waitingFor: this.capture.get(property)?.phase === 'await_unload' ? 'unload' : 'reading' });
    return {
      station: this.opts.id,
      activeCell: cell ? { id: cell.id, scannedAt: cell.scannedAt } : null,
      readings: cell ? Object.fromEntries(cell.readings) : {},
      missing,
      unsaved: cell?.built ? { name: cell.built.name } : null,
      lastSaved: this.lastSaved,
      lastError: this.lastError,
    };
  }

  private step(prop: string, event: Parameters<typeof captureStep>[1]) {
    const result = captureStep(this.capture.get(prop) ?? initialCapture, event, this.opts.config.properties[prop]?.min_load);
    this.capture.set(prop, result.state);
    return result;
  }

  private drop(reading: Reading, reason: string, level: 'info' | 'warn' = 'info'): void {
    const repeated = this.lastDrop.get(reading.device) === reason;
    this.lastDrop.set(reading.device, reason);
    this.opts.logger[repeated ? 'debug' : level](
      { event: 'reading.dropped', station: this.opts.id, cell: this.active?.id, device: reading.device, value: reading.value, unit: reading.unit, stable: reading.stable, reason },
      `reading dropped: ${reason}`,
    );
  }

  private complete(cell: ActiveCell): void {
    const { config, clock, lab, version, id: station } = this.opts;
    const createdAt = clock.now();
    const name = measurementName({ station, cellId: cell.id, completedAt: createdAt, seq: ++this.seq });
    const properties: Record<string, { value: number; unit: string }> = {};
    const instruments: Record<string, string> = {};
    for (const [prop, r] of cell.readings) {
      properties[prop] = { value: Number(r.value), unit: r.unit };
      instruments[prop] = r.device;
    }
    const body = createPropertiesMeasurementSchema.parse({
      name,
      measurement_type: 'properties',
      properties,
      start_time: new Date(cell.scannedAt).toISOString(),
      test_setup: { lab, station, software: `ionworks-edge ${version}`, instruments },
      ...(config.notes === undefined ? {} : { notes: config.notes }),
    });
    // Serialized once: every retry, after any restart, sends these exact bytes.
    cell.built = { cellInstanceId: cell.id, name, body: JSON.stringify(body), station, createdAt };
    this.trySave(cell, cell.built);
  }

  private trySave(cell: ActiveCell, built: BuiltMeasurement): void {
    const { logger, clock, id: station } = this.opts;
    let saved: { id: number };
    try {
      saved = this.opts.save(built);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.lastError = { cell: cell.id, name: built.name, message, at: clock.now() };
      logger.error({ event: 'measurement.not_saved', station, cell: cell.id, name: built.name, err: message }, `NOT SAVED: ${cell.id}: ${message}`);
      this.changed();
      return;
    }
    this.lastSaved = { id: saved.id, name: built.name, cell: cell.id, at: clock.now() };
    this.lastError = null;
    this.active = null;
    logger.info({ event: 'measurement.saved', station, id: saved.id, name: built.name, cell: cell.id }, `saved ${built.name}`);
    this.changed();
  }

  /** A new scan replaces a cell that was not finished: say so loudly, with whatever was measured. */
  private abandon(cell: ActiveCell, next: string): void {
    const readings = Object.fromEntries(cell.readings);
    if (cell.built) {
      this.opts.logger.error(
        { event: 'cell.abandoned', station: this.opts.id, cell: cell.id, next, name: cell.built.name, body: cell.built.body },
        `measurement for ${cell.id} was never saved and is abandoned by the scan of ${next}`,
      );
    } else if (cell.readings.size > 0) {
      this.opts.logger.warn(
        { event: 'cell.abandoned', station: this.opts.id, cell: cell.id, next, readings },
        `cell ${cell.id} left incomplete by the scan of ${next}`,
      );
    }
  }

  private changed(): void {
    this.emit('changed', this.snapshot());
  }
}

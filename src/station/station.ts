// One bench: scan a cell, collect each configured property from its device, build the measurement, save it.
// "Saved" is reported only after `save` (the outbox commit) returns; until then the readings stay here.
// Session rules (idle expiry, re-scan, leaving a cell, control codes, operator badge) are in handleScan/leave.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle, Timers } from '../core/clock.js';
import type { Reading, Scan } from '../core/types.js';
import type { StationConfig } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import { crashPoint } from '../ops/crash-points.js';
import type { NewMeasurement } from '../queue/types.js';
import type { CellLookupResult } from '../uploader/cell-lookup.js';
import { canConvert, convert } from '../devices/units.js';
import { captureStep, initialCapture, type CaptureState } from './capture.js';
import { createPropertiesMeasurementSchema } from './measurement-schema.js';
import { renderName } from './name-template.js';
import { parseDec } from './decimal-stats.js';
import { buildProperties, limitProblem } from './recipe.js';
import type { MeasurementTrace, RawReadingRecord } from './trace-store.js';
import type { VoidOutcome, VoidRequest } from './void.js';

/** What the station hands to the outbox: exactly the outbox's NewMeasurement. */
export type BuiltMeasurement = NewMeasurement;

const DAY_MS = 86_400_000;

export interface StationOptions {
  id: string;
  config: StationConfig;
  lab: string;
  /** ionworks-edge version, written into test_setup.software. */
  version: string;
  clock: Clock;
  logger: Logger;
  /** Commits the row (and its trace, e.g. TraceStore.save) durably; throws when it was not saved. */
  save: (m: BuiltMeasurement, trace: MeasurementTrace) => { id: number };
  /** For idle_timeout_s; without timers the active cell never expires. */
  timers?: Timers;
  /** Model and serial of a device where it reports them (Device.status().identity). */
  deviceIdentity?: (deviceId: string) => { model?: string; serial?: string } | undefined;
  /** Asks the API about a scanned code (src/uploader/cell-lookup.ts CellLookup); without it nothing is asked. */
  lookup?: { byId(id: string): Promise<CellLookupResult>; byName(name: string, specId?: string): Promise<CellLookupResult> };
  /** Voids a saved measurement (src/station/void.ts makeVoider); without it #VOID is refused. */
  voidMeasurement?: (req: VoidRequest) => Promise<VoidOutcome>;
  /** For {uuid} in name_template. */
  uuid?: () => string;
  /** Whether a new cell may start (the queue's StorageGuard.check: a full outbox refuses new scans). */
  canAccept?: () => { ok: true } | { ok: false; reason: string };
}

export interface TakenReading {
  /** Decimal text as the instrument sent it (the mean for a multi-point property). */
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
  required: boolean;
  pointsTaken: number;
  pointsNeeded: number;
}

export interface Rejection {
  property: string;
  value: string;
  unit: string;
  /** In the operator's words. */
  message: string;
  at: number;
}

export interface StationSnapshot {
  station: string;
  activeCell: {
    id: string;
    scannedAt: number;
    /** The cell instance id the measurement goes to; null while a scanned name is unresolved. */
    cellInstanceId: string | null;
    /** none: not asked; pending: asking the API; found: confirmed; offline: API unreachable, checked before upload. */
    lookup: 'none' | 'pending' | 'found' | 'offline';
    /** When the cell expires without activity; null when idle_timeout_s is 0 or no timers were given. */
    expiresAt: number | null;
  } | null;
  readings: Record<string, TakenReading>;
  /** Points so far of multi-point properties (the mean appears in `readings` once all are in). */
  points: Record<string, TakenReading[]>;
  missing: MissingProperty[];
  /** Values outside the plausibility limits for the active cell, newest last; they were not taken. */
  rejected: Rejection[];
  /** Set by an operator badge scan; written to test_setup.operator. */
  operator: string | null;
  /** The last thing the operator should be told (cell expired, discarded, void result, unknown cell...). */
  notice: { level: 'info' | 'warn' | 'error'; message: string; at: number } | null;
  /** A complete measurement whose save failed; kept until a retry saves it or a new scan abandons it. */
  unsaved: { name: string } | null;
  lastSaved: { id: number; name: string; cell: string; at: number; voided?: boolean } | null;
  lastError: { cell: string; name?: string; message: string; at: number } | null;
}

export interface StationEvents {
  changed: [StationSnapshot];
}

interface ActiveCell {
  code: string;
  cellInstanceId: string | null;
  lookup: 'none' | 'pending' | 'found' | 'offline';
  scannedAt: number;
  points: Map<string, TakenReading[]>;
  raw: RawReadingRecord[];
  /** Properties in the order their points were taken, for #REDO. */
  takes: string[];
  rejected: Rejection[];
  built?: { m: BuiltMeasurement; trace: MeasurementTrace };
}

export class Station extends EventEmitter<StationEvents> {
  private readonly opts: StationOptions;
  private readonly pattern: RegExp;
  private readonly capture = new Map<string, CaptureState>();
  /** Last drop reason per device: a repeated reason (a balance polled 4x a second) is logged at debug only. */
  private readonly lastDrop = new Map<string, string>();
  private active: ActiveCell | null = null;
  private seq = 0;
  private operator: string | null = null;
  private notice: StationSnapshot['notice'] = null;
  private idleTimer: TimerHandle | undefined;
  private expiresAt: number | null = null;
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

  /** Clears the idle timer; the station keeps its state. */
  stop(): void {
    this.disarmIdle();
  }

  handleScan(scan: Scan): void {
    const { logger, config, id: station } = this.opts;
    if (scan.device !== config.scanner) {
      logger.warn({ event: 'scan.rejected', station, device: scan.device, reason: `device "${scan.device}" is not this station's scanner` }, 'scan rejected');
      return;
    }
    const codes = config.control_codes;
    if (scan.code === codes.cancel) return this.cancel();
    if (scan.code === codes.redo) return this.redo();
    if (scan.code === codes.void) return void this.voidLast();
    if (scan.code.startsWith(config.operator_prefix)) return this.setOperator(scan.code.slice(config.operator_prefix.length).trim());
    if (!this.pattern.test(scan.code)) {
      logger.warn({ event: 'scan.rejected', station, device: scan.device, code: scan.code, reason: `does not match cell_pattern ${config.cell_pattern}` }, 'scan rejected');
      this.tell('warn', `"${scan.code}" is not a cell label`);
      return;
    }
    const cell = this.active;
    if (cell?.code === scan.code) {
      // Scanning the same cell again after "not saved" is the operator's way to retry.
      if (cell.built) return this.trySave(cell);
      return this.restart(cell);
    }
    // A new cell clears the last notice, unless leaving the previous one has something to say.
    this.notice = null;
    if (cell) this.leave(cell, 'new_scan', scan.code);
    const admission = this.opts.canAccept?.() ?? { ok: true };
    if (!admission.ok) {
      logger.error({ event: 'scan.refused', station, code: scan.code, reason: admission.reason }, `scan refused: ${admission.reason}`);
      this.lastError = { cell: scan.code, message: `scan refused: ${admission.reason}`, at: scan.at };
      this.tell('error', `${scan.code} not started: ${admission.reason}. Call the administrator.`);
      return;
    }
    this.begin(scan);
  }

  handleReading(reading: Reading): void {
    const { config, logger, id: station } = this.opts;
    // A property with `quantity` takes only that quantity (a Hioki RV reply feeds acir and ocv from one device).
    const entry = Object.entries(config.properties).find(([, src]) => src.device === reading.device && (src.quantity === undefined || src.quantity === reading.quantity));
    if (!entry) return this.drop(reading, `${reading.quantity} from device "${reading.device}" feeds no property of this station`);
    const [prop, src] = entry;
    if (!parseDec(reading.value)) return this.drop(reading, `value "${reading.value}" is not a number`, 'warn');
    // Converted exactly on the decimal text (src/devices/units.ts); a unit of another dimension is a setup error.
    if (reading.unit !== src.unit) {
      if (!canConvert(reading.unit, src.unit)) return this.drop(reading, `unit "${reading.unit}" cannot be converted to the configured "${src.unit}"`, 'warn');
      reading = { ...reading, value: convert(reading.value, reading.unit, src.unit), unit: src.unit };
    }
    const value = Number(reading.value);
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
    if (cell.built) return this.drop(reading, 'measurement complete, waiting to be saved');
    this.lastDrop.delete(reading.device);
    this.armIdle();
    const problem = limitProblem(reading.value, reading.unit, src);
    if (problem) {
      cell.rejected.push({ property: prop, value: reading.value, unit: reading.unit, message: `${prop}: ${problem}`, at: reading.at });
      logger.warn({ event: 'reading.rejected', station, cell: cell.code, property: prop, value: reading.value, unit: reading.unit, reason: problem }, `${prop} rejected: ${problem}`);
      this.step(prop, { kind: 'scan' }); // re-arm: the next reading is a new attempt
      this.changed();
      return;
    }
    const points = cell.points.get(prop) ?? [];
    points.push({ value: reading.value, unit: reading.unit, device: reading.device, at: reading.at });
    cell.points.set(prop, points);
    cell.takes.push(prop);
    cell.raw.push({ property: prop, device: reading.device, value: reading.value, unit: reading.unit, raw: reading.raw, at: reading.at });
    if (points.length < src.points) this.step(prop, { kind: 'scan' }); // arm for the next point
    logger.info(
      { event: 'reading.taken', station, cell: cell.code, property: prop, value: reading.value, unit: reading.unit, device: reading.device, point: points.length, of: src.points },
      `${prop} ${reading.value} ${reading.unit} for ${cell.code}${src.points > 1 ? ` (point ${points.length}/${src.points})` : ''}`,
    );
    this.completeIfReady(cell);
  }

  /** Tries again to save a complete measurement whose save failed, with the same name and body. */
  retrySave(): boolean {
    if (!this.active?.built) return false;
    this.trySave(this.active);
    return true;
  }

  snapshot(): StationSnapshot {
    const cell = this.active;
    const missing: MissingProperty[] = [];
    const readings: Record<string, TakenReading> = {};
    const points: Record<string, TakenReading[]> = {};
    if (cell)
      for (const [property, src] of Object.entries(this.opts.config.properties)) {
        const taken = cell.points.get(property) ?? [];
        if (src.points > 1 && taken.length > 0) points[property] = [...taken];
        if (taken.length >= src.points) {
          readings[property] = src.points === 1 ? taken[0]! : { ...taken.at(-1)!, value: this.meanOf(property, taken) };
          continue;
        }
        const waitingFor = this.capture.get(property)?.phase === 'await_unload' ? 'unload' : 'reading';
        missing.push({ property, device: src.device, waitingFor, required: src.required, pointsTaken: taken.length, pointsNeeded: src.points });
      }
    return {
      station: this.opts.id,
      activeCell: cell ? { id: cell.code, scannedAt: cell.scannedAt, cellInstanceId: cell.cellInstanceId, lookup: cell.lookup, expiresAt: this.expiresAt } : null,
      readings,
      points,
      missing,
      rejected: cell ? [...cell.rejected] : [],
      operator: this.operator,
      notice: this.notice,
      unsaved: cell?.built ? { name: cell.built.m.name } : null,
      lastSaved: this.lastSaved,
      lastError: this.lastError,
    };
  }

  private meanOf(property: string, taken: TakenReading[]): string {
    const src = this.opts.config.properties[property]!;
    const built = buildProperties({ [property]: src }, new Map([[property, taken.map((t) => t.value)]]));
    return String(built.properties[src.name ?? property]?.value);
  }

  private begin(scan: Scan): void {
    const { config, logger, id: station } = this.opts;
    const cell: ActiveCell = { code: scan.code, cellInstanceId: scan.code, lookup: 'none', scannedAt: scan.at, points: new Map(), raw: [], takes: [], rejected: [] };
    this.active = cell;
    for (const prop of Object.keys(config.properties)) this.step(prop, { kind: 'scan' });
    this.armIdle();
    logger.info({ event: 'scan.accepted', station, cell: scan.code, device: scan.device }, `cell ${scan.code} active`);
    this.startLookup(cell);
    this.changed();
  }

  /** Same cell scanned again: start it over (readings cleared), as if newly scanned. */
  private restart(cell: ActiveCell): void {
    const { config, logger, id: station } = this.opts;
    const discarded = Object.fromEntries([...cell.points].map(([p, pts]) => [p, pts.map((t) => t.value)]));
    cell.points.clear();
    cell.raw.length = 0;
    cell.takes.length = 0;
    cell.rejected.length = 0;
    for (const prop of Object.keys(config.properties)) this.step(prop, { kind: 'scan' });
    this.armIdle();
    logger.info({ event: 'cell.restarted', station, cell: cell.code, discarded }, `cell ${cell.code} scanned again: starting over`);
    this.tell('info', `${cell.code} started over`);
  }

  private startLookup(cell: ActiveCell): void {
    const { lookup, config } = this.opts;
    const mode = config.cell_id.mode;
    if (mode === 'name') cell.cellInstanceId = null;
    if (!lookup || (mode === 'id' && !config.cell_id.verify_online)) {
      if (mode === 'name') cell.lookup = 'offline';
      return;
    }
    cell.lookup = 'pending';
    const asked = mode === 'id' ? lookup.byId(cell.code) : lookup.byName(cell.code, config.cell_id.cell_specification_id);
    asked.then(
      (r) => this.looked(cell, r),
      (err: unknown) => this.looked(cell, { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err) }),
    );
  }

  private looked(cell: ActiveCell, r: CellLookupResult): void {
    if (this.active !== cell) return; // the operator moved on; the answer no longer matters
    const { logger, id: station, config } = this.opts;
    switch (r.kind) {
      case 'found':
        cell.cellInstanceId = r.id;
        cell.lookup = 'found';
        logger.info({ event: 'cell.resolved', station, cell: cell.code, cellInstanceId: r.id }, `${cell.code} is cell instance ${r.id}`);
        break;
      case 'unavailable':
        // Saved anyway: an id is checked by the POST, a name is resolved before upload (makeCellResolver).
        cell.lookup = 'offline';
        if (config.cell_id.mode === 'id') cell.cellInstanceId = cell.code;
        logger.warn({ event: 'cell.lookup_unavailable', station, cell: cell.code, reason: r.reason }, `could not check ${cell.code} now: ${r.reason}`);
        break;
      default:
        logger.warn({ event: 'scan.rejected', station, code: cell.code, reason: r.reason, lookup: r.kind }, `scan rejected: ${r.reason}`);
        this.dropCell();
        this.tell('error', `${cell.code}: ${r.reason}. Check the label and scan again.`);
        return;
    }
    this.completeIfReady(cell);
  }

  private completeIfReady(cell: ActiveCell): void {
    const all = Object.entries(this.opts.config.properties).every(([p, src]) => (cell.points.get(p)?.length ?? 0) >= src.points);
    if (all && cell.lookup !== 'pending') this.complete(cell);
    else this.changed();
  }

  private requiredIn(cell: ActiveCell): boolean {
    return Object.entries(this.opts.config.properties).every(([p, src]) => !src.required || (cell.points.get(p)?.length ?? 0) >= src.points);
  }

  /** A cell the operator leaves (another scan, or idle expiry): saved or discarded per on_new_scan, always said. */
  private leave(cell: ActiveCell, why: 'new_scan' | 'expired', next?: string): void {
    const { logger, id: station, config } = this.opts;
    const readings = Object.fromEntries([...cell.points].map(([p, pts]) => [p, pts.map((t) => t.value)]));
    if (cell.built) {
      logger.error(
        { event: 'cell.abandoned', station, cell: cell.code, next, name: cell.built.m.name, body: cell.built.m.body },
        `measurement for ${cell.code} was never saved and is abandoned`,
      );
      this.dropCell();
      return;
    }
    const event = why === 'expired' ? 'cell.expired' : 'cell.abandoned';
    if (config.on_new_scan === 'save_partial' && cell.takes.length > 0 && this.requiredIn(cell) && cell.lookup !== 'pending') {
      logger.info({ event, station, cell: cell.code, next, action: 'save_partial', readings }, `cell ${cell.code} left with its required properties: saving what is there`);
      this.complete(cell);
      if (this.active === cell) this.dropCell(); // not saved: lastError says so
      return;
    }
    this.dropCell();
    if (cell.takes.length === 0) {
      logger.info({ event, station, cell: cell.code, next }, `cell ${cell.code} left with nothing measured`);
      if (why === 'expired') this.tell('info', `${cell.code} expired (nothing measured)`);
      return;
    }
    logger.warn({ event, station, cell: cell.code, next, action: 'discard', readings }, `cell ${cell.code} left incomplete: its readings are discarded`);
    this.tell('warn', `${cell.code} was not complete and was discarded${why === 'expired' ? ' (idle too long)' : ''}`);
  }

  private cancel(): void {
    const cell = this.active;
    if (!cell) return this.tell('info', 'nothing to cancel');
    this.opts.logger.warn({ event: 'cell.cancelled', station: this.opts.id, cell: cell.code, readings: cell.takes.length }, `cell ${cell.code} cancelled by the operator`);
    this.dropCell();
    this.tell('warn', `${cell.code} cancelled: nothing saved`);
  }

  private redo(): void {
    const cell = this.active;
    const prop = cell?.takes.at(-1);
    if (!cell || !prop || cell.built) return this.tell('info', 'no reading to redo');
    cell.takes.pop();
    const removed = cell.points.get(prop)?.pop();
    const rawAt = cell.raw.findLastIndex((r) => r.property === prop);
    if (rawAt >= 0) cell.raw.splice(rawAt, 1);
    this.step(prop, { kind: 'scan' });
    this.armIdle();
    this.opts.logger.info({ event: 'reading.redo', station: this.opts.id, cell: cell.code, property: prop, value: removed?.value }, `${prop} ${removed?.value ?? ''} removed: measure it again`);
    this.tell('info', `measure ${prop} again`);
  }

  private async voidLast(): Promise<void> {
    const last = this.lastSaved;
    if (!last || last.voided) return this.tell('info', 'nothing to void');
    if (!this.opts.voidMeasurement) return this.tell('error', 'void is not available on this station');
    const outcome = await this.opts.voidMeasurement({ id: last.id, station: this.opts.id, who: this.operator });
    if (outcome.ok && this.lastSaved === last) this.lastSaved = { ...last, voided: true };
    this.tell(outcome.ok ? 'warn' : 'error', outcome.message);
  }

  private setOperator(who: string): void {
    if (!/^[\p{L}\p{N} ._@-]{1,64}$/u.test(who)) return this.tell('warn', 'operator badge not understood');
    this.operator = who;
    this.opts.logger.info({ event: 'operator.set', station: this.opts.id, operator: who }, `operator ${who}`);
    this.tell('info', `operator: ${who}`);
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
      { event: 'reading.dropped', station: this.opts.id, cell: this.active?.code, device: reading.device, value: reading.value, unit: reading.unit, stable: reading.stable, reason },
      `reading dropped: ${reason}`,
    );
  }

  private complete(cell: ActiveCell): void {
    const { config, clock, lab, version, id: station, logger } = this.opts;
    const createdAt = clock.now();
    const name = renderName(config.name_template, { station, cell: cell.code, time: createdAt, seq: ++this.seq, uuid: (this.opts.uuid ?? randomUUID)() });
    const points = new Map([...cell.points].map(([p, pts]) => [p, pts.map((t) => t.value)]));
    const { properties, roundedMeans } = buildProperties(config.properties, points);
    if (roundedMeans.length > 0) logger.info({ event: 'measurement.mean_rounded', station, cell: cell.code, properties: roundedMeans }, 'a mean did not terminate; rounded to 3 digits past the resolution');
    // Keyed by the Ionworks property name, so the record on the server says what measured each of its properties.
    const instruments: Record<string, { device: string; model?: string; serial?: string }> = {};
    for (const prop of cell.points.keys()) {
      const src = config.properties[prop]!;
      const id = this.opts.deviceIdentity?.(src.device);
      instruments[src.name ?? prop] = {
        device: src.device,
        ...(id?.model === undefined ? {} : { model: id.model }),
        ...(id?.serial === undefined ? {} : { serial: id.serial }),
      };
    }
    const body = createPropertiesMeasurementSchema.parse({
      name,
      measurement_type: 'properties',
      properties,
      start_time: new Date(cell.scannedAt).toISOString(),
      test_setup: { lab, station, software: `ionworks-edge ${version}`, instruments, ...(this.operator === null ? {} : { operator: this.operator }) },
      ...(config.notes === undefined ? {} : { notes: config.notes }),
      ...(config.protocol === undefined ? {} : { protocol: config.protocol }),
    });
    const unresolved = cell.cellInstanceId === null;
    // Serialized once: every retry, after any restart, sends these exact bytes. An unresolved name goes in the
    // path slot as well, so a row that somehow skips resolution fails loudly (404) instead of going elsewhere.
    const m: BuiltMeasurement = { cellInstanceId: cell.cellInstanceId ?? cell.code, name, body: JSON.stringify(body), station, createdAt };
    cell.built = { m, trace: { cellName: unresolved ? cell.code : null, raw: [...cell.raw], keepUntil: createdAt + config.raw_retention_days * DAY_MS } };
    this.trySave(cell);
  }

  private trySave(cell: ActiveCell): void {
    const { logger, clock, id: station } = this.opts;
    const built = cell.built!;
    let saved: { id: number };
    try {
      saved = this.opts.save(built.m, built.trace);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.lastError = { cell: cell.code, name: built.m.name, message, at: clock.now() };
      logger.error({ event: 'measurement.not_saved', station, cell: cell.code, name: built.m.name, err: message }, `NOT SAVED: ${cell.code}: ${message}`);
      this.changed();
      return;
    }
    crashPoint('after_save'); // test-only (src/ops/crash-points.ts): no-op unless IONWORKS_CRASH_AT names it
    this.lastSaved = { id: saved.id, name: built.m.name, cell: cell.code, at: clock.now() };
    this.lastError = null;
    this.dropCell();
    logger.info(
      { event: 'measurement.saved', station, id: saved.id, name: built.m.name, cell: cell.code, ...(built.trace.cellName ? { unresolvedName: built.trace.cellName } : {}) },
      `saved ${built.m.name}`,
    );
    this.changed();
  }

  private dropCell(): void {
    this.active = null;
    this.disarmIdle();
  }

  private armIdle(): void {
    const { timers, config, clock } = this.opts;
    this.disarmIdle();
    if (!timers || config.idle_timeout_s === 0) return;
    const ms = config.idle_timeout_s * 1000;
    this.expiresAt = clock.now() + ms;
    const cell = this.active;
    this.idleTimer = timers.setTimeout(() => {
      this.idleTimer = undefined;
      if (cell && this.active === cell) {
        this.leave(cell, 'expired');
        this.changed();
      }
    }, ms);
  }

  private disarmIdle(): void {
    if (this.idleTimer !== undefined) this.opts.timers?.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.expiresAt = null;
  }

  private tell(level: 'info' | 'warn' | 'error', message: string): void {
    this.notice = { level, message, at: this.opts.clock.now() };
    this.changed();
  }

  private changed(): void {
    this.emit('changed', this.snapshot());
  }
}

// What the station keeps beside the outbox row, in the same SQLite file and the same transaction: the raw
// readings behind a measurement (for raw_retention_days), the scanned name of a cell not yet resolved to an id,
// and voids with their audit trail. Tables come from migration 4 in src/queue/migrations.ts.
import type { Statement } from 'better-sqlite3';
import { immediate, type Db } from '../queue/db.js';
import type { NewMeasurement, RowState } from '../queue/types.js';

export interface RawReadingRecord {
  property: string;
  device: string;
  value: string;
  unit: string;
  /** The instrument's frame as received. */
  raw: string;
  at: number;
}

export interface MeasurementTrace {
  /** The scanned name when it could not be resolved to a cell instance id at the bench; null when resolved. */
  cellName: string | null;
  raw: RawReadingRecord[];
  /** Raw readings may be pruned after this time (ms since the epoch). */
  keepUntil: number;
}

export interface TraceOutbox {
  save(m: NewMeasurement): { id: number };
  connection(): Db;
}

export interface VoidedRow {
  id: number;
  name: string;
  cellInstanceId: string;
  /** State before the void: 'pending' rows become dead (never sent); delivered ones stay delivered, marked void. */
  previous: RowState;
  serverId: string | null;
}

export class VoidError extends Error {
  override name = 'VoidError';
}

export class TraceStore {
  /** Statements prepared once per connection: preparing costs about as much as the save's SQL itself. */
  private prepared: { db: Db; statements: Map<string, Statement> } | null = null;

  constructor(private readonly outbox: TraceOutbox) {}

  private stmt(sql: string): Statement {
    const db = this.outbox.connection();
    if (this.prepared?.db !== db) this.prepared = { db, statements: new Map() };
    let statement = this.prepared.statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.prepared.statements.set(sql, statement);
    }
    return statement;
  }

  /** Saves the row and its trace in one transaction: both are committed, or neither. */
  save(m: NewMeasurement, trace: MeasurementTrace): { id: number } {
    const db = this.outbox.connection();
    return immediate(db, () => {
      const saved = this.outbox.save(m);
      if (trace.cellName !== null) this.stmt('UPDATE outbox SET cell_name = ? WHERE id = ?').run(trace.cellName, saved.id);
      const insert = this.stmt(
        `INSERT INTO raw_readings (outbox_id, property, device, value, unit, raw, at, keep_until)
         VALUES (@id, @property, @device, @value, @unit, @raw, @at, @keepUntil)`,
      );
      for (const r of trace.raw) insert.run({ ...r, id: saved.id, keepUntil: trace.keepUntil });
      return saved;
    });
  }

  /** The scanned name still waiting to be resolved, or null when the row carries a real cell instance id. */
  unresolvedName(id: number): string | null {
    const row = this.stmt('SELECT cell_name FROM outbox WHERE id = ?').get(id) as { cell_name: string | null } | undefined;
    return row?.cell_name ?? null;
  }

  /** Records the id a name resolved to; the uploader then posts to it. */
  resolveCell(id: number, cellInstanceId: string, at: number): void {
    const db = this.outbox.connection();
    immediate(db, () => {
      const changed = this.stmt(
        `UPDATE outbox SET cell_instance_id = ?, cell_name = NULL WHERE id = ? AND cell_name IS NOT NULL AND state = 'pending'`,
      ).run(cellInstanceId, id).changes;
      if (changed === 1) this.audit({ at, event: 'cell.resolved', outboxId: id, detail: cellInstanceId });
    });
  }

  /**
   * Voids a saved measurement. Pending: moved to dead with the reason, so it is never sent and never re-queued.
   * Delivered: marked void locally (the caller updates the server's notes). Refused while an upload of the row is
   * in flight, because that POST may land anyway.
   */
  voidRow(id: number, who: string | null, at: number): VoidedRow {
    const db = this.outbox.connection();
    return immediate(db, () => {
      const row = this.stmt(
        `SELECT o.id, o.name, o.cell_instance_id, o.state, o.server_id, o.voided_at,
                EXISTS (SELECT 1 FROM attempts a WHERE a.outbox_id = o.id AND a.attempt = o.attempts AND a.finished_at IS NULL) AS in_flight
           FROM outbox o WHERE o.id = ?`,
      ).get(id) as { id: number; name: string; cell_instance_id: string; state: RowState; server_id: string | null; voided_at: number | null; in_flight: 0 | 1 } | undefined;
      if (!row) throw new VoidError(`no saved measurement ${id}`);
      if (row.voided_at !== null) throw new VoidError(`${row.name} is already void`);
      if (row.state === 'pending' && row.in_flight === 1) throw new VoidError(`${row.name} is being uploaded right now; scan void again in a moment`);
      const reason = `voided by ${who ?? 'the operator'} at ${new Date(at).toISOString()}`;
      if (row.state === 'pending')
        this.stmt(`UPDATE outbox SET state = 'dead', dead_reason = ?, finished_at = ?, voided_at = ?, voided_by = ? WHERE id = ?`).run(reason, at, at, who, id);
      else this.stmt('UPDATE outbox SET voided_at = ?, voided_by = ? WHERE id = ?').run(at, who, id);
      this.audit({ at, event: 'measurement.voided', outboxId: id, who, detail: `${row.state}: ${reason}` });
      return { id, name: row.name, cellInstanceId: row.cell_instance_id, previous: row.state, serverId: row.server_id };
    });
  }

  /** Rows voided before upload (dead on purpose, not failures): the status page counts them apart. */
  voidedBeforeUpload(): number {
    return (this.stmt(`SELECT count(*) AS n FROM outbox WHERE state = 'dead' AND voided_at IS NOT NULL`).get() as { n: number }).n;
  }

  audit(e: { at: number; event: string; outboxId?: number; station?: string; who?: string | null; detail?: string }): void {
    this.stmt('INSERT INTO audit (at, event, outbox_id, station, who, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
      e.at, e.event, e.outboxId ?? null, e.station ?? null, e.who ?? null, e.detail ?? null,
    );
  }

  auditLog(outboxId: number): { at: number; event: string; who: string | null; detail: string | null }[] {
    return this.stmt('SELECT at, event, who, detail FROM audit WHERE outbox_id = ? ORDER BY id').all(outboxId) as {
      at: number;
      event: string;
      who: string | null;
      detail: string | null;
    }[];
  }

  rawReadings(outboxId: number): RawReadingRecord[] {
    const sql = 'SELECT property, device, value, unit, raw, at FROM raw_readings WHERE outbox_id = ? ORDER BY rowid';
    return this.stmt(sql).all(outboxId) as RawReadingRecord[];
  }

  /** For the queue's housekeeper: deletes raw readings past their retention; returns how many. */
  pruneRawReadings(now: number): number {
    return this.stmt('DELETE FROM raw_readings WHERE keep_until <= ?').run(now).changes;
  }
}

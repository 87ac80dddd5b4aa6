// The durable outbox: the system of record for every measurement owed to the API (design invariants 1-3).
// Rows leave 'pending' only through recordDelivered (2xx or found on the server) or recordDead (kept, re-queueable).
import type { Clock } from '../core/clock.js';
import type { Logger } from '../ops/logger.js';
import { immediate, openDatabase, type Db } from './db.js';
import { assertCurrentSchema, migrate, schemaVersion } from './migrations.js';
import { OutboxAdmin } from './admin.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  NewMeasurement,
  OutboxCounts,
  OutboxRecord,
  OutboxRecordWithAttempts,
  RowState,
} from './types.js';

export interface OutboxOptions {
  path: string;
  clock: Clock;
  logger: Logger;
  /** For inspection (CLI list/status): no migration, and every write fails. */
  readonly?: boolean;
  busyTimeoutMs?: number;
}

/** The measurement was NOT saved. The caller must tell the operator so. */
export class OutboxWriteError extends Error {
  override name = 'OutboxWriteError';
  constructor(
    message: string,
    /** SQLite error code (SQLITE_FULL, SQLITE_READONLY, SQLITE_CONSTRAINT_UNIQUE, ...) or NOT_OPEN. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class DuplicateNameError extends OutboxWriteError {
  override name = 'DuplicateNameError';
  constructor(
    readonly measurementName: string,
    readonly existing: { id: number; state: RowState } | null,
    cause: unknown,
  ) {
    const where = existing ? ` (row ${existing.id}, ${existing.state})` : '';
    super(
      `measurement name "${measurementName}" is already in the outbox${where}; the new one was not saved`,
      'SQLITE_CONSTRAINT_UNIQUE',
      { cause },
    );
  }
}

/** An operation that the row's current state does not allow (a caller bug or an operator typo). */
export class OutboxStateError extends Error {
  override name = 'OutboxStateError';
}

/**
 * Retry details are capped so a long outage behind a proxy that answers with HTML pages cannot fill the disk with
 * copies of it; dead letters keep the server's answer whole.
 */
export const RETRY_DETAIL_LIMIT = 4096;

function capDetail(detail: string | null): string | null {
  if (detail === null || detail.length <= RETRY_DETAIL_LIMIT) return detail;
  return `${detail.slice(0, RETRY_DETAIL_LIMIT)}…[truncated ${detail.length - RETRY_DETAIL_LIMIT} chars]`;
}

export interface RowColumns {
  id: number;
  cell_instance_id: string;
  name: string;
  body: string;
  station: string;
  state: RowState;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status: number | null;
  server_id: string | null;
  finished_at: number | null;
  dead_reason: string | null;
  attempts_at_requeue: number;
  outcome_unknown: 0 | 1;
}

interface AttemptColumns {
  attempt: number;
  started_at: number;
  finished_at: number | null;
  status: number | null;
  detail: string | null;
  correlation_id: string | null;
}

// The open attempt is always number `attempts`: beginAttempt bumps both in one transaction.
export const SELECT_ROW = `
  SELECT o.id, o.cell_instance_id, o.name, o.body, o.station, o.state, o.created_at, o.attempts, o.next_attempt_at,
         o.last_error, o.last_status, o.server_id, o.finished_at, o.dead_reason, o.attempts_at_requeue,
         EXISTS (SELECT 1 FROM attempts a
                  WHERE a.outbox_id = o.id AND a.attempt = o.attempts AND a.finished_at IS NULL) AS outcome_unknown
    FROM outbox AS o`;

// Exported for the query-plan test. INDEXED BY pins the plans: walk pending rows in id order, filter on the
// indexed next_attempt_at, stop after `limit`: no sort, and never the whole backlog in memory. nextDueAt reads
// the same index entries only (covering), never the rows.
export const DUE_SQL = `${SELECT_ROW} INDEXED BY outbox_queue
  WHERE o.state = 'pending' AND o.next_attempt_at <= ? ORDER BY o.id LIMIT ?`;
export const NEXT_DUE_SQL = `SELECT min(next_attempt_at) AS at FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'`;

export function toRecord(r: RowColumns): OutboxRecord {
  return {
    id: r.id,
    cellInstanceId: r.cell_instance_id,
    name: r.name,
    body: r.body,
    station: r.station,
    state: r.state,
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    outcomeUnknown: r.outcome_unknown === 1,
    lastError: r.last_error,
    lastStatus: r.last_status,
    serverId: r.server_id,
    finishedAt: r.finished_at,
    deadReason: r.dead_reason,
    attemptsSinceRequeue: r.attempts - r.attempts_at_requeue,
  };
}

function toAttempt(a: AttemptColumns): AttemptRecord {
  return {
    attempt: a.attempt,
    startedAt: a.started_at,
    finishedAt: a.finished_at,
    status: a.status,
    detail: a.detail,
    correlationId: a.correlation_id,
  };
}

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function prepareStatements(db: Db) {
  return {
    // Never a reused id: above every id in the table and every id ever deleted (migration 6).
    insert: db.prepare(
      `INSERT INTO outbox (id, cell_instance_id, name, body, station, created_at, next_attempt_at)
       VALUES ((SELECT max(coalesce((SELECT max(id) FROM outbox), 0), floor) + 1 FROM outbox_id_floor),
               @cellInstanceId, @name, @body, @station, @createdAt, @createdAt)`,
    ),
    byName: db.prepare('SELECT id, state FROM outbox WHERE name = ?'),
    due: db.prepare(DUE_SQL),
    get: db.prepare(`${SELECT_ROW} WHERE o.id = ?`),
    attemptsOf: db.prepare(
      `SELECT attempt, started_at, finished_at, status, detail, correlation_id
         FROM attempts WHERE outbox_id = ? ORDER BY attempt`,
    ),
    list: db.prepare(`${SELECT_ROW} WHERE o.state = ? ORDER BY o.id LIMIT ? OFFSET ?`),
    counts: db.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state'),
    oldestPending: db.prepare(`SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1`),
    nextDue: db.prepare(NEXT_DUE_SQL),
    openAttempts: db.prepare(
      `SELECT count(*) AS n FROM outbox o JOIN attempts a ON a.outbox_id = o.id AND a.attempt = o.attempts
        WHERE o.state = 'pending' AND a.finished_at IS NULL`,
    ),
    bumpAttempts: db.prepare(
      `UPDATE outbox SET attempts = attempts + 1 WHERE id = ? AND state = 'pending' RETURNING attempts`,
    ),
    insertAttempt: db.prepare('INSERT INTO attempts (outbox_id, attempt, started_at) VALUES (?, ?, ?)'),
    dropAttempt: db.prepare(
      `DELETE FROM attempts WHERE outbox_id = @id AND attempt = @attempt AND finished_at IS NULL
          AND attempt = (SELECT attempts FROM outbox WHERE id = @id AND state = 'pending')`,
    ),
    unbumpAttempts: db.prepare('UPDATE outbox SET attempts = attempts - 1 WHERE id = ?'),
    closeAttempt: db.prepare(
      `UPDATE attempts SET finished_at = @at, status = @status, detail = @detail, correlation_id = @correlationId
        WHERE outbox_id = @id AND finished_at IS NULL
          AND attempt = (SELECT attempts FROM outbox WHERE id = @id AND state = 'pending')`,
    ),
    delivered: db.prepare(
      `UPDATE outbox SET state = 'delivered', server_id = @serverId, finished_at = @at, last_status = @status,
              last_error = NULL
        WHERE id = @id AND state = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE outbox SET next_attempt_at = @nextAttemptAt, last_status = @status, last_error = @detail
        WHERE id = @id AND state = 'pending'`,
    ),
    dead: db.prepare(
      `UPDATE outbox SET state = 'dead', dead_reason = @reason, finished_at = @at, last_status = @status,
              last_error = @detail
        WHERE id = @id AND state = 'pending'`,
    ),
    requeueOne: db.prepare(
      `UPDATE outbox SET state = 'pending', next_attempt_at = @now, finished_at = NULL, dead_reason = NULL,
              attempts_at_requeue = attempts
        WHERE id = @id AND state = 'dead' AND voided_at IS NULL`,
    ),
    requeueAll: db.prepare(
      `UPDATE outbox SET state = 'pending', next_attempt_at = @now, finished_at = NULL, dead_reason = NULL,
              attempts_at_requeue = attempts
        WHERE state = 'dead' AND voided_at IS NULL`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Commits (about ten WAL pages each) between the checkpoints checkpoint() makes: the WAL is copied in chunks of a
 * few hundred pages, well below SQLite's auto-checkpoint at 1,000, and each checkpoint's WAL restart (one more
 * fsync for the next commit) is paid once per chunk.
 */
export const CHECKPOINT_AFTER_COMMITS = 32;

export class Outbox {
  private db: Db | null = null;
  private commitsSinceCheckpoint = 0;
  private st: Statements | null = null;
  private adminOps: OutboxAdmin | null = null;

  constructor(private readonly opts: OutboxOptions) {}

  open(): void {
    if (this.db) return;
    const { path, logger, readonly } = this.opts;
    const db = openDatabase(path, { readonly: readonly ?? false, busyTimeoutMs: this.opts.busyTimeoutMs });
    try {
      let migratedFrom: number | null = null;
      if (readonly) assertCurrentSchema(db);
      else {
        const { from, to } = migrate(db);
        if (from !== to) migratedFrom = from;
      }
      this.st = prepareStatements(db);
      this.adminOps = new OutboxAdmin(db, { clock: this.opts.clock, logger, get: (id) => this.get(id) });
      this.db = db;
    } catch (err) {
      db.close();
      throw err;
    }
    const inFlight = (this.st.openAttempts.get() as { n: number }).n;
    logger.info(
      { event: 'outbox.opened', path, readonly: readonly ?? false, schemaVersion: schemaVersion(db), ...this.counts() },
      'outbox opened',
    );
    if (inFlight > 0) {
      // Their POST may or may not have reached the server; the uploader resends the same name and body.
      logger.warn(
        { event: 'outbox.outcome_unknown', rows: inFlight },
        `${inFlight} row(s) were being sent when the last run stopped; outcome unknown, they will be retried`,
      );
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.st = null;
    this.adminOps = null;
  }

  /** The open connection, for the station's trace store (raw readings, void, cell names) in the same file. */
  connection(): Db {
    if (!this.db) throw new OutboxStateError('outbox is not open');
    return this.db;
  }

  /** Administration (CLI `queue`, housekeeping) on this connection. */
  admin(): OutboxAdmin {
    if (!this.adminOps) throw new OutboxStateError('outbox is not open');
    return this.adminOps;
  }

  /** Commits one row (WAL + synchronous=FULL: fsync'd on return). Throws OutboxWriteError if not saved. */
  save(m: NewMeasurement): { id: number } {
    const st = this.st;
    if (!st) throw new OutboxWriteError(`outbox is not open; measurement "${m.name}" was not saved`, 'NOT_OPEN');
    try {
      const id = Number(st.insert.run(m).lastInsertRowid);
      this.commitsSinceCheckpoint++;
      return { id };
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const existing = st.byName.get(m.name) as { id: number; state: RowState } | undefined;
        throw new DuplicateNameError(m.name, existing ?? null, err);
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new OutboxWriteError(`outbox write failed (${code}: ${why}); measurement "${m.name}" was not saved`, code, {
        cause: err,
      });
    }
  }

  /** Pending rows whose next attempt is due, oldest (lowest id) first. */
  due(now: number, limit: number): OutboxRecord[] {
    return (this.stmts().due.all(now, limit) as RowColumns[]).map(toRecord);
  }

  /** Commits the attempt before the request is sent, so a crash leaves it visibly open (outcomeUnknown). */
  beginAttempt(id: number, at: number): number {
    const st = this.stmts();
    return this.write(() => {
      const bumped = st.bumpAttempts.get(id) as { attempts: number } | undefined;
      if (!bumped) throw this.notPending(id, 'start an attempt on');
      st.insertAttempt.run(id, bumped.attempts, at);
      return bumped.attempts;
    });
  }

  /**
   * Takes back an attempt that was committed but whose request was never sent (the uploader commits the next row's
   * attempt while the previous request is in flight, and drops it if it stops sending). Throws OutboxStateError if
   * `attempt` is not the row's open attempt.
   */
  releaseAttempt(id: number, attempt: number): void {
    const st = this.stmts();
    this.write(() => {
      if (st.dropAttempt.run({ id, attempt }).changes !== 1)
        throw new OutboxStateError(`row ${id} has no open attempt ${attempt} to release (is it pending?)`);
      st.unbumpAttempts.run(id);
    });
  }

  /**
   * Runs `fn` (any of the methods above) in one IMMEDIATE transaction: one fsync for all of its writes. A method
   * that throws inside it ends the whole transaction (let the error out of `fn`): nothing of `fn` is kept.
   */
  atomically<T>(fn: () => T): T {
    this.stmts();
    return this.write(fn);
  }

  /** 2xx, or the same measurement found on the server. */
  recordDelivered(id: number, at: number, outcome: AttemptOutcome & { serverId: string }): void {
    this.finishAttempt(id, at, outcome, outcome.detail, 'delivered', { serverId: outcome.serverId });
  }

  recordRetry(id: number, at: number, outcome: AttemptOutcome, nextAttemptAt: number): void {
    this.finishAttempt(id, at, outcome, capDetail(outcome.detail), 'retry', { nextAttemptAt });
  }

  /** Permanent failure: the row stays, with the server's answer whole, until re-queued. */
  recordDead(id: number, at: number, outcome: AttemptOutcome & { reason: string }): void {
    this.finishAttempt(id, at, outcome, outcome.detail, 'dead', { reason: outcome.reason });
  }

  /** Dead -> pending, due now. Throws OutboxStateError if the row does not exist or is not dead. */
  requeue(id: number): void {
    const st = this.stmts();
    const previous = this.write(() => {
      const row = st.get.get(id) as RowColumns | undefined;
      if (!row || row.state !== 'dead') throw this.notDead(id, row);
      // A voided row stays dead for good (see src/station/trace-store.ts).
      if (st.requeueOne.run({ id, now: this.opts.clock.now() }).changes !== 1)
        throw new OutboxStateError(`row ${id} was voided by an operator and is never sent`);
      return row;
    });
    this.opts.logger.info(
      { event: 'outbox.requeued', id, name: previous.name, previousReason: previous.dead_reason },
      `row ${id} re-queued from dead`,
    );
  }

  /** Returns how many dead rows were re-queued. */
  requeueAllDead(): number {
    const st = this.stmts();
    const count = this.write(() => st.requeueAll.run({ now: this.opts.clock.now() }).changes);
    this.opts.logger.info({ event: 'outbox.requeued_all', count }, `${count} dead row(s) re-queued`);
    return count;
  }

  get(id: number): OutboxRecordWithAttempts | null {
    const st = this.stmts();
    const row = st.get.get(id) as RowColumns | undefined;
    if (!row) return null;
    return { ...toRecord(row), attemptLog: (st.attemptsOf.all(id) as AttemptColumns[]).map(toAttempt) };
  }

  /** Rows in one state, oldest first. */
  list(state: RowState, limit: number, offset = 0): OutboxRecord[] {
    return (this.stmts().list.all(state, limit, offset) as RowColumns[]).map(toRecord);
  }

  counts(): OutboxCounts {
    const counts: OutboxCounts = { pending: 0, delivered: 0, dead: 0 };
    for (const { state, n } of this.stmts().counts.all() as { state: RowState; n: number }[]) counts[state] = n;
    return counts;
  }

  /** created_at of the first-saved row still pending (age of the backlog), or null if none. */
  oldestPendingAt(): number | null {
    const row = this.stmts().oldestPending.get() as { created_at: number } | undefined;
    return row?.created_at ?? null;
  }

  /** Earliest next_attempt_at among pending rows, so the uploader can sleep until then; null if none pending. */
  nextDueAt(): number | null {
    return (this.stmts().nextDue.get() as { at: number | null }).at;
  }

  /**
   * Copies the WAL into the database file (PASSIVE: never waits for readers) once CHECKPOINT_AFTER_COMMITS
   * commits have gone into it since the last time; otherwise does nothing. The daemon calls it while uploads
   * are on the wire, so the WAL stays below SQLite's auto-checkpoint size and that checkpoint (a write of the
   * WAL's pages and an fsync of the database file) does not land inside a station's save. Never throws: a
   * failure is logged, and SQLite's own auto-checkpoint remains as the fallback.
   */
  checkpoint(): void {
    if (this.commitsSinceCheckpoint < CHECKPOINT_AFTER_COMMITS) return;
    try {
      this.connection().pragma('wal_checkpoint(PASSIVE)');
      this.commitsSinceCheckpoint = 0;
    } catch (err) {
      this.opts.logger.warn({ event: 'outbox.checkpoint_failed', err: err instanceof Error ? err.message : String(err) }, 'WAL checkpoint failed');
    }
  }

  private stmts(): Statements {
    if (!this.st) throw new OutboxStateError('outbox is not open');
    return this.st;
  }

  /**
   * IMMEDIATE: take the write lock up front, so busy_timeout applies instead of a snapshot conflict. Inside
   * atomically() it runs in that transaction without a savepoint of its own (a savepoint per write doubled the
   * uploader's SQL cost); every method here checks its row's state before it writes, so a refusal writes nothing.
   */
  private write<T>(fn: () => T): T {
    const db = this.db as Db;
    if (db.inTransaction) return fn();
    const result = immediate(db, fn);
    this.commitsSinceCheckpoint++;
    return result;
  }

  private finishAttempt(
    id: number,
    at: number,
    outcome: AttemptOutcome,
    detail: string | null,
    kind: 'delivered' | 'retry' | 'dead',
    extra: { serverId?: string; nextAttemptAt?: number; reason?: string },
  ): void {
    const st = this.stmts();
    const params = { id, at, status: outcome.status, detail, correlationId: outcome.correlationId ?? null };
    this.write(() => {
      if (st.closeAttempt.run(params).changes !== 1) {
        throw new OutboxStateError(`row ${id} has no open attempt to record a result for (is it pending?)`);
      }
      const update = kind === 'delivered' ? st.delivered : kind === 'retry' ? st.retry : st.dead;
      update.run({ ...params, ...extra });
    });
  }

  private notPending(id: number, what: string): OutboxStateError {
    const row = this.stmts().get.get(id) as RowColumns | undefined;
    return new OutboxStateError(row ? `cannot ${what} row ${id}: it is ${row.state}` : `no outbox row ${id}`);
  }

  private notDead(id: number, row: RowColumns | undefined): OutboxStateError {
    return new OutboxStateError(
      row ? `row ${id} is ${row.state}; only dead rows can be re-queued` : `no outbox row ${id}`,
    );
  }
}

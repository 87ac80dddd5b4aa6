// Outbox schema, versioned with PRAGMA user_version. Migrations only ever append: never edit a shipped one.
import { immediate, type Db } from './db.js';

export interface Migration {
  /** The user_version the database has after this migration. */
  version: number;
  description: string;
  /**
   * The step drops and recreates a table that others reference (SQLite's documented way to change a table's
   * definition): it runs with foreign keys off, and every reference is checked before it commits.
   */
  rebuildsTables?: boolean;
  up(db: Db): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'outbox table',
    up(db) {
      // AUTOINCREMENT: an id is never reused, so ids in old logs keep pointing at one measurement.
      db.exec(`
        CREATE TABLE outbox (
          id               INTEGER PRIMARY KEY AUTOINCREMENT,
          cell_instance_id TEXT    NOT NULL,
          name             TEXT    NOT NULL UNIQUE,
          body             TEXT    NOT NULL,
          station          TEXT    NOT NULL,
          created_at       INTEGER NOT NULL,
          state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
          attempts         INTEGER NOT NULL DEFAULT 0,
          next_attempt_at  INTEGER NOT NULL,
          last_error       TEXT,
          server_id        TEXT,
          finished_at      INTEGER
        );
        -- due(), list(), counts(): walk one state in id order; next_attempt_at is in the index so the
        -- due filter never reads the table.
        CREATE INDEX outbox_state_id ON outbox (state, id, next_attempt_at);
        -- nextDueAt(): MIN over pending rows only, so delivered history does not slow it.
        CREATE INDEX outbox_pending_next ON outbox (next_attempt_at) WHERE state = 'pending';
      `);
    },
  },
  {
    version: 2,
    description: 'attempt log, last status, dead reason, retry budget after requeue',
    up(db) {
      db.exec(`
        CREATE TABLE attempts (
          outbox_id      INTEGER NOT NULL REFERENCES outbox (id),
          attempt        INTEGER NOT NULL,
          started_at     INTEGER NOT NULL,
          finished_at    INTEGER,
          status         INTEGER,
          detail         TEXT,
          correlation_id TEXT,
          PRIMARY KEY (outbox_id, attempt)
        );
        ALTER TABLE outbox ADD COLUMN last_status INTEGER;
        ALTER TABLE outbox ADD COLUMN dead_reason TEXT;
        ALTER TABLE outbox ADD COLUMN attempts_at_requeue INTEGER NOT NULL DEFAULT 0;
      `);
    },
  },
  {
    version: 3,
    description: 'edit history for dead rows; indexes for storage bounds and retention',
    up(db) {
      db.exec(`
        CREATE TABLE edits (
          outbox_id            INTEGER NOT NULL REFERENCES outbox (id),
          edited_at            INTEGER NOT NULL,
          old_cell_instance_id TEXT    NOT NULL,
          new_cell_instance_id TEXT    NOT NULL,
          old_body             TEXT    NOT NULL,
          new_body             TEXT    NOT NULL
        );
        CREATE INDEX edits_outbox ON edits (outbox_id, edited_at);
        -- usage(): count and byte size of pending+dead rows from the index alone, checked on every scan.
        CREATE INDEX outbox_state_bytes ON outbox (state, length(CAST(body AS BLOB)));
        -- pruneDelivered(): the oldest finished rows without walking the delivered history.
        CREATE INDEX outbox_delivered_finished ON outbox (finished_at) WHERE state = 'delivered';
      `);
    },
  },
  {
    version: 4,
    description: 'bench workflow: unresolved cell names, voided rows, raw readings, audit log',
    up(db) {
      // cell_name: the scanned name when it could not be resolved to an id at the bench (resolved before upload).
      // voided_*: an operator voided the measurement; a voided row is never sent and never re-queued.
      db.exec(`
        ALTER TABLE outbox ADD COLUMN cell_name TEXT;
        ALTER TABLE outbox ADD COLUMN voided_at INTEGER;
        ALTER TABLE outbox ADD COLUMN voided_by TEXT;
        CREATE TABLE raw_readings (
          outbox_id  INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
          property   TEXT    NOT NULL,
          device     TEXT    NOT NULL,
          value      TEXT    NOT NULL,
          unit       TEXT    NOT NULL,
          raw        TEXT    NOT NULL,
          at         INTEGER NOT NULL,
          keep_until INTEGER NOT NULL
        );
        CREATE INDEX raw_readings_outbox ON raw_readings (outbox_id);
        CREATE INDEX raw_readings_keep ON raw_readings (keep_until);
        CREATE TABLE audit (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          at        INTEGER NOT NULL,
          event     TEXT    NOT NULL,
          outbox_id INTEGER,
          station   TEXT,
          who       TEXT,
          detail    TEXT
        );
      `);
    },
  },
  {
    version: 5,
    description: 'one queue index instead of three, so a save writes two fewer WAL pages',
    up(db) {
      // Every index is one more page written (and fsync'd) by each save. outbox_queue serves due(), list(), counts()
      // and usage() (body size as its last column) and nextDueAt() (a scan of pending entries, as due() already is
      // when every row waits in backoff); it replaces outbox_state_id, outbox_pending_next and outbox_state_bytes.
      db.exec(`
        DROP INDEX outbox_state_id;
        DROP INDEX outbox_pending_next;
        DROP INDEX outbox_state_bytes;
        CREATE INDEX outbox_queue ON outbox (state, id, next_attempt_at, length(CAST(body AS BLOB)));
      `);
    },
  },
  {
    version: 6,
    description: 'outbox ids without AUTOINCREMENT: a save writes one page fewer; ids are still never reused',
    rebuildsTables: true,
    up(db) {
      // AUTOINCREMENT rewrites its sqlite_sequence row on every insert: one more page in every save's commit.
      // It is kept only so ids are never reused (old log lines, audit entries), which matters only when the
      // newest row is deleted (purge, or pruning after a long idle spell). outbox_id_floor keeps that promise
      // instead: it holds the highest id ever deleted (a trigger), and Outbox.save takes max(id, floor) + 1,
      // so the floor is written by deletions, never by saves. Columns as migrations 1, 2 and 4 left them.
      const columns = `id, cell_instance_id, name, body, station, created_at, state, attempts, next_attempt_at, last_error,
        server_id, finished_at, last_status, dead_reason, attempts_at_requeue, cell_name, voided_at, voided_by`;
      db.exec(`
        CREATE TABLE outbox_v6 (
          id                  INTEGER PRIMARY KEY,
          cell_instance_id    TEXT    NOT NULL,
          name                TEXT    NOT NULL UNIQUE,
          body                TEXT    NOT NULL,
          station             TEXT    NOT NULL,
          created_at          INTEGER NOT NULL,
          state               TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
          attempts            INTEGER NOT NULL DEFAULT 0,
          next_attempt_at     INTEGER NOT NULL,
          last_error          TEXT,
          server_id           TEXT,
          finished_at         INTEGER,
          last_status         INTEGER,
          dead_reason         TEXT,
          attempts_at_requeue INTEGER NOT NULL DEFAULT 0,
          cell_name           TEXT,
          voided_at           INTEGER,
          voided_by           TEXT
        );
        INSERT INTO outbox_v6 (${columns}) SELECT ${columns} FROM outbox;
        CREATE TABLE outbox_id_floor (floor INTEGER NOT NULL);
        INSERT INTO outbox_id_floor (floor)
          SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), coalesce((SELECT max(id) FROM outbox), 0));
        DELETE FROM sqlite_sequence WHERE name = 'outbox';
        DROP TABLE outbox;
        ALTER TABLE outbox_v6 RENAME TO outbox;
        CREATE INDEX outbox_queue ON outbox (state, id, next_attempt_at, length(CAST(body AS BLOB)));
        CREATE INDEX outbox_delivered_finished ON outbox (finished_at) WHERE state = 'delivered';
        CREATE TRIGGER outbox_keep_id_floor AFTER DELETE ON outbox WHEN old.id > (SELECT floor FROM outbox_id_floor)
          BEGIN UPDATE outbox_id_floor SET floor = old.id; END;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
  constructor(
    message: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(message);
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tooNew(db: Db, found: number, supported: number): SchemaVersionError {
  return new SchemaVersionError(
    `${db.name}: outbox schema version ${found} is newer than this program supports (${supported}); ` +
      'it was written by a newer ionworks-edge. Refusing to open it: upgrade ionworks-edge instead of downgrading.',
    found,
    supported,
  );
}

/**
 * Brings the database up to the last of `migrations`, one transaction per step. IMMEDIATE takes the write lock
 * before reading user_version, so two processes starting together cannot both apply the same step.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const target = migrations.length;
  const from = schemaVersion(db);
  if (from > target) throw tooNew(db, from, target);
  for (const m of migrations) {
    const step = () =>
      immediate(db, () => {
        const current = schemaVersion(db);
        if (current >= m.version) return;
        m.up(db);
        if (m.rebuildsTables) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0) throw new Error(`migration ${m.version} would break ${broken.length} reference(s): ${JSON.stringify(broken.slice(0, 3))}`);
        }
        db.pragma(`user_version = ${m.version}`);
      });
    if (m.rebuildsTables) withoutForeignKeys(db, step);
    else step();
  }
  return { from, to: schemaVersion(db) };
}

/** PRAGMA foreign_keys is a no-op inside a transaction, so it is switched around one. */
function withoutForeignKeys(db: Db, fn: () => void): void {
  const was = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    fn();
  } finally {
    db.pragma(`foreign_keys = ${was ? 'ON' : 'OFF'}`);
  }
}

/** For read-only connections, which cannot migrate: the schema must be exactly what this code knows. */
export function assertCurrentSchema(db: Db): void {
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) throw tooNew(db, found, SCHEMA_VERSION);
  if (found < SCHEMA_VERSION) {
    throw new SchemaVersionError(
      `${db.name}: outbox schema version ${found} is older than this program's (${SCHEMA_VERSION}); ` +
        'a read-only connection cannot upgrade it. Start the daemon once (it migrates on open), then retry.',
      found,
      SCHEMA_VERSION,
    );
  }
}

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { openDatabase } from '../../src/queue/db.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION, SchemaVersionError, schemaVersion } from '../../src/queue/migrations.js';
import { Outbox } from '../../src/queue/outbox.js';
import { silentLogger } from '../../src/ops/logger.js';
import { measurement, openOutbox, tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

/** A database as the first release left it: v1 schema only, two pending rows (one already retried once). */
function buildV1(path: string): void {
  const db = openDatabase(path);
  expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual({ from: 0, to: 1 });
  const insert = db.prepare(
    `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, attempts, last_error)
     VALUES (?, ?, ?, 'bench1', ?, ?, ?, ?)`,
  );
  insert.run('cell-a', 'bench1-A', '{"a":1}', T0, T0, 0, null);
  insert.run('cell-b', 'bench1-B', '{"b":2}', T0 + 1, T0 + 500, 1, 'HTTP 503');
  db.close();
}

describe('outbox migrations', () => {
  it('has consecutive versions, so user_version always names the last applied step', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
  });

  it('upgrades a v1 database holding pending rows to the current schema, and those rows are due with their history', () => {
    const path = join(tempDir(), 'outbox.db');
    buildV1(path);
    const { outbox } = openOutbox(path, new FakeClock(T0 + 1_000));

    const due = outbox.due(T0 + 1_000, 10);
    expect(due.map((r) => [r.name, r.body, r.attempts, r.lastError, r.outcomeUnknown])).toEqual([
      ['bench1-A', '{"a":1}', 0, null, false],
      ['bench1-B', '{"b":2}', 1, 'HTTP 503', false],
    ]);
    // Attempt numbering carries on from the v1 counter.
    const b = due[1]!;
    expect(outbox.beginAttempt(b.id, T0 + 1_000)).toBe(2);
    outbox.recordDelivered(b.id, T0 + 1_001, { status: 201, detail: null, serverId: 'srv-b' });
    expect(outbox.get(b.id)?.attemptLog.map((a) => a.attempt)).toEqual([2]);
    outbox.close();

    const db = openDatabase(path, { readonly: true });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('upgrades a v2 database holding a dead row: it can then be edited (history kept), counted and pruned', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    migrate(db, MIGRATIONS.slice(0, 2));
    db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, state, attempts, dead_reason, finished_at)
       VALUES ('cell-a', 'bench1-A', '{"name":"bench1-A"}', 'bench1', ?, ?, 'dead', 1, 'HTTP 422', ?)`,
    ).run(T0, T0, T0);
    db.close();

    const { outbox } = openOutbox(path, new FakeClock(T0 + 1_000));
    expect(outbox.admin().schemaVersion()).toBe(SCHEMA_VERSION);
    expect(outbox.admin().usage()).toEqual({ rows: 1, bytes: 19 });
    const [row] = outbox.list('dead', 10);
    outbox.admin().editDead(row!.id, { cellInstanceId: 'cell-b' });
    expect(outbox.admin().edits(row!.id)).toEqual([
      { editedAt: T0 + 1_000, oldCellInstanceId: 'cell-a', newCellInstanceId: 'cell-b', oldBody: '{"name":"bench1-A"}', newBody: '{"name":"bench1-A"}' },
    ]);
    expect(outbox.admin().pruneDelivered(T0 + 1_000)).toBe(0);
    outbox.close();
  });

  it('upgrades a v4 database to the one queue index: due order, next due time and usage read the same', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    migrate(db, MIGRATIONS.slice(0, 4));
    const insert = db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, state)
       VALUES ('cell', ?, ?, 'bench1', ?, ?, ?)`,
    );
    insert.run('bench1-A', '{"a":"later"}', T0, T0 + 9_000, 'pending');
    insert.run('bench1-B', '{"b":"now"}', T0 + 1, T0 + 2_000, 'pending');
    insert.run('bench1-C', '{"c":"dead"}', T0 + 2, T0 + 2, 'dead');
    insert.run('bench1-D', '{"d":"sent"}', T0 + 3, T0 + 3, 'delivered');
    db.close();

    const { outbox } = openOutbox(path, new FakeClock(T0));
    expect(outbox.due(T0 + 2_000, 10).map((r) => r.name)).toEqual(['bench1-B']);
    expect(outbox.due(T0 + 9_000, 10).map((r) => r.name)).toEqual(['bench1-A', 'bench1-B']);
    expect(outbox.nextDueAt()).toBe(T0 + 2_000);
    expect(outbox.admin().usage()).toEqual({ rows: 3, bytes: 13 + 11 + 12 });
    const indexes = outbox
      .connection()
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name`)
      .all();
    expect(indexes).toEqual([{ name: 'outbox_delivered_finished' }, { name: 'outbox_queue' }, { name: 'sqlite_autoindex_outbox_1' }]);
    outbox.close();
  });

  it('rebuilds a v5 outbox without AUTOINCREMENT: rows, attempts, raw readings and references intact, no id reused', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    migrate(db, MIGRATIONS.slice(0, 5));
    const insert = db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, state, attempts)
       VALUES ('cell', ?, ?, 'bench1', ?, ?, ?, ?)`,
    );
    insert.run('bench1-A', '{"a":"é"}', T0, T0, 'pending', 1);
    insert.run('bench1-B', '{"b":2}', T0 + 1, T0 + 1, 'dead', 0);
    insert.run('bench1-C', '{"c":3}', T0 + 2, T0 + 2, 'pending', 0);
    db.prepare('INSERT INTO attempts (outbox_id, attempt, started_at) VALUES (1, 1, ?)').run(T0);
    db.prepare(`INSERT INTO raw_readings VALUES (1, 'mass', 'balance1', '12.5', 'g', 'S S 12.5 g', ?, ?)`).run(T0, T0 + 1_000);
    // The newest row deleted: AUTOINCREMENT remembers 3, the table's max id is 2.
    db.exec('DELETE FROM outbox WHERE id = 3');
    db.close();

    const { outbox } = openOutbox(path, new FakeClock(T0));
    const conn = outbox.connection();
    expect(schemaVersion(conn)).toBe(SCHEMA_VERSION);
    expect((conn.prepare(`SELECT sql FROM sqlite_master WHERE name = 'outbox'`).get() as { sql: string }).sql).not.toMatch(/AUTOINCREMENT/i);
    expect(conn.prepare(`SELECT * FROM sqlite_sequence WHERE name = 'outbox'`).all()).toEqual([]);
    expect(outbox.get(1)).toMatchObject({ name: 'bench1-A', body: '{"a":"é"}', state: 'pending', attempts: 1, outcomeUnknown: true });
    expect(outbox.get(1)!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, startedAt: T0, finishedAt: null })]);
    expect(outbox.get(2)).toMatchObject({ name: 'bench1-B', state: 'dead' });
    expect(conn.prepare('SELECT outbox_id, raw FROM raw_readings').all()).toEqual([{ outbox_id: 1, raw: 'S S 12.5 g' }]);
    // References still hold and are still enforced.
    expect(conn.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(conn.pragma('foreign_key_check')).toEqual([]);
    expect(() => conn.exec('DELETE FROM outbox WHERE id = 1')).toThrow(/FOREIGN KEY/);
    expect(outbox.save(measurement(4, T0)).id).toBe(4);
    outbox.close();
  });

  it('applies each step once: migrating an up-to-date database changes nothing', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
  });

  it('rolls a failing step back whole, leaving the previous version', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    const broken = [
      ...MIGRATIONS.slice(0, 1),
      { version: 2, description: 'half applied', up: (d: typeof db) => d.exec('CREATE TABLE extra (x); SELECT nope FROM missing;') },
    ];
    expect(() => migrate(db, broken)).toThrow(/no such table: missing/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'extra'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('rolls back a table rebuild that would leave a dangling reference, and turns foreign keys back on', () => {
    const path = join(tempDir(), 'outbox.db');
    buildV1(path);
    const db = openDatabase(path);
    migrate(db, MIGRATIONS.slice(0, 2));
    db.prepare('INSERT INTO attempts (outbox_id, attempt, started_at) VALUES (2, 1, ?)').run(T0);
    const careless = [
      ...MIGRATIONS.slice(0, 2),
      { version: 3, description: 'drops a referenced row', rebuildsTables: true, up: (d: typeof db) => d.exec('DELETE FROM outbox WHERE id = 2') },
    ];
    expect(() => migrate(db, careless)).toThrow(/migration 3 would break 1 reference/);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 2 });
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a database written by newer code, without touching it', () => {
    const path = join(tempDir(), 'outbox.db');
    const db = openDatabase(path);
    migrate(db);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    const outbox = new Outbox({ path, clock: new FakeClock(T0), logger: silentLogger() });
    expect(() => outbox.open()).toThrow(SchemaVersionError);
    expect(() => outbox.open()).toThrow(
      `outbox schema version ${SCHEMA_VERSION + 1} is newer than this program supports (${SCHEMA_VERSION}); it was written by a newer ionworks-edge.`,
    );
    const check = openDatabase(path, { readonly: true });
    expect(schemaVersion(check)).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('a read-only connection refuses an old schema it cannot migrate, saying how to fix it', () => {
    const path = join(tempDir(), 'outbox.db');
    buildV1(path);
    expect(() => openOutbox(path, new FakeClock(T0), { readonly: true })).toThrow(
      `outbox schema version 1 is older than this program's (${SCHEMA_VERSION}); a read-only connection cannot upgrade it`,
    );
  });
});

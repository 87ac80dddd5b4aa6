import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseSettingsError, immediate, openDatabase, PAGE_CACHE_KIB, SYNCHRONOUS_FULL } from '../../src/queue/db.js';
import { openOutbox, tempDir } from './helpers.js';

function pragmas(db: Database.Database) {
  return {
    journal: db.pragma('journal_mode', { simple: true }),
    synchronous: db.pragma('synchronous', { simple: true }),
    foreignKeys: db.pragma('foreign_keys', { simple: true }),
    busyTimeout: db.pragma('busy_timeout', { simple: true }),
    cacheSize: db.pragma('cache_size', { simple: true }),
  };
}

describe('openDatabase', () => {
  it('creates the parent directory and sets WAL + synchronous=FULL on a fresh file', () => {
    const path = join(tempDir(), 'nested', 'state', 'outbox.db');
    const db = openDatabase(path);
    expect(pragmas(db)).toEqual({ journal: 'wal', synchronous: SYNCHRONOUS_FULL, foreignKeys: 1, busyTimeout: 5000, cacheSize: -PAGE_CACHE_KIB });
    db.close();
  });

  it('sets the same pragmas on a second connection, read-write and read-only (the CLI while the daemon runs)', () => {
    const path = join(tempDir(), 'outbox.db');
    const { outbox } = openOutbox(path); // the daemon's connection, holding the file open
    const cliWrite = openDatabase(path, { busyTimeoutMs: 250 });
    const cliRead = openDatabase(path, { readonly: true });
    expect(pragmas(cliWrite)).toEqual({ journal: 'wal', synchronous: 2, foreignKeys: 1, busyTimeout: 250, cacheSize: -PAGE_CACHE_KIB });
    expect(pragmas(cliRead)).toEqual({ journal: 'wal', synchronous: 2, foreignKeys: 1, busyTimeout: 5000, cacheSize: -PAGE_CACHE_KIB });
    cliWrite.close();
    cliRead.close();
    outbox.close();
  });

  it('is needed: a plain better-sqlite3 connection to the same WAL file would run with synchronous=NORMAL', () => {
    const path = join(tempDir(), 'outbox.db');
    openDatabase(path).close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('synchronous', { simple: true })).toBe(1);
    raw.close();
  });

  it('refuses a read-only connection to a file that is not in WAL mode', () => {
    const path = join(tempDir(), 'rollback.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expect(() => openDatabase(path, { readonly: true })).toThrow(DatabaseSettingsError);
    expect(() => openDatabase(path, { readonly: true })).toThrow(/journal_mode is "delete", expected "wal"/);
  });

  it('a read-only connection never creates a missing file', () => {
    const path = join(tempDir(), 'missing', 'outbox.db');
    expect(() => openDatabase(path, { readonly: true })).toThrow(/directory does not exist|unable to open/);
  });
});

describe('immediate', () => {
  function table() {
    const db = openDatabase(join(tempDir(), 'tx.db'));
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    const rows = () => (db.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);
    return { db, rows, insert: (v: string) => db.prepare('INSERT INTO t (v) VALUES (?)').run(v) };
  }

  it('commits what fn wrote and returns its result; takes the write lock up front (BEGIN IMMEDIATE)', () => {
    const { db, rows, insert } = table();
    const other = openDatabase(db.name, { busyTimeoutMs: 0 });
    const result = immediate(db, () => {
      // IMMEDIATE: the write lock is held before fn's first write, so another connection cannot write meanwhile.
      expect(() => other.prepare('INSERT INTO t (v) VALUES (?)').run('x')).toThrow(/locked|busy/i);
      insert('a');
      return 42;
    });
    expect(result).toBe(42);
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual(['a']);
    other.close();
    db.close();
  });

  it('rolls back everything fn wrote when it throws, and the next call starts clean', () => {
    const { db, rows, insert } = table();
    expect(() =>
      immediate(db, () => {
        insert('lost');
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(db.inTransaction).toBe(false);
    expect(immediate(db, () => insert('kept').changes)).toBe(1);
    expect(rows()).toEqual(['kept']);
    db.close();
  });

  it('nests as a savepoint: an inner failure caught inside keeps the outer writes', () => {
    const { db, rows, insert } = table();
    immediate(db, () => {
      insert('outer');
      expect(() =>
        immediate(db, () => {
          insert('inner');
          throw new Error('inner refused');
        }),
      ).toThrow('inner refused');
    });
    expect(rows()).toEqual(['outer']);
    db.close();
  });

  it('keeps one runner per connection: two databases do not share one', () => {
    const a = table();
    const b = table();
    immediate(a.db, () => a.insert('in a'));
    immediate(b.db, () => b.insert('in b'));
    expect([a.rows(), b.rows()]).toEqual([['in a'], ['in b']]);
    a.db.close();
    b.db.close();
  });
});

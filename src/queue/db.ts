// Every connection to the outbox (daemon and CLI) is opened here, so durability settings cannot differ by caller.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Db = Database.Database;

/** Where the outbox lives inside a state directory (daemon and CLI must agree). */
export function outboxPath(stateDir: string): string {
  return join(stateDir, 'outbox.db');
}

export interface OpenDatabaseOptions {
  /** Inspection-only connection (CLI `queue list`, status): never creates or changes the file. */
  readonly?: boolean;
  /** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
/** SQLite's page cache per connection, in KiB. */
export const PAGE_CACHE_KIB = 4096;
/** `PRAGMA synchronous` value for FULL: the WAL is fsync'd on every commit. */
export const SYNCHRONOUS_FULL = 2;

/** One transaction runner per connection (see immediate). */
const runners = new WeakMap<Db, Database.Transaction<(fn: () => unknown) => unknown>>();

/**
 * Runs `fn` in one IMMEDIATE transaction (inside another: in a savepoint), committed when it returns, rolled back
 * when it throws. better-sqlite3's `db.transaction(fn)` builds four wrapper functions (~1.3 KB) on every call,
 * about 3.5 µs here: a third of a one-row transaction's CPU before its fsync. On the hot paths (each save, each
 * upload round) that is waste, so the runner is built once per connection and handed each `fn`.
 */
export function immediate<T>(db: Db, fn: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((f: () => unknown) => f());
    runners.set(db, run);
  }
  return run.immediate(fn) as T;
}

export class DatabaseSettingsError extends Error {
  override name = 'DatabaseSettingsError';
}

export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): Db {
  const readonly = opts.readonly ?? false;
  if (!readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly, fileMustExist: readonly });
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`);
    // WAL is a property of the file: a read-only connection cannot switch it, only confirm it.
    const mode = readonly ? db.pragma('journal_mode', { simple: true }) : db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new DatabaseSettingsError(`${path}: journal_mode is "${String(mode)}", expected "wal"`);
    // better-sqlite3 is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1 (NORMAL), under which a commit can roll back
    // after a power loss; "saved" must mean fsync'd, so FULL is set on every connection and read back.
    db.pragma('synchronous = FULL');
    const sync = db.pragma('synchronous', { simple: true });
    if (sync !== SYNCHRONOUS_FULL) {
      throw new DatabaseSettingsError(`${path}: synchronous is ${String(sync)} after setting FULL (${SYNCHRONOUS_FULL})`);
    }
    db.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection, which the start-up quick_check (and any
    // full read) fills: memory that grows with the outbox up to that cap. The outbox's hot pages (the tails of the
    // table and of its indexes) fit in far less, and a miss is a read from the OS page cache.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

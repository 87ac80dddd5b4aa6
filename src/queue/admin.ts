// Outbox administration on the same connection as the Outbox: paging and export, dead-letter edits, purge,
// retention pruning, storage usage and online backup. Deletions never touch a pending row: every DELETE
// re-checks the state it was chosen for, inside its transaction.
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../ops/logger.js';
import { immediate, openDatabase, type Db } from './db.js';
import { schemaVersion } from './migrations.js';
import { SELECT_ROW, OutboxStateError, toRecord, type RowColumns } from './outbox.js';
import type { OutboxRecord, OutboxRecordWithAttempts, RowState } from './types.js';

export type StateFilter = RowState | 'all';

// Exported for the query-plan test: count and body bytes of what is owed, from the queue index alone (checked on
// every scan).
export const USAGE_SQL = `SELECT count(*) AS rows, coalesce(sum(length(CAST(body AS BLOB))), 0) AS bytes
  FROM outbox INDEXED BY outbox_queue WHERE state IN ('pending', 'dead')`;
export type FinishedState = 'dead' | 'delivered';

export interface EditRecord {
  editedAt: number;
  oldCellInstanceId: string;
  newCellInstanceId: string;
  oldBody: string;
  newBody: string;
}

export interface EditChange {
  /** New serialized body; must be a JSON object whose `name` is the row's name. */
  body?: string;
  /** New cell instance id (the POST's path parameter), for a row scanned against the wrong cell. */
  cellInstanceId?: string;
}

/** Rows and body bytes that count against the storage cap: pending + dead (delivered rows are pruned). */
export interface StorageUsage {
  rows: number;
  bytes: number;
}

/** The replacement body is not acceptable; nothing was changed. */
export class BadEditError extends Error {
  override name = 'BadEditError';
}

export interface OutboxAdminDeps {
  clock: Clock;
  logger: Logger;
  /** The Outbox's own row reader, so a row with its attempts is read one way only. */
  get(id: number): OutboxRecordWithAttempts | null;
}

const PAGE = 500;
const DELETE_BATCH = 1_000;

function prepare(db: Db) {
  return {
    pageAll: db.prepare(`${SELECT_ROW} WHERE o.id > ? ORDER BY o.id LIMIT ?`),
    pageState: db.prepare(`${SELECT_ROW} WHERE o.state = ? AND o.id > ? ORDER BY o.id LIMIT ?`),
    countAll: db.prepare('SELECT count(*) AS n FROM outbox'),
    countState: db.prepare('SELECT count(*) AS n FROM outbox WHERE state = ?'),
    row: db.prepare('SELECT name, state, cell_instance_id, body FROM outbox WHERE id = ?'),
    insertEdit: db.prepare(
      `INSERT INTO edits (outbox_id, edited_at, old_cell_instance_id, new_cell_instance_id, old_body, new_body)
       VALUES (@id, @at, @oldCell, @newCell, @oldBody, @newBody)`,
    ),
    applyEdit: db.prepare(`UPDATE outbox SET body = @newBody, cell_instance_id = @newCell WHERE id = @id AND state = 'dead'`),
    editsOf: db.prepare(
      `SELECT edited_at, old_cell_instance_id, new_cell_instance_id, old_body, new_body
         FROM edits WHERE outbox_id = ? ORDER BY edited_at, rowid`,
    ),
    idsInState: db.prepare('SELECT id FROM outbox WHERE state = ? ORDER BY id LIMIT ?'),
    deliveredBefore: db.prepare(
      `SELECT id FROM outbox INDEXED BY outbox_delivered_finished
        WHERE state = 'delivered' AND finished_at < ? ORDER BY finished_at LIMIT ?`,
    ),
    deleteAttempts: db.prepare('DELETE FROM attempts WHERE outbox_id = ?'),
    deleteEdits: db.prepare('DELETE FROM edits WHERE outbox_id = ?'),
    deleteRow: db.prepare('DELETE FROM outbox WHERE id = ? AND state = ?'),
    usage: db.prepare(USAGE_SQL),
  };
}

export class OutboxAdmin {
  private readonly st: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Db,
    private readonly deps: OutboxAdminDeps,
  ) {
    this.st = prepare(db);
  }

  /** Rows with id > afterId in id order (oldest first): keyset paging, so a large outbox is never loaded whole. */
  page(state: StateFilter, afterId: number, limit: number): OutboxRecord[] {
    const rows = state === 'all' ? this.st.pageAll.all(afterId, limit) : this.st.pageState.all(state, afterId, limit);
    return (rows as RowColumns[]).map(toRecord);
  }

  count(state: StateFilter): number {
    const r = (state === 'all' ? this.st.countAll.get() : this.st.countState.get(state)) as { n: number };
    return r.n;
  }

  /** Every row in the state with its attempt log, streamed a page at a time. */
  *rows(state: StateFilter): Generator<OutboxRecordWithAttempts> {
    let after = 0;
    for (;;) {
      const page = this.page(state, after, PAGE);
      for (const r of page) {
        const full = this.deps.get(r.id);
        if (full) yield full; // purged by another connection between the page and this read
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1]!.id;
    }
  }

  /**
   * Changes a dead row's body and/or cell id, keeping the old values in the edit history. The name is the
   * de-duplication handle, so a body with another name is refused. The row stays dead until re-queued.
   */
  editDead(id: number, change: EditChange): EditRecord {
    if (change.body === undefined && change.cellInstanceId === undefined) {
      throw new BadEditError('nothing to change: give a new body and/or a new cell id');
    }
    const at = this.deps.clock.now();
    const edit = immediate(this.db, (): EditRecord => {
      const row = this.st.row.get(id) as
        | { name: string; state: RowState; cell_instance_id: string; body: string }
        | undefined;
      if (!row) throw new OutboxStateError(`no outbox row ${id}`);
      if (row.state !== 'dead') throw new OutboxStateError(`row ${id} is ${row.state}; only dead rows can be edited`);
      const newBody = change.body === undefined ? row.body : checkedBody(change.body, row.name);
      const newCell = change.cellInstanceId ?? row.cell_instance_id;
      if (newCell.trim() === '') throw new BadEditError('the cell id cannot be empty');
      const record: EditRecord = {
        editedAt: at,
        oldCellInstanceId: row.cell_instance_id,
        newCellInstanceId: newCell,
        oldBody: row.body,
        newBody,
      };
      this.st.insertEdit.run({ id, at, oldCell: row.cell_instance_id, newCell, oldBody: row.body, newBody });
      this.st.applyEdit.run({ id, newBody, newCell });
      return record;
    });
    this.deps.logger.info(
      { event: 'outbox.edited', id, oldCell: edit.oldCellInstanceId, newCell: edit.newCellInstanceId, oldBody: edit.oldBody },
      `dead row ${id} edited`,
    );
    return edit;
  }

  edits(id: number): EditRecord[] {
    return (this.st.editsOf.all(id) as Record<string, string | number>[]).map((e) => ({
      editedAt: e.edited_at as number,
      oldCellInstanceId: e.old_cell_instance_id as string,
      newCellInstanceId: e.new_cell_instance_id as string,
      oldBody: e.old_body as string,
      newBody: e.new_body as string,
    }));
  }

  /** Deletes every row in a finished state. Pending rows are owed to the API and can never be purged. */
  purge(state: FinishedState): number {
    if (state !== 'dead' && state !== 'delivered') throw new OutboxStateError(`rows in state "${String(state)}" cannot be purged`);
    const count = this.deleteBatches(state, () => this.st.idsInState.all(state, DELETE_BATCH) as { id: number }[]);
    this.deps.logger.warn({ event: 'outbox.purged', state, count }, `${count} ${state} row(s) purged`);
    return count;
  }

  /** Deletes delivered rows finished before `before`, in short transactions so the writer is never held up long. */
  pruneDelivered(before: number): number {
    return this.deleteBatches('delivered', () => this.st.deliveredBefore.all(before, DELETE_BATCH) as { id: number }[]);
  }

  schemaVersion(): number {
    return schemaVersion(this.db);
  }

  usage(): StorageUsage {
    return this.st.usage.get() as StorageUsage;
  }

  /**
   * Copies the database with SQLite's online backup API into `${file}.partial`, checks it, then renames it into
   * place, so an interrupted backup never looks complete. The copy is one snapshot: other connections keep writing.
   */
  async backup(file: string, opts: { force?: boolean } = {}): Promise<{ rows: number }> {
    if (existsSync(file) && !opts.force) throw new BackupExistsError(file);
    const partial = `${file}.partial`;
    removeDatabaseFiles(partial);
    try {
      // The first transfer is empty (better-sqlite3 starts at rate 0); then everything in one step, under one read
      // snapshot, so a busy writer cannot make the copy restart over and over.
      await this.db.backup(partial, { progress: () => 0x7fffffff });
      const rows = verifyCopy(partial);
      if (opts.force) removeDatabaseFiles(file);
      renameSync(partial, file);
      return { rows };
    } catch (err) {
      removeDatabaseFiles(partial);
      throw err;
    }
  }

  private deleteBatches(state: FinishedState, nextIds: () => { id: number }[]): number {
    let total = 0;
    for (;;) {
      const n = immediate(this.db, () => {
        let deleted = 0;
        for (const { id } of nextIds()) {
          this.st.deleteAttempts.run(id);
          this.st.deleteEdits.run(id);
          deleted += this.st.deleteRow.run(id, state).changes;
        }
        return deleted;
      });
      total += n;
      if (n < DELETE_BATCH) return total;
    }
  }
}

export class BackupExistsError extends Error {
  override name = 'BackupExistsError';
  constructor(readonly file: string) {
    super(`${file} already exists; pass --force to overwrite it`);
  }
}

function checkedBody(text: string, name: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadEditError(`the new body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadEditError('the new body must be a JSON object');
  }
  const newName = (parsed as { name?: unknown }).name;
  if (newName !== name) {
    throw new BadEditError(
      `the new body's name ${JSON.stringify(newName)} differs from the row's name "${name}"; the name cannot change`,
    );
  }
  // Stored compact, as the station stores bodies; sent byte for byte from now on.
  return JSON.stringify(parsed);
}

function verifyCopy(path: string): number {
  const copy = openDatabase(path, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`backup ${path} failed its integrity check: ${String(check)}`);
    return (copy.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  } finally {
    copy.close();
  }
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

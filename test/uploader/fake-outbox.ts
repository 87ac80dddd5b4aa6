// An in-memory outbox with the Outbox's contract, for driving the uploader against the real stand-in.
import type { AttemptOutcome, OutboxRow } from '../../src/queue/types.js';
import type { UploaderOutbox } from '../../src/uploader/uploader.js';

export interface FakeRow extends OutboxRow {
  deadReason: string | null;
  history: Array<{ kind: 'begin' | 'release' | 'delivered' | 'retry' | 'dead'; at: number; outcome?: AttemptOutcome; nextAttemptAt?: number }>;
}

export class FakeOutbox implements UploaderOutbox {
  readonly rows: FakeRow[] = [];
  /** Transactions committed (each is one fsync in the real outbox). */
  transactions = 0;
  /** Writes made outside atomically() (each its own fsync in the real outbox). */
  writesOutside = 0;
  /** The next transaction throws this (disk full, I/O error) and changes nothing. */
  failNextTransaction: Error | null = null;
  private inTransaction = false;

  save(m: { cellInstanceId: string; name: string; body: string; at: number }): FakeRow {
    const row: FakeRow = {
      id: this.rows.length + 1,
      cellInstanceId: m.cellInstanceId,
      name: m.name,
      body: m.body,
      station: 'bench1',
      state: 'pending',
      createdAt: m.at,
      attempts: 0,
      nextAttemptAt: m.at,
      outcomeUnknown: false,
      lastError: null,
      lastStatus: null,
      serverId: null,
      finishedAt: null,
      deadReason: null,
      history: [],
    };
    this.rows.push(row);
    return row;
  }

  due(now: number, limit: number): OutboxRow[] {
    return this.rows.filter((r) => r.state === 'pending' && r.nextAttemptAt <= now).slice(0, limit).map((r) => ({ ...r }));
  }

  beginAttempt(id: number, at: number): number {
    this.wrote();
    const row = this.pending(id);
    row.attempts += 1;
    row.outcomeUnknown = true;
    row.history.push({ kind: 'begin', at });
    return row.attempts;
  }

  recordDelivered(id: number, at: number, outcome: AttemptOutcome & { serverId: string | null }): void {
    const row = this.finish(id, at, outcome, 'delivered');
    row.state = 'delivered';
    row.serverId = outcome.serverId;
    row.finishedAt = at;
  }

  recordRetry(id: number, at: number, outcome: AttemptOutcome, nextAttemptAt: number): void {
    this.finish(id, at, outcome, 'retry', nextAttemptAt).nextAttemptAt = nextAttemptAt;
  }

  recordDead(id: number, at: number, outcome: AttemptOutcome & { reason: string }): void {
    const row = this.finish(id, at, outcome, 'dead');
    row.state = 'dead';
    row.deadReason = outcome.reason;
    row.finishedAt = at;
  }

  releaseAttempt(id: number, attempt: number): void {
    this.wrote();
    const row = this.pending(id);
    if (!row.outcomeUnknown || row.attempts !== attempt) throw new Error(`row ${id}: no open attempt ${attempt} to release`);
    row.attempts -= 1;
    row.outcomeUnknown = false;
    row.history.push({ kind: 'release', at: row.history.at(-1)!.at });
  }

  /** All or nothing, as the real outbox's transaction. */
  atomically<T>(fn: () => T): T {
    const before = structuredClone(this.rows);
    this.inTransaction = true;
    try {
      const result = fn();
      if (this.failNextTransaction) {
        const err = this.failNextTransaction;
        this.failNextTransaction = null;
        throw err;
      }
      this.transactions++;
      return result;
    } catch (err) {
      // In place: the uploader holds references to the row objects.
      before.forEach((row, i) => Object.assign(this.rows[i]!, row));
      throw err;
    } finally {
      this.inTransaction = false;
    }
  }

  nextDueAt(): number | null {
    const pending = this.rows.filter((r) => r.state === 'pending').map((r) => r.nextAttemptAt);
    return pending.length ? Math.min(...pending) : null;
  }

  private pending(id: number): FakeRow {
    const row = this.rows.find((r) => r.id === id);
    if (!row || row.state !== 'pending') throw new Error(`row ${id} is not pending`);
    return row;
  }

  private wrote(): void {
    if (!this.inTransaction) this.writesOutside++;
  }

  private finish(id: number, at: number, outcome: AttemptOutcome, kind: 'delivered' | 'retry' | 'dead', nextAttemptAt?: number): FakeRow {
    this.wrote();
    const row = this.pending(id);
    if (!row.outcomeUnknown) throw new Error(`row ${id}: outcome recorded without an open attempt`);
    row.outcomeUnknown = false;
    row.lastStatus = outcome.status;
    row.lastError = kind === 'delivered' ? null : outcome.detail;
    row.history.push({ kind, at, outcome, ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }) });
    return row;
  }
}

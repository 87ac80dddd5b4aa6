import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import {
  CHECKPOINT_AFTER_COMMITS,
  DuplicateNameError,
  OutboxStateError,
  OutboxWriteError,
  RETRY_DETAIL_LIMIT,
} from '../../src/queue/outbox.js';
import { capturingLogger, measurement, openOutbox, tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

function fresh() {
  const path = join(tempDir(), 'outbox.db');
  return { path, ...openOutbox(path, new FakeClock(T0)) };
}

describe('Outbox.save', () => {
  it('stores the body byte for byte and returns it from due() and get()', () => {
    const { outbox } = fresh();
    const body =
      '{"name":"Zellé 🔋 №7","notes":"  leading and trailing spaces  ","tabs":"a\\tb","raw":"\t\r\n \u00a0\u2028\u200b",' +
      '"combining":"e\u0301","cjk":"電池","nul":"\u0000","n":1.2300}\n';
    const { id } = outbox.save(measurement(1, T0, { body }));
    const [row] = outbox.due(T0, 10);
    expect(row?.body).toBe(body);
    expect(Buffer.from(row?.body ?? '', 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(outbox.get(id)?.body).toBe(body);
    outbox.close();
  });

  it('returns increasing ids and a row that is pending, due at createdAt, never attempted', () => {
    const { outbox } = fresh();
    const a = outbox.save(measurement(1, T0));
    const b = outbox.save(measurement(2, T0 + 1));
    expect(b.id).toBeGreaterThan(a.id);
    expect(outbox.get(a.id)).toMatchObject({
      cellInstanceId: 'cell-1',
      station: 'bench1',
      state: 'pending',
      createdAt: T0,
      nextAttemptAt: T0,
      attempts: 0,
      outcomeUnknown: false,
      lastError: null,
      lastStatus: null,
      serverId: null,
      finishedAt: null,
      deadReason: null,
      attemptLog: [],
    });
    outbox.close();
  });

  it('rejects a duplicate name with a DuplicateNameError naming the existing row, and saves nothing', () => {
    const { outbox } = fresh();
    const m = measurement(1, T0);
    const { id } = outbox.save(m);
    let caught: unknown;
    try {
      outbox.save({ ...m, body: '{"different":true}' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DuplicateNameError);
    expect(caught).toBeInstanceOf(OutboxWriteError);
    expect((caught as Error).message).toBe(
      `measurement name "${m.name}" is already in the outbox (row ${id}, pending); the new one was not saved`,
    );
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });
    expect(outbox.get(id)?.body).toBe(m.body);
    outbox.close();
  });

  it('throws OutboxWriteError (not saved) on a read-only database file', () => {
    const { path, outbox } = fresh();
    outbox.save(measurement(1, T0));
    outbox.close();
    chmodSync(path, 0o444);
    // root ignores file modes, so the connection is also opened read-only, as a non-root daemon's would be.
    const ro = openOutbox(path, new FakeClock(T0), { readonly: true }).outbox;
    expect(() => ro.save(measurement(2, T0))).toThrow(OutboxWriteError);
    expect(() => ro.save(measurement(2, T0))).toThrow(
      /outbox write failed \(SQLITE_READONLY: attempt to write a readonly database\); measurement "bench1-CELL2-\d+" was not saved/,
    );
    expect(ro.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });
    ro.close();
    chmodSync(path, 0o644);
  });

  it('throws OutboxWriteError when the outbox is not open', () => {
    const { outbox } = fresh();
    outbox.close();
    expect(() => outbox.save(measurement(1, T0))).toThrow(OutboxWriteError);
  });
});

describe('Outbox delivery lifecycle', () => {
  it('save -> due -> beginAttempt -> recordDelivered, after which the row is never due again', () => {
    const { outbox } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    expect(outbox.due(T0, 10).map((r) => r.id)).toEqual([id]);
    expect(outbox.nextDueAt()).toBe(T0);
    expect(outbox.oldestPendingAt()).toBe(T0);

    expect(outbox.beginAttempt(id, T0 + 10)).toBe(1);
    outbox.recordDelivered(id, T0 + 20, { status: 201, detail: '{"id":"srv-1"}', correlationId: 'req-1', serverId: 'srv-1' });

    expect(outbox.get(id)).toMatchObject({
      state: 'delivered',
      serverId: 'srv-1',
      finishedAt: T0 + 20,
      attempts: 1,
      lastStatus: 201,
      outcomeUnknown: false,
      attemptLog: [
        { attempt: 1, startedAt: T0 + 10, finishedAt: T0 + 20, status: 201, detail: '{"id":"srv-1"}', correlationId: 'req-1' },
      ],
    });
    expect(outbox.due(T0 + 1e9, 10)).toEqual([]);
    expect(outbox.nextDueAt()).toBeNull();
    expect(outbox.oldestPendingAt()).toBeNull();
    expect(outbox.counts()).toEqual({ pending: 0, delivered: 1, dead: 0 });
    expect(() => outbox.beginAttempt(id, T0 + 30)).toThrow(`cannot start an attempt on row ${id}: it is delivered`);
    outbox.close();
  });

  it('returns due rows oldest first, up to the limit, skipping rows not yet due', () => {
    const { outbox } = fresh();
    const ids = [1, 2, 3, 4].map((n) => outbox.save(measurement(n, T0 + n)).id);
    outbox.beginAttempt(ids[0]!, T0 + 10);
    outbox.recordRetry(ids[0]!, T0 + 11, { status: 503, detail: 'busy' }, T0 + 5_000);
    expect(outbox.due(T0 + 100, 2).map((r) => r.id)).toEqual([ids[1], ids[2]]);
    expect(outbox.due(T0 + 2, 10).map((r) => r.id)).toEqual([ids[1]]);
    expect(outbox.due(T0 + 5_000, 10).map((r) => r.id)).toEqual(ids);
  });

  it('recordRetry keeps the row pending until next_attempt_at and remembers the failure', () => {
    const { outbox } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    outbox.beginAttempt(id, T0);
    outbox.recordRetry(id, T0 + 30_000, { status: null, detail: 'timeout after 30000 ms' }, T0 + 60_000);

    expect(outbox.due(T0 + 59_999, 10)).toEqual([]);
    expect(outbox.nextDueAt()).toBe(T0 + 60_000);
    const [row] = outbox.due(T0 + 60_000, 10);
    expect(row).toMatchObject({ id, state: 'pending', attempts: 1, lastStatus: null, lastError: 'timeout after 30000 ms' });
    expect(row?.outcomeUnknown).toBe(false);

    expect(outbox.beginAttempt(id, T0 + 60_000)).toBe(2);
    outbox.recordRetry(id, T0 + 60_100, { status: 502, detail: 'x'.repeat(RETRY_DETAIL_LIMIT + 10) }, T0 + 120_000);
    const stored = outbox.get(id);
    expect(stored?.lastError).toBe(`${'x'.repeat(RETRY_DETAIL_LIMIT)}…[truncated 10 chars]`);
    expect(stored?.attemptLog.map((a) => [a.attempt, a.status])).toEqual([
      [1, null],
      [2, 502],
    ]);
    outbox.close();
  });

  it('recordDead keeps the row and the server answer whole, never due, and requeue brings it back', async () => {
    const { outbox, clock } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    const other = outbox.save(measurement(2, T0)).id;
    const answer = JSON.stringify({ detail: [{ msg: 'field required ✗', loc: ['body', 'x'.repeat(10_000)] }] });
    outbox.beginAttempt(id, T0);
    outbox.recordDead(id, T0 + 5, { status: 422, detail: answer, reason: 'rejected by the API (422)' });

    expect(outbox.due(T0 + 1e9, 10).map((r) => r.id)).toEqual([other]);
    const dead = outbox.get(id);
    expect(dead).toMatchObject({ state: 'dead', lastStatus: 422, lastError: answer, deadReason: 'rejected by the API (422)' });
    expect(dead?.attemptLog[0]?.detail).toBe(answer);
    expect(outbox.list('dead', 10).map((r) => r.id)).toEqual([id]);
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 0, dead: 1 });

    await clock.advance(3_600_000);
    outbox.requeue(id);
    const back = outbox.get(id);
    expect(back).toMatchObject({ state: 'pending', nextAttemptAt: clock.now(), finishedAt: null, deadReason: null });
    expect(back).toMatchObject({ attempts: 1, attemptsSinceRequeue: 0, lastStatus: 422 });
    expect(outbox.due(clock.now(), 10).map((r) => r.id)).toEqual([id, other]);
    expect(outbox.beginAttempt(id, clock.now())).toBe(2);
    expect(outbox.get(id)?.attemptsSinceRequeue).toBe(1);
    outbox.close();
  });

  it('requeue refuses rows that are not dead, and requeueAllDead moves every dead row', () => {
    const { outbox } = fresh();
    const ids = [1, 2, 3].map((n) => outbox.save(measurement(n, T0)).id);
    for (const id of ids.slice(0, 2)) {
      outbox.beginAttempt(id, T0);
      outbox.recordDead(id, T0, { status: 400, detail: 'bad', reason: 'bad request' });
    }
    expect(() => outbox.requeue(ids[2]!)).toThrow(OutboxStateError);
    expect(() => outbox.requeue(ids[2]!)).toThrow(`row ${ids[2]} is pending; only dead rows can be re-queued`);
    expect(() => outbox.requeue(999)).toThrow('no outbox row 999');
    expect(outbox.requeueAllDead()).toBe(2);
    expect(outbox.counts()).toEqual({ pending: 3, delivered: 0, dead: 0 });
    expect(outbox.requeueAllDead()).toBe(0);
    outbox.close();
  });

  it('refuses to record an outcome without an open attempt, leaving the row unchanged', () => {
    const { outbox } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    expect(() => outbox.recordDelivered(id, T0, { status: 201, detail: null, serverId: 's' })).toThrow(OutboxStateError);
    outbox.beginAttempt(id, T0);
    outbox.recordRetry(id, T0, { status: 500, detail: 'oops' }, T0 + 1);
    expect(() => outbox.recordDead(id, T0, { status: 400, detail: 'x', reason: 'r' })).toThrow(/no open attempt/);
    expect(outbox.get(id)).toMatchObject({ state: 'pending', lastStatus: 500 });
    outbox.close();
  });

  it('lists a state in id order with limit and offset', () => {
    const { outbox } = fresh();
    const ids = [1, 2, 3, 4, 5].map((n) => outbox.save(measurement(n, T0)).id);
    expect(outbox.list('pending', 2, 1).map((r) => r.id)).toEqual([ids[1], ids[2]]);
    expect(outbox.list('delivered', 10)).toEqual([]);
    outbox.close();
  });
});

describe('Outbox outcome unknown', () => {
  it('flags a row whose attempt began without an outcome, also after closing and reopening the file', () => {
    const { path, outbox } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    const quiet = outbox.save(measurement(2, T0)).id;
    outbox.beginAttempt(id, T0 + 1);
    expect(outbox.get(id)?.outcomeUnknown).toBe(true);
    expect(outbox.get(quiet)?.outcomeUnknown).toBe(false);
    outbox.close(); // the process dies here, between POST and answer

    const { logger, lines } = capturingLogger();
    const reopened = openOutbox(path, new FakeClock(T0 + 10), { logger }).outbox;
    const due = reopened.due(T0 + 10, 10);
    expect(due.map((r) => [r.id, r.outcomeUnknown, r.attempts])).toEqual([
      [id, true, 1],
      [quiet, false, 0],
    ]);
    expect(lines.find((l) => l.event === 'outbox.outcome_unknown')).toMatchObject({ level: 'warn', rows: 1 });

    // The next attempt resends; its outcome settles the row, and the abandoned attempt stays in the history as open.
    expect(reopened.beginAttempt(id, T0 + 20)).toBe(2);
    reopened.recordDelivered(id, T0 + 21, { status: 201, detail: null, serverId: 'srv-9' });
    const row = reopened.get(id);
    expect(row?.outcomeUnknown).toBe(false);
    expect(row?.attemptLog.map((a) => a.finishedAt)).toEqual([null, T0 + 21]);
    reopened.close();
  });
});

describe('Outbox transactions for the uploader', () => {
  it('atomically() commits several writes together, or none of them when it throws', () => {
    const { path, outbox } = fresh();
    const [a, b] = [outbox.save(measurement(1, T0)).id, outbox.save(measurement(2, T0)).id];
    outbox.beginAttempt(a, T0);
    const attempt = outbox.atomically(() => {
      outbox.recordDelivered(a, T0 + 1, { status: 201, detail: null, serverId: 's1' });
      return outbox.beginAttempt(b, T0 + 1);
    });
    expect([attempt, outbox.get(a)?.state, outbox.get(b)?.outcomeUnknown]).toEqual([1, 'delivered', true]);

    const c = outbox.save(measurement(3, T0)).id;
    expect(() =>
      outbox.atomically(() => {
        outbox.recordRetry(b, T0 + 2, { status: 503, detail: null }, T0 + 10);
        outbox.beginAttempt(c, T0 + 2);
        outbox.beginAttempt(a, T0 + 2); // delivered: refused, so nothing above is kept either
      }),
    ).toThrow(OutboxStateError);
    outbox.close();
    const reopened = openOutbox(path, new FakeClock(T0)).outbox;
    expect([reopened.get(b)?.outcomeUnknown, reopened.get(b)?.lastStatus, reopened.get(c)?.attempts]).toEqual([true, null, 0]);
    reopened.close();
  });

  it('releaseAttempt() takes back an open attempt that was never sent, and refuses any other', () => {
    const { outbox } = fresh();
    const { id } = outbox.save(measurement(1, T0));
    outbox.beginAttempt(id, T0);
    outbox.recordRetry(id, T0 + 1, { status: 503, detail: 'busy' }, T0 + 2);
    expect(outbox.beginAttempt(id, T0 + 2)).toBe(2);
    expect(() => outbox.releaseAttempt(id, 1)).toThrow(/no open attempt 1/);
    outbox.releaseAttempt(id, 2);
    expect(outbox.get(id)).toMatchObject({ state: 'pending', attempts: 1, outcomeUnknown: false, lastStatus: 503 });
    expect(outbox.get(id)?.attemptLog.map((a) => a.attempt)).toEqual([1]);
    expect(() => outbox.releaseAttempt(id, 1)).toThrow(OutboxStateError);
    // The next attempt gets the number the released one had.
    expect(outbox.beginAttempt(id, T0 + 3)).toBe(2);
    outbox.close();
  });

  it('a save writes about three pages to the WAL: the row, the name index and the queue index', () => {
    // What each save fsyncs sets the save rate (bench: npm run bench); an index added here costs a page per save.
    const { path, outbox } = fresh();
    const db = outbox.connection();
    for (let n = 0; n < 50; n++) outbox.save(measurement(n, T0 + n));
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const saves = 200;
    for (let n = 50; n < 50 + saves; n++) outbox.save(measurement(n, T0 + n));
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const frames = (statSync(`${path}-wal`).size - 32) / (pageSize + 24);
    expect(frames / saves).toBeGreaterThanOrEqual(3);
    expect(frames / saves).toBeLessThan(4);
    outbox.close();
  });

  it('checkpoint() copies the WAL into the database file once enough commits are in it', () => {
    const { path, outbox } = fresh();
    const before = statSync(path).size;
    for (let n = 1; n < CHECKPOINT_AFTER_COMMITS; n++) outbox.save(measurement(n, T0));
    outbox.checkpoint();
    // Not yet: the rows are only in the WAL (below SQLite's own auto-checkpoint size too).
    expect(statSync(path).size).toBe(before);
    outbox.save(measurement(CHECKPOINT_AFTER_COMMITS, T0));
    outbox.checkpoint();
    expect(statSync(path).size).toBeGreaterThan(before);
    outbox.close();
  });
});

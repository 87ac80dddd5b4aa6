// Storage bounds and housekeeping on real SQLite files: the 80 % warning, refusal at scan time, retention pruning.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { DAY_MS, Housekeeper } from '../../src/queue/housekeeper.js';
import { OutboxWriteError } from '../../src/queue/outbox.js';
import { OUTBOX_FULL, StorageGuard } from '../../src/queue/storage-guard.js';
import { makeStation } from '../station/helpers.js';
import { capturingLogger, measurement, openOutbox, rowIn, tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

function setup(limits: { maxRows: number; maxBytes?: number }) {
  const path = join(tempDir(), 'outbox.db');
  const { logger, lines } = capturingLogger();
  const { outbox, clock } = openOutbox(path, new FakeClock(T0));
  const guard = new StorageGuard({ usage: () => outbox.admin().usage(), limits, logger });
  const events = (name: string) => lines.filter((l) => l.event === name);
  return { path, outbox, clock, guard, logger, lines, events };
}

describe('StorageGuard', () => {
  it('warns once per crossing of 80 %, refuses at the cap, and re-arms after dropping below', () => {
    const { outbox, guard, events } = setup({ maxRows: 10 });
    for (let i = 0; i < 7; i++) outbox.save(measurement(i, T0));
    expect(guard.check()).toEqual({ ok: true });
    expect(events('outbox.nearly_full')).toHaveLength(0);

    outbox.save(measurement(7, T0)); // 8 of 10
    expect(guard.check()).toEqual({ ok: true });
    outbox.save(measurement(8, T0)); // 9 of 10: still the same crossing
    expect(guard.check()).toEqual({ ok: true });
    expect(events('outbox.nearly_full')).toHaveLength(1);
    expect(events('outbox.nearly_full')[0]).toMatchObject({ level: 'warn', rows: 8, maxRows: 10, percent: 80 });

    outbox.save(measurement(9, T0)); // 10 of 10
    expect(guard.check()).toEqual({ ok: false, reason: OUTBOX_FULL });
    expect(guard.check()).toEqual({ ok: false, reason: 'outbox full' });
    expect(events('outbox.full')).toHaveLength(1);
    expect(events('outbox.nearly_full')).toHaveLength(1);

    // Delivered rows do not count: delivering three brings it to 70 %, under the warning line.
    for (const r of outbox.due(T0, 3)) {
      outbox.beginAttempt(r.id, T0);
      outbox.recordDelivered(r.id, T0, { status: 201, detail: null, serverId: `s${r.id}` });
    }
    expect(guard.check()).toEqual({ ok: true });
    expect(events('outbox.space_available')).toHaveLength(1);
    expect(guard.status()).toMatchObject({ level: 'ok', usage: { rows: 7 } });

    outbox.save(measurement(10, T0)); // 8 of 10 again: a new crossing, a new warning
    guard.check();
    expect(events('outbox.nearly_full')).toHaveLength(2);
    outbox.close();
  });

  it('counts dead rows, and applies max_bytes when that cap is reached first', () => {
    const { outbox, guard } = setup({ maxRows: 1_000, maxBytes: 300 });
    rowIn(outbox, 1, 'dead', T0);
    const bytes = outbox.admin().usage().bytes;
    expect(bytes).toBeGreaterThan(50);
    while (outbox.admin().usage().bytes < 300) outbox.save(measurement(outbox.admin().usage().rows + 100, T0));
    expect(guard.check()).toEqual({ ok: false, reason: OUTBOX_FULL });
    expect(guard.status().usage.rows).toBeLessThan(10);
    outbox.close();
  });
});

describe('Station with a full outbox', () => {
  it('refuses the scan before anything is measured, logs scan.refused, and keeps every saved row', async () => {
    const { outbox, guard } = setup({ maxRows: 2 });
    rowIn(outbox, 1, 'pending', T0);
    rowIn(outbox, 2, 'dead', T0);
    const t = makeStation(undefined, { canAccept: () => guard.check() });

    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');

    expect(t.events('scan.refused')).toEqual([expect.objectContaining({ level: 'error', reason: 'outbox full', code: 'CELL-0001' })]);
    expect(t.saved).toHaveLength(0);
    const snap = t.station.snapshot();
    expect(snap.activeCell).toBeNull();
    expect(snap.lastError).toMatchObject({ cell: 'CELL-0001', message: 'scan refused: outbox full' });
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 0, dead: 1 });

    // Room again (the dead row purged by the operator): the next scan is accepted.
    outbox.admin().purge('dead');
    t.scan('CELL-0002');
    expect(t.station.snapshot().activeCell?.id).toBe('CELL-0002');
    outbox.close();
  });

  it('a write the outbox cannot make reaches the snapshot and the log as not saved', () => {
    const { path, outbox } = setup({ maxRows: 10 });
    outbox.close();
    // The real error from a connection that cannot write (root ignores file modes, so a read-only connection).
    const ro = openOutbox(path, new FakeClock(T0), { readonly: true }).outbox;
    let error: unknown;
    try {
      ro.save(measurement(1, T0));
    } catch (err) {
      error = err;
    }
    ro.close();
    expect(error).toBeInstanceOf(OutboxWriteError);

    const t = makeStation();
    t.failure.error = error as Error;
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');
    const [notSaved] = t.events('measurement.not_saved');
    expect(notSaved).toMatchObject({ level: 'error', cell: 'CELL-0001', err: expect.stringMatching(/SQLITE_READONLY.*was not saved/) });
    const snap = t.station.snapshot();
    expect(snap.unsaved).not.toBeNull();
    expect(snap.lastError?.message).toMatch(/SQLITE_READONLY.*was not saved/);
  });
});

describe('Housekeeper', () => {
  it('prunes delivered rows past retention on start and every interval, logging outbox.pruned with a count', async () => {
    const { outbox, clock, guard, logger, events } = setup({ maxRows: 100 });
    const hk = new Housekeeper({
      prune: (before) => outbox.admin().pruneDelivered(before),
      check: () => guard.check(),
      retentionMs: 30 * DAY_MS,
      intervalMs: 3_600_000,
      clock,
      timers: clock,
      logger,
    });
    rowIn(outbox, 1, 'delivered', T0 - 31 * DAY_MS); // already past retention
    const recent = rowIn(outbox, 2, 'delivered', T0);
    const dead = rowIn(outbox, 3, 'dead', T0 - 400 * DAY_MS);
    const pending = rowIn(outbox, 4, 'pending', T0 - 400 * DAY_MS);

    hk.start();
    expect(events('outbox.pruned')).toEqual([expect.objectContaining({ count: 1 })]);
    expect(clock.timerCount).toBe(1);

    await clock.advance(29 * DAY_MS); // hourly rounds; the recent row is 29 days old
    expect(outbox.get(recent.id)?.state).toBe('delivered');
    await clock.advance(DAY_MS + 3_600_000);
    expect(outbox.get(recent.id)).toBeNull();
    expect(events('outbox.pruned').map((l) => l.count)).toEqual([1, 1]); // rounds with nothing to prune stay quiet
    expect(outbox.get(dead.id)?.state).toBe('dead');
    expect(outbox.get(pending.id)?.state).toBe('pending');

    hk.stop();
    expect(clock.timerCount).toBe(0);
    outbox.close();
  });

  it('keeps its schedule when a round fails, and runs the storage check after every round', async () => {
    const clock = new FakeClock(T0);
    const { logger, lines } = capturingLogger();
    let checks = 0;
    const hk = new Housekeeper({
      prune: () => {
        throw new Error('SQLITE_BUSY: database is locked');
      },
      check: () => checks++,
      retentionMs: DAY_MS,
      intervalMs: 1_000,
      clock,
      timers: clock,
      logger,
    });
    hk.start();
    await clock.advance(2_000);
    expect(checks).toBe(3);
    expect(lines.filter((l) => l.event === 'outbox.prune_failed')).toHaveLength(3);
    hk.stop();
  });
});

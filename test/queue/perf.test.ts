// Sanity check, not a benchmark: with a 100k-row backlog, due(), nextDueAt() and usage() use the queue index.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { openDatabase } from '../../src/queue/db.js';
import { USAGE_SQL } from '../../src/queue/admin.js';
import { DUE_SQL, NEXT_DUE_SQL } from '../../src/queue/outbox.js';
import { openOutbox, tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const ROWS = 100_000;

function plan(db: ReturnType<typeof openDatabase>, sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
}

describe('outbox with a large backlog', () => {
  it('selects due rows through the index, without sorting or reading the whole backlog', () => {
    const path = join(tempDir(), 'outbox.db');
    const { outbox } = openOutbox(path, new FakeClock(T0));
    outbox.close();

    // Bulk fill in one transaction: save() fsyncs per row, which is the point of it but too slow to repeat 100k times.
    const db = openDatabase(path);
    const insert = db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at)
       VALUES ('cell', ?, '{}', 'bench1', ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`m-${i}`, T0 + i, T0 + ((i * 7919) % ROWS));
    })();

    const duePlan = plan(db, DUE_SQL, T0, 50);
    expect(duePlan).toContain('outbox_queue');
    expect(duePlan).not.toContain('TEMP B-TREE');
    expect(plan(db, NEXT_DUE_SQL)).toContain('COVERING INDEX outbox_queue');
    expect(plan(db, USAGE_SQL)).toContain('COVERING INDEX outbox_queue');
    db.close();

    const reopened = openOutbox(path, new FakeClock(T0)).outbox;
    const due = reopened.due(T0 + ROWS, 50);
    expect(due).toHaveLength(50);
    expect(due.map((r) => r.name)).toEqual(Array.from({ length: 50 }, (_, i) => `m-${i}`));
    expect(reopened.nextDueAt()).toBe(T0);
    expect(reopened.counts()).toEqual({ pending: ROWS, delivered: 0, dead: 0 });
    reopened.close();
  });
});

// The demo's verdict (and the crash test's): the outbox compared with what the stand-in accepted. Each kind of
// mismatch is counted and makes the result unclean, which is what turns the demo's exit code non-zero.
import { describe, expect, it } from 'vitest';
import { formatReconciliation, isClean, reconcile } from '../../src/demo/reconcile.js';
import type { ReceivedMeasurement } from '../../src/demo/standin/server.js';
import type { OutboxRecord, RowState } from '../../src/queue/types.js';

const body = (name: string, value = 1) => JSON.stringify({ name, properties: { mass: { value, unit: 'g' } } });

function outboxOf(rows: Array<{ name: string; state: RowState; body?: string }>) {
  const all = rows.map((r) => ({ ...r, body: r.body ?? body(r.name) }) as unknown as OutboxRecord);
  return { list: (state: RowState, limit: number, offset = 0) => all.filter((r) => r.state === state).slice(offset, offset + limit) };
}

const got = (rawBody: string): ReceivedMeasurement => ({ cellInstanceId: 'c', body: JSON.parse(rawBody), rawBody, at: 0, measurement: {} });

describe('reconcile', () => {
  it('is clean when every saved, not dead row arrived once with its stored body', () => {
    const r = reconcile(outboxOf([{ name: 'a', state: 'delivered' }, { name: 'b', state: 'dead' }]), [got(body('a'))]);
    expect(r).toEqual({ saved: 2, uploaded: 1, pending: 0, dead: 1, lost: 0, duplicates: 0, invented: 0, altered: 0 });
    expect(isClean(r)).toBe(true);
    expect(formatReconciliation(r)).toBe('2 saved, 1 uploaded, 0 lost (0 pending, 1 dead, 0 duplicates, 0 invented, 0 altered)');
  });

  it.each([
    ['lost: saved and never received', [{ name: 'a', state: 'pending' as const }], [], { lost: 1 }],
    ['a duplicate: received twice', [{ name: 'a', state: 'delivered' as const }], [got(body('a')), got(body('a'))], { duplicates: 1 }],
    ['invented: received, never saved', [], [got(body('x'))], { invented: 1 }],
    ['altered: received with another body', [{ name: 'a', state: 'delivered' as const }], [got(body('a', 2))], { altered: 1 }],
  ])('counts %s, and is not clean', (_what, rows, received, counts) => {
    const r = reconcile(outboxOf(rows), received);
    expect(r).toMatchObject(counts);
    expect(isClean(r)).toBe(false);
  });
});

// Compares what the outbox holds with what the stand-in API accepted: the demo's and the crash test's verdict.
import type { Outbox } from '../queue/outbox.js';
import type { RowState } from '../queue/types.js';
import type { ReceivedMeasurement } from './standin/server.js';

export interface Reconciliation {
  saved: number;
  uploaded: number;
  pending: number;
  dead: number;
  /** Saved, not dead, and never received by the API. */
  lost: number;
  /** Extra copies of a measurement the API received more than once. */
  duplicates: number;
  /** Received by the API but never saved in the outbox: invented data. */
  invented: number;
  /** Received with a body that differs from the stored one. */
  altered: number;
}

export function reconcile(outbox: Pick<Outbox, 'list'>, received: ReceivedMeasurement[]): Reconciliation {
  const rows = allRows(outbox);
  const byName = new Map<string, ReceivedMeasurement[]>();
  for (const r of received) {
    const name = (r.body as { name?: unknown }).name;
    const key = typeof name === 'string' ? name : '';
    byName.set(key, [...(byName.get(key) ?? []), r]);
  }
  const savedNames = new Set(rows.map((r) => r.name));
  let lost = 0;
  let altered = 0;
  let uploaded = 0;
  for (const row of rows) {
    const got = byName.get(row.name) ?? [];
    if (got.length > 0) uploaded++;
    else if (row.state !== 'dead') lost++;
    altered += got.filter((g) => g.rawBody !== row.body).length;
  }
  const duplicates = [...byName.values()].reduce((n, list) => n + Math.max(0, list.length - 1), 0);
  const invented = [...byName.keys()].filter((name) => !savedNames.has(name)).length;
  return {
    saved: rows.length,
    uploaded,
    pending: rows.filter((r) => r.state === 'pending').length,
    dead: rows.filter((r) => r.state === 'dead').length,
    lost,
    duplicates,
    invented,
    altered,
  };
}

export function isClean(r: Reconciliation): boolean {
  return r.lost === 0 && r.duplicates === 0 && r.invented === 0 && r.altered === 0;
}

export function formatReconciliation(r: Reconciliation): string {
  return `${r.saved} saved, ${r.uploaded} uploaded, ${r.lost} lost (${r.pending} pending, ${r.dead} dead, ${r.duplicates} duplicates, ${r.invented} invented, ${r.altered} altered)`;
}

function allRows(outbox: Pick<Outbox, 'list'>): Array<{ name: string; body: string; state: RowState }> {
  const out: Array<{ name: string; body: string; state: RowState }> = [];
  for (const state of ['pending', 'delivered', 'dead'] as const) {
    for (let offset = 0; ; offset += 1_000) {
      const page = outbox.list(state, 1_000, offset);
      out.push(...page);
      if (page.length < 1_000) break;
    }
  }
  return out;
}

// Voiding the last saved measurement (#VOID at the bench). The outbox row is the record: a pending row is never
// sent; a delivered one is marked void locally and its notes on the server are updated with PATCH.
// The PATCH is best-effort with a logged and audited outcome, not a durable work item: the local void is what
// keeps the data out of analysis exports from this PC, and a failed PATCH is listed (event void.patch_failed, audit
// row) for someone to repeat; a second durable job type would need the uploader's loop, owned elsewhere.
import type { Clock } from '../core/clock.js';
import type { Logger } from '../ops/logger.js';
import { apiJson, type ApiAccess } from '../uploader/cell-lookup.js';
import { VoidError, type TraceStore } from './trace-store.js';

export interface VoidRequest {
  id: number;
  station: string;
  who: string | null;
}

export type VoidOutcome = { ok: true; message: string } | { ok: false; message: string };

export interface VoiderDeps {
  store: Pick<TraceStore, 'voidRow' | 'audit'>;
  /** Without API access a delivered row is voided locally only (and the outcome says so). */
  api?: ApiAccess;
  clock: Clock;
  logger: Logger;
}

export function makeVoider(deps: VoiderDeps): (req: VoidRequest) => Promise<VoidOutcome> {
  const { store, clock, logger } = deps;
  return async ({ id, station, who }) => {
    let row;
    try {
      row = store.voidRow(id, who, clock.now());
    } catch (err) {
      if (!(err instanceof VoidError)) throw err;
      logger.warn({ event: 'measurement.void_refused', station, id, reason: err.message }, `void refused: ${err.message}`);
      return { ok: false, message: err.message };
    }
    const fields = { station, id, name: row.name, who, previous: row.previous };
    logger.info({ event: 'measurement.voided', ...fields }, `voided ${row.name}`);
    if (row.previous !== 'delivered') return { ok: true, message: `${row.name} voided; it will not be uploaded` };
    if (!deps.api || !row.serverId) {
      const why = !row.serverId ? 'the server gave no measurement id' : 'no API access';
      logger.error({ event: 'void.patch_failed', ...fields, reason: why }, `voided locally only: ${why}`);
      store.audit({ at: clock.now(), event: 'void.patch_failed', outboxId: id, station, who, detail: why });
      return { ok: true, message: `${row.name} voided here, but not on Ionworks (${why})` };
    }
    const notes = `VOID: voided at the bench by ${who ?? 'the operator'} on ${new Date(clock.now()).toISOString()}`;
    const a = await apiJson(deps.api, 'PATCH', `/cell_measurements/${encodeURIComponent(row.serverId)}`, { notes });
    const ok = a.ok && a.status >= 200 && a.status < 300;
    const detail = a.ok ? `HTTP ${a.status}` : a.reason;
    store.audit({ at: clock.now(), event: ok ? 'void.patched' : 'void.patch_failed', outboxId: id, station, who, detail });
    if (ok) {
      logger.info({ event: 'void.patched', ...fields, serverId: row.serverId }, `notes of ${row.name} marked VOID on Ionworks`);
      return { ok: true, message: `${row.name} voided, here and on Ionworks` };
    }
    logger.error({ event: 'void.patch_failed', ...fields, serverId: row.serverId, reason: detail }, `voided locally; Ionworks not updated: ${detail}`);
    return { ok: true, message: `${row.name} voided here; Ionworks not updated (${detail})` };
  };
}

// The measurement name is the de-duplication handle on the server (looked up with name=eq.<name>), so it must
// be unique per cell instance, survive any URL/filter encoding unchanged, and never be recomputed.
import { DEFAULT_NAME_TEMPLATE, renderName } from './name-template.js';

export { sanitizeNamePart } from './name-template.js';

export interface NameParts {
  station: string;
  cellId: string;
  /** Completion time, ms since the epoch, from the injected clock. */
  completedAt: number;
  /** Per-station counter: keeps names unique when cells complete in the same millisecond. */
  seq: number;
}

/** The default template: e.g. `bench1_CELL-0001_20260101T000000.123Z_1`; the cell part is shortened past 255 chars. */
export function measurementName(p: NameParts): string {
  return renderName(DEFAULT_NAME_TEMPLATE, { station: p.station, cell: p.cellId, time: p.completedAt, seq: p.seq, uuid: '' });
}

// The measurement name is the de-duplication handle on the server (looked up with name=eq.<name>), so it must
// be unique per cell instance, survive any URL/filter encoding unchanged, and never be recomputed.

const MAX_NAME = 255;

export interface NameParts {
  station: string;
  cellId: string;
  /** Completion time, ms since the epoch, from the injected clock. */
  completedAt: number;
  /** Per-station counter: keeps names unique when cells complete in the same millisecond. */
  seq: number;
}

/** Replaces every character outside [A-Za-z0-9._-] with "-" (PostgREST filters treat ",()*%" specially). */
export function sanitizeNamePart(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** 2026-01-01T00:00:00.123Z -> 20260101T000000.123Z */
function compactUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

/** e.g. `bench1_CELL-0001_20260101T000000.123Z_1`; the cell part is shortened if the whole would pass 255 chars. */
export function measurementName(p: NameParts): string {
  const station = sanitizeNamePart(p.station);
  const tail = `_${compactUtc(p.completedAt)}_${p.seq}`;
  // Station ids are at most 64 chars (config schema), so at least ~160 chars remain for the cell id.
  const room = MAX_NAME - station.length - 1 - tail.length;
  return `${station}_${sanitizeNamePart(p.cellId).slice(0, room)}${tail}`;
}

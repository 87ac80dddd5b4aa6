// The measurement name from a configured template. The name is the server-side de-duplication handle, so the
// template must carry a unique part and only characters that survive a PostgREST `name=eq.` filter unchanged.

export const DEFAULT_NAME_TEMPLATE = '{station}_{cell}_{time}_{seq}';

const PLACEHOLDERS = ['station', 'cell', 'time', 'seq', 'uuid'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const UNIQUE: readonly Placeholder[] = ['time', 'seq', 'uuid'];
const TOKEN = /\{([^{}]*)\}/g;
const SAFE_LITERAL = /^[A-Za-z0-9._-]*$/;
const MAX_NAME = 255;

/** Replaces every character outside [A-Za-z0-9._-] with "-" (PostgREST filters treat ",()*%" specially). */
export function sanitizeNamePart(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** Why a template cannot be used, or undefined when it can. */
export function nameTemplateProblem(template: string): string | undefined {
  const used = [...template.matchAll(TOKEN)].map((m) => m[1] ?? '');
  const unknown = used.filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) return `unknown placeholder(s) ${unknown.map((p) => `{${p}}`).join(', ')}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`;
  const literal = template.replace(TOKEN, '');
  if (!SAFE_LITERAL.test(literal)) return 'only letters, digits, ".", "_" and "-" may appear outside placeholders';
  if (!used.some((p) => (UNIQUE as readonly string[]).includes(p))) return 'needs a unique part: {time}, {seq} or {uuid}';
  return undefined;
}

export interface NameValues {
  station: string;
  cell: string;
  /** Completion time, ms since the epoch. */
  time: number;
  seq: number;
  uuid: string;
}

/** 2026-01-01T00:00:00.123Z -> 20260101T000000.123Z */
function compactUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

/** Renders a template that passed nameTemplateProblem; the cell part is shortened if the name would pass 255 chars. */
export function renderName(template: string, v: NameValues): string {
  const values: Record<Placeholder, string> = {
    station: sanitizeNamePart(v.station),
    cell: sanitizeNamePart(v.cell),
    time: compactUtc(v.time),
    seq: String(v.seq),
    uuid: sanitizeNamePart(v.uuid),
  };
  const render = (cell: string) => template.replace(TOKEN, (_, p: Placeholder) => (p === 'cell' ? cell : values[p]));
  const full = render(values.cell);
  if (full.length <= MAX_NAME) return full;
  const cellCount = [...template.matchAll(TOKEN)].filter((m) => m[1] === 'cell').length;
  const excess = full.length - MAX_NAME;
  return render(values.cell.slice(0, Math.max(0, values.cell.length - Math.ceil(excess / Math.max(1, cellCount))))).slice(0, MAX_NAME);
}

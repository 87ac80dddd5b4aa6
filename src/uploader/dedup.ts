// Is the measurement the server already holds under this name the one in the row? Pure: the caller does the GET.
// Never finish a row on a name alone: the properties and start_time must match too.

export interface ServerMeasurement {
  id: string | null;
  properties: unknown;
  start_time: unknown;
}

export type Match =
  | { kind: 'none' }
  | { kind: 'same'; serverId: string | null; matches: number }
  | { kind: 'different'; existing: ServerMeasurement[] };

/** The list endpoint answers `{items, count, total}`; older deployments a plain array (SDK `_parse_list_response`). */
export function parseListResponse(text: string): ServerMeasurement[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const items = Array.isArray(parsed) ? parsed : (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return null;
  return items
    .filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
    .map((i) => ({ id: typeof i.id === 'string' ? i.id : null, properties: i.properties, start_time: i.start_time }));
}

/** Structural equality of parsed JSON: key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => jsonEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const ob = b as Record<string, unknown>;
  return ka.length === Object.keys(ob).length && ka.every((k) => Object.hasOwn(ob, k) && jsonEqual((a as Record<string, unknown>)[k], ob[k]));
}

/** start_time compared as instants: "…T10:00:00Z" and "…T12:00:00+02:00" are the same moment; absent equals null. */
export function sameInstant(a: unknown, b: unknown): boolean {
  const na = a ?? null;
  const nb = b ?? null;
  if (na === null || nb === null) return na === nb;
  if (typeof na !== 'string' || typeof nb !== 'string') return false;
  const ta = Date.parse(na);
  const tb = Date.parse(nb);
  return Number.isNaN(ta) || Number.isNaN(tb) ? na === nb : ta === tb;
}

export function matchStored(storedBody: string, found: ServerMeasurement[]): Match {
  if (found.length === 0) return { kind: 'none' };
  const stored = JSON.parse(storedBody) as { properties?: unknown; start_time?: unknown };
  const same = found.filter((m) => jsonEqual(m.properties, stored.properties) && sameInstant(m.start_time, stored.start_time));
  if (same.length > 0) return { kind: 'same', serverId: same[0]!.id, matches: same.length };
  return { kind: 'different', existing: found };
}

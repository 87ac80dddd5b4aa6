// Which cell instance a scanned code names, asked of the Ionworks API (reference/ionworks-api.md section 2.2):
// by id (GET /cell_instances/{id}), by exact name within a specification (GET /cell_specifications/{spec}/
// cell_instances?name=eq.<code>) or, without a specification, by GET /search filtered to an exact name match.
// Found ids are cached for good; "unknown" is cached for negativeTtlMs; an unreachable API is never cached.
import type { Clock } from '../core/clock.js';
import { apiRequest, type FetchLike } from './http.js';

export interface ApiAccess {
  baseUrl: string;
  getApiKey: () => string | undefined;
  fetch: FetchLike;
  timeoutMs: number;
}

export type ApiAnswer = { ok: true; status: number; json: unknown } | { ok: false; status: number | null; reason: string };

/** One request with a JSON answer; never throws. `ok` is any answer with a parseable body (the caller judges the status). */
export async function apiJson(api: ApiAccess, method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<ApiAnswer> {
  const apiKey = api.getApiKey();
  if (!apiKey) return { ok: false, status: null, reason: 'no API key configured' };
  let answer;
  try {
    answer = await apiRequest(api.fetch, {
      baseUrl: api.baseUrl,
      path,
      method,
      apiKey,
      timeoutMs: api.timeoutMs,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    return { ok: false, status: null, reason: err instanceof Error ? err.message : String(err) };
  }
  try {
    return { ok: true, status: answer.status, json: answer.text === '' ? null : JSON.parse(answer.text) };
  } catch {
    return { ok: false, status: answer.status, reason: `HTTP ${answer.status} with a body that is not JSON` };
  }
}

export type CellLookupResult =
  | { kind: 'found'; id: string; name?: string }
  | { kind: 'unknown'; reason: string }
  | { kind: 'ambiguous'; reason: string }
  /** No usable answer (offline, timeout, 5xx, auth): nothing can be said about the cell now. */
  | { kind: 'unavailable'; reason: string };

export interface CellLookupOptions {
  api: ApiAccess;
  clock: Clock;
  /** How long an "unknown" answer is remembered. */
  negativeTtlMs: number;
}

const MAX_CACHE = 10_000;

function unavailable(a: { status: number | null; reason: string }): CellLookupResult {
  return { kind: 'unavailable', reason: a.status === null ? a.reason : `HTTP ${a.status}: ${a.reason}` };
}

function statusProblem(status: number): CellLookupResult {
  const why = status === 401 || status === 403 ? 'the API key was refused' : 'unexpected answer';
  return { kind: 'unavailable', reason: `HTTP ${status}: ${why}` };
}

function items(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  const o = json as { items?: unknown; results?: unknown } | null;
  if (Array.isArray(o?.items)) return o.items;
  if (Array.isArray(o?.results)) return o.results;
  return [];
}

export class CellLookup {
  private readonly found = new Map<string, CellLookupResult & { kind: 'found' }>();
  private readonly negative = new Map<string, { result: CellLookupResult; until: number }>();

  constructor(private readonly opts: CellLookupOptions) {}

  byId(id: string): Promise<CellLookupResult> {
    return this.cached(`id:${id}`, async () => {
      const a = await apiJson(this.opts.api, 'GET', `/cell_instances/${encodeURIComponent(id)}`);
      if (!a.ok) return unavailable(a);
      if (a.status === 404) return { kind: 'unknown', reason: `no cell instance with id "${id}"` };
      if (a.status !== 200) return statusProblem(a.status);
      const body = a.json as { id?: unknown; name?: unknown } | null;
      return body?.id === id ? { kind: 'found', id, ...(typeof body.name === 'string' ? { name: body.name } : {}) } : { kind: 'unavailable', reason: 'answer did not carry the requested id' };
    });
  }

  /** Exact name match only; more than one hit is ambiguous (names are unique per specification, not per org). */
  byName(name: string, specId?: string): Promise<CellLookupResult> {
    return this.cached(`name:${specId ?? '*'}:${name}`, async () => {
      const q = encodeURIComponent(name);
      const path = specId
        ? `/cell_specifications/${encodeURIComponent(specId)}/cell_instances?name=eq.${q}&limit=5`
        : `/search?q=${q}&entity_types=cell_instance&limit=25&per_type=20`;
      if (!specId && name.length < 2) return { kind: 'unknown', reason: `"${name}" is too short to search for` };
      const a = await apiJson(this.opts.api, 'GET', path);
      if (!a.ok) return unavailable(a);
      if (specId && a.status === 404) return { kind: 'unknown', reason: `no cell specification "${specId}"` };
      if (a.status !== 200) return statusProblem(a.status);
      // The server's filter is not trusted with odd characters (and /search is a substring match): re-check.
      const hits = items(a.json).filter(
        (h): h is { id: string } =>
          typeof h === 'object' && h !== null && (h as { name?: unknown }).name === name && typeof (h as { id?: unknown }).id === 'string' &&
          (specId !== undefined || (h as { entity_type?: unknown }).entity_type === 'cell_instance'),
      );
      const where = specId ? `in specification ${specId}` : 'in the organisation';
      if (hits.length === 0) return { kind: 'unknown', reason: `no cell named "${name}" ${where}` };
      if (hits.length > 1) return { kind: 'ambiguous', reason: `${hits.length} cells are named "${name}" ${where}; scan the cell id instead` };
      return { kind: 'found', id: hits[0]!.id, name };
    });
  }

  private async cached(key: string, ask: () => Promise<CellLookupResult>): Promise<CellLookupResult> {
    const hit = this.found.get(key);
    if (hit) return hit;
    const neg = this.negative.get(key);
    if (neg && neg.until > this.opts.clock.now()) return neg.result;
    this.negative.delete(key);
    const result = await ask();
    if (this.found.size + this.negative.size >= MAX_CACHE) {
      this.found.clear();
      this.negative.clear();
    }
    if (result.kind === 'found') this.found.set(key, result);
    else if (result.kind !== 'unavailable') this.negative.set(key, { result, until: this.opts.clock.now() + this.opts.negativeTtlMs });
    return result;
  }
}

export type CellResolution = { kind: 'ready'; cellInstanceId: string } | { kind: 'retry'; reason: string } | { kind: 'dead'; reason: string };

export interface CellResolverDeps {
  lookup: Pick<CellLookup, 'byName'>;
  /** src/station/trace-store.ts TraceStore fits. */
  store: { unresolvedName(id: number): string | null; resolveCell(id: number, cellInstanceId: string, at: number): void };
  /** The station's cell_specification_id, if it has one. */
  specFor: (station: string) => string | undefined;
  clock: Clock;
}

/**
 * The uploader's hook: call it after beginAttempt and before the POST. `ready`: post to that id. `retry`: record
 * a retry (status null, detail = reason) with the usual backoff. `dead`: record a dead letter with the reason.
 */
export function makeCellResolver(deps: CellResolverDeps): (row: { id: number; cellInstanceId: string; station: string }) => Promise<CellResolution> {
  return async (row) => {
    const name = deps.store.unresolvedName(row.id);
    if (name === null) return { kind: 'ready', cellInstanceId: row.cellInstanceId };
    const r = await deps.lookup.byName(name, deps.specFor(row.station));
    switch (r.kind) {
      case 'found':
        deps.store.resolveCell(row.id, r.id, deps.clock.now());
        return { kind: 'ready', cellInstanceId: r.id };
      case 'unavailable':
        return { kind: 'retry', reason: `cell name "${name}" not resolved yet: ${r.reason}` };
      default:
        return { kind: 'dead', reason: `cell name "${name}" does not resolve: ${r.reason}` };
    }
  };
}

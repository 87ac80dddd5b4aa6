// A local stand-in for the part of the Ionworks API the daemon uses, for tests and the demo. It listens on
// 127.0.0.1 only, checks X-API-Key, judges bodies by the OpenAPI text in api/ (not by our zod schema), and
// offers hooks to reject chosen bodies or to go down, and a seeded fault schedule (faults.ts) for crash tests.
// By default it does not refuse duplicate names: whether the real server does is unverified, and accepting them
// lets the demo count duplicates instead of hiding them; `enforceUniqueNames` answers 409 instead.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOpenApi, validateSchema, type ValidationIssue } from './openapi-validate.js';
import { documentedRuleIssues } from './documented-rules.js';
import { drawFault, FAULT_KINDS, seededRandom, type FaultKind, type FaultOptions } from './faults.js';

/** The OpenAPI text, at the repository root both from src/demo/standin and from dist/demo/standin. */
export const DEFAULT_OPENAPI_PATH = fileURLToPath(new URL('../../../api/openapi-create-properties-measurement.yaml', import.meta.url));

export interface StandinOptions {
  apiKey: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: '127.0.0.1';
  /** Accepted measurements are written here after each 201 and reloaded at start, so other processes can count them. */
  statePath?: string;
  openapiPath?: string;
  organizationId?: string;
  faults?: FaultOptions;
  /**
   * Cell instances the stand-in knows. With a list, GET /cell_instances/{id}, the name lookups and /search answer
   * from it and a measurement for an unknown cell gets 404; without one, every cell id is accepted.
   */
  cells?: StandinCell[];
}

export interface StandinCell {
  id: string;
  /** The instance name (its serial number, usually what the barcode says). */
  name: string;
  cell_specification_id: string;
}

export interface StandinCounters {
  requests: number;
  /** Measurements stored (201s, plus those stored before a reset or 5xx fault). */
  committed: number;
  /** Stored although a measurement with that name was already on the cell (names not enforced). */
  duplicateNames: number;
  conflicts409: number;
  rejected422: number;
  refused401: number;
  forbidden403: number;
  faults: Record<FaultKind, number>;
}

export interface ReceivedMeasurement {
  cellInstanceId: string;
  body: unknown;
  /** The request body exactly as it arrived. */
  rawBody: string;
  at: number;
  /** The CellMeasurement answered with the 201. */
  measurement: Record<string, unknown>;
}

export interface StandinRequest {
  method: string;
  /** Path and query as sent (still percent-encoded). */
  path: string;
  /** null when the stand-in was down and dropped the connection. */
  status: number | null;
  at: number;
  apiKey: string | null;
  contentType: string | null;
  rawBody: string;
}

export type RejectPredicate = (body: unknown, cellInstanceId: string) => boolean;

export interface Standin {
  readonly url: string;
  /** Only measurements answered with 201, in arrival order. */
  received(): ReceivedMeasurement[];
  /** Every request, with the status answered. */
  requests(): StandinRequest[];
  /** Answer 422 to bodies the predicate picks (null clears it). */
  reject422(predicate: RejectPredicate | null): void;
  /** 'reset' drops each connection without an answer; '503' answers 503 with Retry-After. */
  setDown(down: boolean, how?: 'reset' | '503'): void;
  /** A 401 window: every authenticated request is refused while on (/healthz still answers). */
  setAuthFailing(failing: boolean): void;
  /** 403 to authenticated requests whose path (with query) the predicate picks: a key without access to them. */
  setForbidden(predicate: ((path: string) => boolean) | null): void;
  setEnforceUniqueNames(on: boolean): void;
  /** Changes fault probabilities from now on (the seeded sequence continues; reject422Names is read at start only). */
  setFaults(changes: FaultOptions): void;
  counters(): StandinCounters;
  close(): Promise<void>;
}

interface StateFile {
  received: ReceivedMeasurement[];
}

/** Reads what a stand-in (possibly in another process) has accepted. */
export function readStandinState(path: string): ReceivedMeasurement[] {
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, 'utf8')) as StateFile).received;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

function send(res: ServerResponse, { status, body, headers = {} }: Reply): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-correlation-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const validationError = (loc: Array<string | number>, msg: string, type: string): Reply => ({ status: 422, body: { detail: [{ loc, msg, type }] } });

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const doc = loadOpenApi(opts.openapiPath ?? DEFAULT_OPENAPI_PATH);
  const organizationId = opts.organizationId ?? 'org-standin';
  let faults = opts.faults ?? {};
  const random = seededRandom(faults.seed ?? 1);
  const accepted: ReceivedMeasurement[] = opts.statePath ? readStandinState(opts.statePath) : [];
  const log: StandinRequest[] = [];
  let rejectPredicate: RejectPredicate | null = null;
  if (faults.reject422Names !== undefined) {
    const names = new RegExp(faults.reject422Names);
    rejectPredicate = (body) => names.test(String((body as { name?: unknown }).name));
  }
  let down: false | 'reset' | '503' = false;
  let authFailing = faults.authFailing ?? false;
  let enforceUniqueNames = faults.enforceUniqueNames ?? false;
  let forbidden: ((path: string) => boolean) | null = null;
  const counters: StandinCounters = {
    requests: 0,
    committed: 0,
    duplicateNames: 0,
    conflicts409: 0,
    rejected422: 0,
    refused401: 0,
    forbidden403: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
  };

  const persist = () => {
    if (!opts.statePath) return;
    const tmp = `${opts.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ received: accepted } satisfies StateFile));
    renameSync(tmp, opts.statePath);
  };

  const createMeasurement = (cellInstanceId: string, rawBody: string): Reply => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch (e) {
      return validationError(['body'], `JSON decode error: ${(e as Error).message}`, 'json_invalid');
    }
    const checked = validateSchema(doc, 'CreatePropertiesMeasurementRequest', parsed, ['body']);
    let issues: ValidationIssue[] = checked.issues;
    if (issues.length === 0) issues = documentedRuleIssues(checked.value as Record<string, unknown>);
    if (issues.length === 0 && rejectPredicate?.(parsed, cellInstanceId))
      issues = [{ loc: ['body'], msg: 'rejected by the stand-in test hook', type: 'value_error', input: parsed }];
    if (issues.length > 0) return { status: 422, body: { detail: issues } };
    const value = checked.value as Record<string, unknown>;
    const existing = accepted.find((r) => r.cellInstanceId === cellInstanceId && r.measurement.name === value.name);
    if (existing && enforceUniqueNames)
      return {
        status: 409,
        body: {
          error_code: 'CONFLICT',
          message: `a measurement named "${String(value.name)}" already exists on this cell instance`,
          detail: { existing_id: existing.measurement.id },
        },
      };
    if (existing) counters.duplicateNames++;
    const now = new Date().toISOString();
    const measurement = {
      ...value,
      id: randomUUID(),
      cell_instance_id: cellInstanceId,
      organization_id: organizationId,
      created_by: null,
      created_by_email: null,
      created_at: now,
      updated_at: now,
    };
    accepted.push({ cellInstanceId, body: parsed, rawBody, at: Date.now(), measurement });
    counters.committed++;
    persist();
    return { status: 201, body: measurement };
  };

  const listMeasurements = (cellInstanceId: string, query: URLSearchParams): Reply => {
    const nameFilter = query.get('name');
    if (nameFilter !== null && !nameFilter.startsWith('eq.'))
      return validationError(['query', 'name'], 'the stand-in supports only name=eq.<name>', 'value_error');
    const type = query.get('measurement_type');
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 100) || 100));
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    const all = accepted
      .map((r) => r.measurement)
      .filter(
        (m) =>
          m.cell_instance_id === cellInstanceId &&
          (nameFilter === null || m.name === nameFilter.slice(3)) &&
          (type === null || m.measurement_type === type),
      );
    const items = all.slice(offset, offset + limit);
    return { status: 200, body: { items, count: items.length, total: all.length } };
  };

  const cells = opts.cells;
  // Without a list every id exists (named after itself), so tests that do not care about lookups need none.
  const cellById = (id: string): StandinCell | undefined =>
    cells ? cells.find((c) => c.id === id) : { id, name: id, cell_specification_id: 'spec-any' };
  const notFound: Reply = { status: 404, body: { detail: 'Not Found' } };
  const eqFilter = (v: string | null) => (v?.startsWith('eq.') ? v.slice(3) : null);

  /** GET /cell_instances/{id}, /cell_specifications/{spec}/cell_instances?name=eq.X, /search?q=: read-only lookups. */
  const cellLookup = (parts: string[], params: URLSearchParams): Reply | null => {
    if (parts[0] === 'cell_instances' && parts.length === 2) {
      const cell = cellById(decodeURIComponent(parts[1] ?? ''));
      return cell ? { status: 200, body: { ...cell, organization_id: organizationId } } : notFound;
    }
    if (!cells) return null;
    if (parts[0] === 'cell_specifications' && parts[2] === 'cell_instances' && parts.length === 3) {
      const spec = decodeURIComponent(parts[1] ?? '');
      const name = eqFilter(params.get('name'));
      const items = cells.filter((c) => c.cell_specification_id === spec && (name === null || c.name === name));
      return { status: 200, body: { items, count: items.length, total: items.length } };
    }
    if (parts[0] === 'search' && parts.length === 1) {
      const q = (params.get('q') ?? '').toLowerCase();
      if (q.trim().length < 2) return { status: 422, body: { detail: [{ loc: ['query', 'q'], msg: 'at least 2 characters', type: 'string_too_short' }] } };
      // Substring match, as the real endpoint's ilike: the caller must filter for an exact name.
      const results = cells
        .filter((c) => c.name.toLowerCase().includes(q) || c.id.toLowerCase().includes(q))
        .map((c) => ({ id: c.id, entity_type: 'cell_instance', name: c.name, project_id: null, parent_id: c.cell_specification_id }));
      return { status: 200, body: { results, query: q, total: results.length, limit: 25, offset: 0 } };
    }
    return null;
  };

  /** PATCH /cell_measurements/{id}: notes (e.g. a void) on a stored measurement. */
  const patchMeasurement = (id: string, rawBody: string): Reply => {
    const stored = accepted.find((r) => r.measurement.id === id);
    if (!stored) return notFound;
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch {
      return { status: 422, body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] } };
    }
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      return { status: 422, body: { detail: [{ loc: ['body'], msg: 'Input should be an object', type: 'model_type' }] } };
    Object.assign(stored.measurement, patch, { updated_at: new Date().toISOString() });
    persist();
    return { status: 200, body: stored.measurement };
  };

  const route = (req: IncomingMessage, url: URL, rawBody: string): Reply => {
    const parts = url.pathname.split('/').slice(1);
    const method = req.method ?? 'GET';
    const authorized = !authFailing && req.headers['x-api-key'] === opts.apiKey;
    const unauthorized: Reply = { status: 401, body: { detail: 'Invalid or missing API key' } };
    if (authorized && url.pathname !== '/healthz' && forbidden?.(req.url ?? ''))
      return { status: 403, body: { detail: 'The API key does not grant access to this resource' } };

    if (method === 'GET' && url.pathname === '/healthz') return { status: 200, body: { status: 'ok' } };
    if (method === 'GET' && url.pathname === '/users/me') {
      if (!authorized) return unauthorized;
      const org = { id: organizationId, name: 'Stand-in organization' };
      return { status: 200, body: { id: 'user-standin', email: 'standin@example.invalid', authorized_organization: org, organizations: [org] } };
    }
    if (method === 'PATCH' && parts[0] === 'cell_measurements' && parts.length === 2)
      return authorized ? patchMeasurement(decodeURIComponent(parts[1] ?? ''), rawBody) : unauthorized;
    if (method === 'GET') {
      let looked: Reply | null;
      try {
        looked = cellLookup(parts, url.searchParams);
      } catch {
        return notFound;
      }
      if (looked) return authorized ? looked : unauthorized;
    }
    if (parts[0] === 'cell_instances' && parts[2] === 'cell_measurements' && parts[1]) {
      let cellInstanceId: string;
      try {
        cellInstanceId = decodeURIComponent(parts[1]);
      } catch {
        return { status: 404, body: { detail: 'Not Found' } };
      }
      if (cells && !cellById(cellInstanceId)) return authorized ? notFound : unauthorized;
      if (parts.length === 4 && parts[3] === 'create' && method === 'POST')
        return authorized ? createMeasurement(cellInstanceId, rawBody) : unauthorized;
      if (parts.length === 3 && method === 'GET') return authorized ? listMeasurements(cellInstanceId, url.searchParams) : unauthorized;
    }
    return { status: 404, body: { detail: 'Not Found' } };
  };

  const tally = (status: number) => {
    if (status === 409) counters.conflicts409++;
    else if (status === 422) counters.rejected422++;
    else if (status === 401) counters.refused401++;
    else if (status === 403) counters.forbidden403++;
  };

  /** Routes the request, with the scheduled fault (if any) around it. Returns null when the socket was destroyed. */
  const handle = async (req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<number | null> => {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (url.pathname === '/healthz') {
      send(res, route(req, url, rawBody));
      return 200;
    }
    const fault = drawFault(random, faults, req.method === 'POST');
    if (fault) counters.faults[fault.kind]++;
    if (fault?.kind === 'reset_before') {
      req.socket.destroy();
      return null;
    }
    if (fault?.kind === '5xx') {
      send(res, { status: fault.status, body: { detail: 'stand-in fault: server error' } });
      return fault.status;
    }
    if (fault?.kind === '429') {
      send(res, { status: 429, body: { detail: 'stand-in fault: too many requests' }, headers: { 'retry-after': String(faults.retryAfterSeconds ?? 1) } });
      return 429;
    }
    const reply = route(req, url, rawBody);
    tally(reply.status);
    if (fault?.kind === 'reset_after') {
      req.socket.destroy();
      return null;
    }
    if (fault?.kind === '5xx_after') {
      send(res, { status: fault.status, body: { detail: 'stand-in fault: server error after storing' } });
      return fault.status;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, faults.slowMs ?? 1_000));
    if (res.destroyed) return null;
    send(res, reply);
    return reply.status;
  };

  const server = createServer((req, res) => {
    const entry: StandinRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: null,
      at: Date.now(),
      apiKey: (req.headers['x-api-key'] as string | undefined) ?? null,
      contentType: req.headers['content-type'] ?? null,
      rawBody: '',
    };
    log.push(entry);
    counters.requests++;
    if (down === 'reset') {
      req.socket.destroy();
      return;
    }
    readBody(req)
      .then(async (rawBody) => {
        entry.rawBody = rawBody;
        if (down === '503') {
          send(res, { status: 503, body: { detail: 'Service Unavailable' }, headers: { 'retry-after': '1' } });
          entry.status = 503;
        } else entry.status = await handle(req, res, rawBody);
      })
      .catch((err: unknown) => {
        entry.status = 500;
        if (!res.headersSent) send(res, { status: 500, body: { detail: `stand-in error: ${(err as Error).message}` } });
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received: () => accepted.slice(),
    requests: () => log.slice(),
    reject422: (p) => {
      rejectPredicate = p;
    },
    setDown: (isDown, how = 'reset') => {
      down = isDown ? how : false;
      // Idle keep-alive sockets would otherwise still carry the next request before the refusal takes effect.
      if (isDown) server.closeIdleConnections();
    },
    setAuthFailing: (failing) => {
      authFailing = failing;
    },
    setForbidden: (p) => {
      forbidden = p;
    },
    setFaults: (changes) => {
      faults = { ...faults, ...changes };
    },
    setEnforceUniqueNames: (on) => {
      enforceUniqueNames = on;
    },
    counters: () => ({ ...counters, faults: { ...counters.faults } }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

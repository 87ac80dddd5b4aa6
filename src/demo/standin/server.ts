// A local stand-in for the part of the Ionworks API the daemon uses, for tests and the demo. It listens on
// 127.0.0.1 only, checks X-API-Key, judges bodies by the OpenAPI text in api/ (not by our zod schema), and
// offers hooks to reject chosen bodies or to go down. It does not refuse duplicate names: whether the real
// server does is unverified, and accepting them lets the demo count duplicates instead of hiding them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadOpenApi, validateSchema, type ValidationIssue } from './openapi-validate.js';
import { documentedRuleIssues } from './documented-rules.js';

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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
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

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const doc = loadOpenApi(opts.openapiPath ?? DEFAULT_OPENAPI_PATH);
  const organizationId = opts.organizationId ?? 'org-standin';
  const accepted: ReceivedMeasurement[] = opts.statePath ? readStandinState(opts.statePath) : [];
  const log: StandinRequest[] = [];
  let rejectPredicate: RejectPredicate | null = null;
  let down: false | 'reset' | '503' = false;

  const persist = () => {
    if (!opts.statePath) return;
    const tmp = `${opts.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ received: accepted } satisfies StateFile));
    renameSync(tmp, opts.statePath);
  };

  const createMeasurement = (res: ServerResponse, cellInstanceId: string, rawBody: string): number => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch (e) {
      send(res, 422, { detail: [{ loc: ['body'], msg: `JSON decode error: ${(e as Error).message}`, type: 'json_invalid' }] });
      return 422;
    }
    const checked = validateSchema(doc, 'CreatePropertiesMeasurementRequest', parsed, ['body']);
    let issues: ValidationIssue[] = checked.issues;
    if (issues.length === 0) issues = documentedRuleIssues(checked.value as Record<string, unknown>);
    if (issues.length === 0 && rejectPredicate?.(parsed, cellInstanceId))
      issues = [{ loc: ['body'], msg: 'rejected by the stand-in test hook', type: 'value_error', input: parsed }];
    if (issues.length > 0) {
      send(res, 422, { detail: issues });
      return 422;
    }
    const now = new Date().toISOString();
    const measurement = {
      ...(checked.value as Record<string, unknown>),
      id: randomUUID(),
      cell_instance_id: cellInstanceId,
      organization_id: organizationId,
      created_by: null,
      created_by_email: null,
      created_at: now,
      updated_at: now,
    };
    accepted.push({ cellInstanceId, body: parsed, rawBody, at: Date.now(), measurement });
    persist();
    send(res, 201, measurement);
    return 201;
  };

  const listMeasurements = (res: ServerResponse, cellInstanceId: string, query: URLSearchParams): number => {
    const nameFilter = query.get('name');
    if (nameFilter !== null && !nameFilter.startsWith('eq.')) {
      send(res, 422, { detail: [{ loc: ['query', 'name'], msg: 'the stand-in supports only name=eq.<name>', type: 'value_error' }] });
      return 422;
    }
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
    send(res, 200, { items, count: items.length, total: all.length });
    return 200;
  };

  const route = (req: IncomingMessage, res: ServerResponse, rawBody: string): number => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const parts = url.pathname.split('/').slice(1);
    const method = req.method ?? 'GET';
    const authorized = req.headers['x-api-key'] === opts.apiKey;
    const unauthorized = () => {
      send(res, 401, { detail: 'Invalid or missing API key' });
      return 401;
    };

    if (method === 'GET' && url.pathname === '/healthz') {
      send(res, 200, { status: 'ok' });
      return 200;
    }
    if (method === 'GET' && url.pathname === '/users/me') {
      if (!authorized) return unauthorized();
      const org = { id: organizationId, name: 'Stand-in organization' };
      send(res, 200, { id: 'user-standin', email: 'standin@example.invalid', authorized_organization: org, organizations: [org] });
      return 200;
    }
    if (parts[0] === 'cell_instances' && parts[2] === 'cell_measurements' && parts[1]) {
      let cellInstanceId: string;
      try {
        cellInstanceId = decodeURIComponent(parts[1]);
      } catch {
        send(res, 404, { detail: 'Not Found' });
        return 404;
      }
      if (parts.length === 4 && parts[3] === 'create' && method === 'POST')
        return authorized ? createMeasurement(res, cellInstanceId, rawBody) : unauthorized();
      if (parts.length === 3 && method === 'GET')
        return authorized ? listMeasurements(res, cellInstanceId, url.searchParams) : unauthorized();
    }
    send(res, 404, { detail: 'Not Found' });
    return 404;
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
    if (down === 'reset') {
      req.socket.destroy();
      return;
    }
    readBody(req)
      .then((rawBody) => {
        entry.rawBody = rawBody;
        if (down === '503') {
          send(res, 503, { detail: 'Service Unavailable' }, { 'retry-after': '1' });
          entry.status = 503;
        } else entry.status = route(req, res, rawBody);
      })
      .catch((err: unknown) => {
        entry.status = 500;
        if (!res.headersSent) send(res, 500, { detail: `stand-in error: ${(err as Error).message}` });
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

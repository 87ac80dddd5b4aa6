// /healthz (is the process alive: the event loop turns, since this runs, and the database answers a query),
// /readyz (can it do its job now: instruments connected, the API reachable and taking the key) and /metrics.
// Liveness failing means restart; readiness failing means a person should look (see docs/operations.md).
import type { Clock } from '../core/clock.js';
import type { DeviceStatus } from '../devices/device.js';
import type { UploaderState } from '../uploader/uploader.js';
import { sendJson, type Handler, type OpsHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { LogThrottle } from './log-throttle.js';
import type { DaemonMetrics } from './metrics.js';

export interface HealthSources {
  version: string;
  clock: Clock;
  logger: Logger;
  /** Runs a trivial query on the outbox database; throws when the database does not answer. */
  pingDatabase: () => void;
  devices: () => Iterable<DeviceStatus>;
  uploader: () => UploaderState;
  hasApiKey: () => boolean;
}

export type HealthResult = { ok: true } | { ok: false; error: string };

export interface Readiness {
  ready: boolean;
  /** Why not, one sentence per problem; empty when ready. */
  reasons: string[];
  devices: Record<string, DeviceStatus['state']>;
  uploader: UploaderState['mode'];
}

/** Liveness: the database answers. Also the systemd watchdog's check (its timer firing proves the event loop). */
export function checkHealth(src: Pick<HealthSources, 'pingDatabase'>): HealthResult {
  try {
    src.pingDatabase();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: `database does not answer: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function checkReadiness(src: Omit<HealthSources, 'logger' | 'pingDatabase' | 'version'>): Readiness {
  const reasons: string[] = [];
  const devices: Readiness['devices'] = {};
  for (const d of src.devices()) {
    devices[d.id] = d.state;
    if (d.state !== 'connected') reasons.push(`device ${d.id} is ${d.state}${d.lastError ? `: ${d.lastError}` : ''}`);
  }
  const up = src.uploader();
  const since = new Date(up.since).toISOString();
  const detail = up.detail ? `: ${up.detail}` : '';
  if (!src.hasApiKey() || up.mode === 'no_key') reasons.push('no API key configured (api.key_file or IONWORKS_API_KEY)');
  else if (up.mode === 'offline') reasons.push(`API unreachable since ${since}${detail}`);
  else if (up.mode === 'auth_failed') reasons.push(`API refuses the key since ${since}${detail}`);
  else if (up.mode === 'halted') reasons.push(`uploads halted since ${since}${detail}`);
  return { ready: reasons.length === 0, reasons, devices, uploader: up.mode };
}

/**
 * Registers the three routes; `guard` applies the HTTP access rules (src/ops/status/access.ts: open on
 * loopback, the access token when bound wider).
 */
export function registerHealthRoutes(
  http: Pick<OpsHttpServer, 'route'>,
  guard: (h: Handler) => Handler,
  src: HealthSources,
  metrics: Pick<DaemonMetrics, 'scrape'>,
): void {
  // A monitor polls every few seconds: a lasting failure is logged once per spell, not per probe.
  const throttle = new LogThrottle(src.clock);
  http.route(
    'GET',
    '/healthz',
    guard((_req, res) => {
      const result = checkHealth(src);
      if (result.ok) {
        const failures = throttle.clear('healthz');
        if (failures > 0) src.logger.info({ event: 'health.recovered', failures }, 'health check passes again');
        return sendJson(res, 200, { ok: true, version: src.version });
      }
      const v = throttle.hit('healthz');
      if (v.log) src.logger.error({ event: 'health.failed', error: result.error, repeated: v.repeated }, `health check failed: ${result.error}`);
      sendJson(res, 503, { ok: false, version: src.version, error: result.error });
    }),
  );
  http.route(
    'GET',
    '/readyz',
    guard((_req, res) => {
      const r = checkReadiness(src);
      sendJson(res, r.ready ? 200 : 503, r);
    }),
  );
  http.route(
    'GET',
    '/metrics',
    guard(async (_req, res) => {
      const { contentType, body } = await metrics.scrape();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    }),
  );
}

// The status page's routes on the daemon's one HTTP server: `/`, `/station/<id>`, `/events` (SSE), `/api/status`.
import type { ServerResponse } from 'node:http';
import { sendJson, type OpsHttpServer } from '../http-server.js';
import { statusAccess, type StatusAccess } from './access.js';
import { StatusHub, type StatusParts } from './hub.js';
import { PAGE_CSP, statusPage } from './page.js';

export interface MountedStatusPage extends StatusAccess {
  /** Gives a station added after the mount (config reload) its own page; adding one twice is harmless. */
  addStation(id: string): void;
}

/**
 * Registers the page and its feeds, with a page for each station that exists now; returns the access rules (so the
 * daemon guards its health routes the same way) and `addStation` for stations a reload adds later.
 */
export function mountStatusPage(
  http: Pick<OpsHttpServer, 'route'>,
  parts: StatusParts & { http: { host: string; access_token?: string | undefined } },
): MountedStatusPage {
  const access = statusAccess(parts.http);
  const addStation = registerStatusRoutes(http, access, new StatusHub(parts));
  for (const id of parts.stations.keys()) addStation(id);
  return { ...access, addStation };
}

/** Registers the overview, /api/status and /events; returns the function that adds one station's page. */
export function registerStatusRoutes(http: Pick<OpsHttpServer, 'route'>, access: StatusAccess, hub: StatusHub): (id: string) => void {
  const { page } = access;
  http.route('GET', '/', page((_req, res) => sendPage(res, statusPage())));
  http.route('GET', '/api/status', page((_req, res) => sendJson(res, 200, hub.view())));
  http.route(
    'GET',
    '/events',
    page((req, res) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const unsubscribe = hub.subscribe((chunk) => res.write(chunk));
      // 'close' fires on a tab closed, a network drop and the server's shutdown alike.
      res.on('close', unsubscribe);
      req.on('error', unsubscribe);
    }),
  );
  // The server matches exact paths: one route per station. A removed station's page says it is no longer configured.
  return (id) => http.route('GET', `/station/${id}`, page((_req, res) => sendPage(res, statusPage(id))));
}

function sendPage(res: ServerResponse, html: string): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

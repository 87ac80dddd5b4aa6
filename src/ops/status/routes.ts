// The status page's routes on the daemon's one HTTP server: `/`, `/station/<id>`, `/events` (SSE), `/api/status`.
import type { ServerResponse } from 'node:http';
import { sendJson, type OpsHttpServer } from '../http-server.js';
import { statusAccess, type StatusAccess } from './access.js';
import { StatusHub, type StatusParts } from './hub.js';
import { PAGE_CSP, statusPage } from './page.js';

/**
 * Registers the page and its feeds; returns the access rules so the daemon guards its health routes the same way.
 * Call once the stations exist: each gets its own page.
 */
export function mountStatusPage(
  http: Pick<OpsHttpServer, 'route'>,
  parts: StatusParts & { http: { host: string; access_token?: string | undefined } },
): StatusAccess {
  const access = statusAccess(parts.http);
  registerStatusRoutes(http, access, new StatusHub(parts), parts.stations.keys());
  return access;
}

export function registerStatusRoutes(http: Pick<OpsHttpServer, 'route'>, access: StatusAccess, hub: StatusHub, stationIds: Iterable<string>): void {
  const { page } = access;
  http.route('GET', '/', page((_req, res) => sendPage(res, statusPage())));
  // The server matches exact paths; stations are fixed for the daemon's life, so one route each.
  for (const id of stationIds) http.route('GET', `/station/${id}`, page((_req, res) => sendPage(res, statusPage(id))));
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

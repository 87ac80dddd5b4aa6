// Who may see the status page. Bound to loopback, only this PC can connect, so everything is open. Bound wider
// (a bench tablet), every request needs the access token: `?token=` once (then a cookie), or
// `Authorization: Bearer`. Health endpoints stay open to loopback clients so local monitoring needs no secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from '../../config/schema.js';
import type { Handler } from '../http-server.js';

const COOKIE = 'ionworks_edge_token';

export interface StatusAccess {
  /** Page, events and API routes: open on loopback, token-protected otherwise. */
  page(handler: Handler): Handler;
  /** Health/metrics: as `page`, but always open to requests from this machine. */
  health(handler: Handler): Handler;
}

export function statusAccess(http: { host: string; access_token?: string | undefined }): StatusAccess {
  const token = http.access_token;
  if (isLoopbackHost(http.host) || token === undefined) {
    // Config validation refuses a wide bind without a token; the `token === undefined` case is loopback only.
    const open = (handler: Handler) => handler;
    return { page: open, health: open };
  }
  const expected = digest(token);
  const page =
    (handler: Handler): Handler =>
    (req, res, url) => {
      const query = url.searchParams.get('token');
      if (query !== null && matches(query, expected)) {
        // Swap the token in the address bar for a cookie, so it does not stay in history or get shared by copy-paste.
        url.searchParams.delete('token');
        res.writeHead(303, {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${COOKIE}=${encodeURIComponent(query)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`,
          'cache-control': 'no-store',
        });
        res.end();
        return;
      }
      const given = bearer(req) ?? cookie(req);
      if (given !== null && matches(given, expected)) return handler(req, res, url);
      refuse(res);
    };
  const health =
    (handler: Handler): Handler =>
    (req, res, url) =>
      isLoopbackPeer(req) ? handler(req, res, url) : page(handler)(req, res, url);
  return { page, health };
}

// Hashing first gives equal-length buffers, so the comparison time says nothing about the token's length or prefix.
function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function matches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

function bearer(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? null;
}

function cookie(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== COOKIE) continue;
    try {
      return decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
  }
  return null;
}

export function isLoopbackPeer(req: IncomingMessage): boolean {
  const addr = req.socket.remoteAddress ?? '';
  return isLoopbackHost(addr) || /^::ffff:127\./.test(addr);
}

function refuse(res: ServerResponse): void {
  res.writeHead(401, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'www-authenticate': 'Bearer realm="ionworks-edge"',
  });
  res.end('Access token needed: open this page once as /?token=<http.access_token from the config>.\n');
}

// The daemon's one HTTP server (loopback by default): health, readiness, metrics, status page and its API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export class OpsHttpServer {
  private server?: Server;
  private readonly routes = new Map<string, Handler>();

  constructor(private readonly opts: { host: string; port: number; logger: Logger }) {}

  /** Registers `GET /path` (or another method); exact path match. */
  route(method: string, path: string, handler: Handler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.dispatch(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.opts.logger.info({ event: 'http.listening', url: this.url }, `status and health on ${this.url}`);
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) return '';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    try {
      if (!handler) return sendJson(res, 404, { error: 'not found' });
      await handler(req, res, url);
    } catch (err) {
      this.opts.logger.error({ event: 'http.error', path: url.pathname, err }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.end();
    }
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

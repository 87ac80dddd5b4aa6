// POST /api/uploader/resume: an ops person on this PC resumes a halted uploader without a restart or a signal
// (`ionworks-edge status --resume`). It changes what the daemon does, so it is stricter than the read-only routes:
// only from this machine, only to a loopback Host (a web page rebound to 127.0.0.1 by DNS has another Host), and
// only with a header a browser will not send across origins without asking first.
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config/schema.js';
import type { UploaderState } from '../uploader/uploader.js';
import { sendJson, type Handler, type OpsHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { isLoopbackPeer } from './status/access.js';

export const RESUME_PATH = '/api/uploader/resume';
/** Sent by the CLI; a cross-origin page cannot add it without a CORS preflight, which this server never grants. */
export const ACTION_HEADER = 'x-ionworks-edge-action';

export interface ResumableUploader {
  /** True if it was halted and now runs again. */
  resume(): boolean;
  state(): UploaderState;
}

/** The Host header's name without its port ("127.0.0.1:8787" -> "127.0.0.1", "[::1]:8787" -> "::1"). */
function hostName(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host) ?? /^([^:]+)(?::\d+)?$/.exec(host);
  return m?.[1] ?? host;
}

/** Refuses anything but a request made on this machine, by a client that is not a web page. */
export function localAction(handler: Handler): Handler {
  return (req, res, url) => {
    const name = hostName(req);
    if (!isLoopbackPeer(req) || !isLoopbackHost(name))
      return sendJson(res, 403, { error: 'only from this PC: run `ionworks-edge status --resume` on it' });
    if (req.headers[ACTION_HEADER] === undefined) return sendJson(res, 403, { error: `missing the ${ACTION_HEADER} header` });
    return handler(req, res, url);
  };
}

export function registerUploaderRoutes(http: Pick<OpsHttpServer, 'route'>, uploader: ResumableUploader, logger: Logger): void {
  http.route(
    'POST',
    RESUME_PATH,
    localAction((_req, res) => {
      const resumed = uploader.resume();
      const state = uploader.state();
      logger.info({ event: 'upload.resume_requested', resumed, mode: state.mode }, resumed ? 'resume requested: uploads running again' : `resume requested, but uploads were not halted (${state.mode})`);
      sendJson(res, resumed ? 200 : 409, { resumed, uploader: state });
    }),
  );
}

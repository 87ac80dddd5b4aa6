// One request to the API (the POST of a stored body, or a GET for a lookup or probe). No retry here: the durable
// retry loop lives in the outbox/uploader.
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';

/** The slice of fetch the uploader uses; undici's fetch and Node's global fetch both fit. */
export type FetchLike = (
  url: string,
  init: { method: 'POST' | 'GET' | 'PATCH'; headers: Record<string, string>; body?: string; signal: AbortSignal; redirect: 'manual' },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface PostRequest {
  baseUrl: string;
  apiKey: string;
  cellInstanceId: string;
  /** The stored request body, sent byte for byte. */
  body: string;
  timeoutMs: number;
  /** Shutdown: aborts the request in flight. */
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  text: string;
  correlationId: string | null;
  retryAfter: string | null;
}

/** network: no usable answer (refused, reset, DNS); timeout: our deadline passed; aborted: we are shutting down. */
export type PostErrorKind = 'network' | 'timeout' | 'aborted';

export class PostError extends Error {
  override readonly name = 'PostError';
  constructor(
    readonly kind: PostErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1": undici hides the useful part in the cause chain. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message);
  }
  return parts.join(': ') || String(err);
}

export function measurementPath(cellInstanceId: string): string {
  return `/cell_instances/${encodeURIComponent(cellInstanceId)}/cell_measurements/create`;
}

/** "/cell_instances/{id}/cell_measurements?name=eq.<name>&measurement_type=properties": the de-duplication lookup. */
export function lookupPath(cellInstanceId: string, name: string): string {
  const query = `name=${encodeURIComponent(`eq.${name}`)}&measurement_type=properties&limit=100`;
  return `/cell_instances/${encodeURIComponent(cellInstanceId)}/cell_measurements?${query}`;
}

export interface ApiRequest {
  baseUrl: string;
  /** Path (and query) under baseUrl, already encoded. */
  path: string;
  method: 'POST' | 'GET' | 'PATCH';
  /** Omitted for unauthenticated calls (GET /healthz). */
  apiKey?: string;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function apiRequest(fetchImpl: FetchLike, req: ApiRequest): Promise<HttpAnswer> {
  // One controller for the deadline and the caller's signal. (AbortSignal.timeout + AbortSignal.any cost about
  // ten times as much per request, most of it in garbage collection: a drain makes thousands of requests.)
  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort(new DOMException(`no answer within ${req.timeoutMs} ms`, 'TimeoutError'));
  }, req.timeoutMs);
  timer.unref();
  const onAbort = () => deadline.abort(req.signal?.reason);
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = deadline.signal;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (req.apiKey !== undefined) headers['X-API-Key'] = req.apiKey;
  if (req.body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetchImpl(`${req.baseUrl.replace(/\/+$/, '')}${req.path}`, {
      method: req.method,
      headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      signal,
      // A redirected POST would be replayed as a GET by fetch; let the classifier see the 3xx instead.
      redirect: 'manual',
    });
    // The deadline covers reading the body too.
    const text = await res.text();
    return { status: res.status, text, correlationId: res.headers.get('x-correlation-id'), retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    if (req.signal?.aborted) throw new PostError('aborted', `aborted: ${describe(req.signal.reason)}`, { cause: err });
    if (timedOut) throw new PostError('timeout', `no answer within ${req.timeoutMs} ms`, { cause: err });
    throw new PostError('network', describe(err), { cause: err });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
  }
}

export function postMeasurement(fetchImpl: FetchLike, req: PostRequest): Promise<HttpAnswer> {
  return apiRequest(fetchImpl, { ...req, path: measurementPath(req.cellInstanceId), method: 'POST' });
}

/** Overrides for HTTP_PROXY / HTTPS_PROXY / NO_PROXY; unset fields come from the environment. */
export interface ProxyOptions {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/**
 * undici's own fetch with an EnvHttpProxyAgent (HTTPS_PROXY/NO_PROXY honoured on Node 20, where the built-in
 * fetch ignores them). Injected into the uploader, never installed globally. close() releases pooled sockets.
 */
export function defaultFetch(proxy: ProxyOptions = {}): FetchLike & { close(): Promise<void> } {
  const dispatcher = new EnvHttpProxyAgent(proxy);
  const fetch: FetchLike = (url, init) => undiciFetch(url, { ...init, dispatcher });
  return Object.assign(fetch, { close: () => dispatcher.close() });
}

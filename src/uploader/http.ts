// One POST of a stored measurement body. No retry here: the durable retry loop lives in the outbox/uploader.
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';

/** The slice of fetch the uploader uses; undici's fetch and Node's global fetch both fit. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal; redirect: 'manual' },
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

export function measurementUrl(baseUrl: string, cellInstanceId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/cell_instances/${encodeURIComponent(cellInstanceId)}/cell_measurements/create`;
}

export async function postMeasurement(fetchImpl: FetchLike, req: PostRequest): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  try {
    const res = await fetchImpl(measurementUrl(req.baseUrl, req.cellInstanceId), {
      method: 'POST',
      headers: { 'X-API-Key': req.apiKey, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: req.body,
      signal,
      // A redirected POST would be replayed as a GET by fetch; let the classifier see the 3xx instead.
      redirect: 'manual',
    });
    // The deadline covers reading the body too.
    const text = await res.text();
    return { status: res.status, text, correlationId: res.headers.get('x-correlation-id'), retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    if (req.signal?.aborted) throw new PostError('aborted', `aborted: ${describe(req.signal.reason)}`, { cause: err });
    if (timeout.aborted) throw new PostError('timeout', `no answer within ${req.timeoutMs} ms`, { cause: err });
    throw new PostError('network', describe(err), { cause: err });
  }
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

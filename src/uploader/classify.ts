// What one answer means for its row. Pure: no clock, no I/O.
import type { AttemptOutcome } from '../queue/types.js';
import { PostError, type HttpAnswer } from './http.js';

export type Verdict =
  | { kind: 'delivered'; serverId: string | null; outcome: AttemptOutcome }
  /** `offline`: no answer at all (network error, timeout): the API may be unreachable, not just busy. */
  | { kind: 'retry'; reason: string; retryAfter: string | null; offline: boolean; outcome: AttemptOutcome }
  /** 401: the key is wrong or revoked; every row would fail the same way. */
  | { kind: 'auth'; reason: string; outcome: AttemptOutcome }
  /** 403: the key or this row? Only GET /users/me can tell. */
  | { kind: 'forbidden'; reason: string; outcome: AttemptOutcome }
  /** 409: a measurement with this name exists; only a lookup can tell whether it is this one. */
  | { kind: 'conflict'; reason: string; outcome: AttemptOutcome }
  /** `signature`: rows dead for the same signature in a row are one systemic problem (see breaker.ts). */
  | { kind: 'dead'; reason: string; signature: string; outcome: AttemptOutcome };

/** Transient answers (delivery.md section 4): worth the same body again later. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function serverIdOf(text: string): string | null {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' && id.length > 0 ? id : null;
  } catch {
    return null;
  }
}

/** "body.name: String should have at most 255 characters" for each FastAPI validation error, if it has that shape. */
export function validationSummary(text: string): string | null {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    if (typeof detail === 'string') return detail;
    if (!Array.isArray(detail)) return null;
    return detail
      .map((d: { loc?: unknown; msg?: unknown }) => `${Array.isArray(d.loc) ? d.loc.join('.') : '?'}: ${String(d.msg)}`)
      .join('; ');
  } catch {
    return null;
  }
}

/**
 * What makes two rejections "the same way": the status and the server's message. A 422 is compared by its
 * loc/msg summary (not the rejected input, which differs per row); other statuses by their whole body.
 */
export function failureSignature(status: number, text: string): string {
  return `HTTP ${status}: ${(status === 422 ? validationSummary(text) : null) ?? text.trim()}`;
}

export function classify(result: HttpAnswer | PostError): Verdict {
  if (result instanceof PostError) {
    return {
      kind: 'retry',
      reason: `${result.kind}: ${result.message}`,
      retryAfter: null,
      offline: result.kind !== 'aborted',
      outcome: { status: null, detail: result.message },
    };
  }
  const { status, text, correlationId } = result;
  // Keep the whole answer: for a dead letter it is the only record of why.
  const outcome: AttemptOutcome = { status, detail: text, correlationId };
  if (status >= 200 && status < 300) return { kind: 'delivered', serverId: serverIdOf(text), outcome };
  if (RETRY_STATUSES.has(status)) return { kind: 'retry', reason: `HTTP ${status}`, retryAfter: result.retryAfter, offline: false, outcome };
  const summary = validationSummary(text);
  const said = summary ? `: ${summary}` : '';
  if (status === 401) return { kind: 'auth', reason: `HTTP 401 the API key was refused${said}`, outcome };
  if (status === 403) return { kind: 'forbidden', reason: `HTTP 403 forbidden${said}`, outcome };
  if (status === 409) return { kind: 'conflict', reason: `HTTP 409 a measurement with this name exists${said}`, outcome };
  const why =
    status >= 400 && status < 500
      ? 'rejected by the API'
      : status >= 300 && status < 400
        ? 'redirected; a POST is not followed (check api.base_url)'
        : 'not a status the uploader knows to be transient';
  return { kind: 'dead', reason: `HTTP ${status} ${why}${said}`, signature: failureSignature(status, text), outcome };
}

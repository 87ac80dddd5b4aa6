// What one attempt's result means for its row. Pure: no clock, no I/O.
import type { AttemptOutcome } from '../queue/types.js';
import { PostError, type HttpAnswer } from './http.js';

export type Verdict =
  | { kind: 'delivered'; serverId: string | null; outcome: AttemptOutcome }
  | { kind: 'retry'; reason: string; retryAfter: string | null; outcome: AttemptOutcome }
  | { kind: 'dead'; reason: string; outcome: AttemptOutcome };

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
function validationSummary(text: string): string | null {
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

export function classify(result: HttpAnswer | PostError): Verdict {
  if (result instanceof PostError) {
    return { kind: 'retry', reason: `${result.kind}: ${result.message}`, retryAfter: null, outcome: { status: null, detail: result.message } };
  }
  const { status, text, correlationId } = result;
  // Keep the whole answer: for a dead letter it is the only record of why.
  const outcome: AttemptOutcome = { status, detail: text, correlationId };
  if (status >= 200 && status < 300) return { kind: 'delivered', serverId: serverIdOf(text), outcome };
  if (RETRY_STATUSES.has(status)) return { kind: 'retry', reason: `HTTP ${status}`, retryAfter: result.retryAfter, outcome };
  const summary = validationSummary(text);
  const why =
    status >= 400 && status < 500
      ? 'rejected by the API'
      : status >= 300 && status < 400
        ? 'redirected; a POST is not followed (check api.base_url)'
        : 'not a status the uploader knows to be transient';
  return { kind: 'dead', reason: `HTTP ${status} ${why}${summary ? `: ${summary}` : ''}`, outcome };
}

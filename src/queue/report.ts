// Plain-text views of outbox rows for the `queue` CLI. Pure functions: the caller supplies `now`.
import type { EditRecord } from './admin.js';
import type { AttemptRecord, OutboxRecord, OutboxRecordWithAttempts } from './types.js';

/** Compact age: 45s, 12m, 3h05m, 2d04h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Last status as shown in the table: the HTTP status, "unknown" for an attempt with no recorded outcome. */
function lastStatus(r: OutboxRecord): string {
  if (r.outcomeUnknown) return 'unknown';
  if (r.lastStatus !== null) return String(r.lastStatus);
  return r.lastError === null ? '-' : 'no answer';
}

export function renderTable(rows: readonly OutboxRecord[], now: number): string {
  const header = ['ID', 'STATE', 'CELL', 'NAME', 'ATTEMPTS', 'LAST', 'AGE'];
  const cells = rows.map((r) => [String(r.id), r.state, r.cellInstanceId, r.name, String(r.attempts), lastStatus(r), formatAge(now - r.createdAt)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  return `${[header, ...cells].map(line).join('\n')}\n`;
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body; // shown as stored: the bytes the API receives
  }
}

function indent(text: string, pad = '    '): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function renderAttempt(a: AttemptRecord): string {
  const outcome =
    a.finishedAt === null
      ? 'no outcome recorded (in flight, or the process stopped before the answer)'
      : `${a.status === null ? 'no answer' : `HTTP ${a.status}`} after ${a.finishedAt - a.startedAt} ms`;
  const lines = [`  #${a.attempt}  ${iso(a.startedAt)}  ${outcome}${a.correlationId ? `  (correlation ${a.correlationId})` : ''}`];
  if (a.detail !== null) lines.push(indent(a.detail));
  return lines.join('\n');
}

function renderEdit(e: EditRecord): string {
  const lines = [`  ${iso(e.editedAt)}`];
  if (e.oldCellInstanceId !== e.newCellInstanceId) lines.push(`    cell: ${e.oldCellInstanceId} -> ${e.newCellInstanceId}`);
  if (e.oldBody !== e.newBody) lines.push('    old body:', indent(prettyBody(e.oldBody), '      '));
  return lines.join('\n');
}

export function renderRow(r: OutboxRecordWithAttempts, edits: readonly EditRecord[], now: number): string {
  const field = (k: string, v: string) => `${`${k}:`.padEnd(14)}${v}`;
  const out = [
    `row ${r.id}  ${r.state}`,
    field('name', r.name),
    field('cell', r.cellInstanceId),
    field('station', r.station),
    field('created', `${iso(r.createdAt)} (${formatAge(now - r.createdAt)} ago)`),
    field('attempts', `${r.attempts} (${r.attemptsSinceRequeue} since last re-queue)`),
  ];
  if (r.state === 'pending') out.push(field('next attempt', iso(r.nextAttemptAt)));
  if (r.outcomeUnknown) out.push(field('outcome', 'UNKNOWN for the last attempt: it will be checked on the server before resending'));
  if (r.lastStatus !== null) out.push(field('last status', String(r.lastStatus)));
  if (r.deadReason !== null) out.push(field('dead reason', r.deadReason));
  if (r.serverId !== null) out.push(field('server id', r.serverId));
  if (r.finishedAt !== null) out.push(field('finished', iso(r.finishedAt)));
  if (r.lastError !== null) out.push('last error:', indent(r.lastError));
  out.push('body:', indent(prettyBody(r.body)));
  out.push(`attempt log (${r.attemptLog.length}):`, ...r.attemptLog.map(renderAttempt));
  out.push(`edits (${edits.length}):`, ...edits.map(renderEdit));
  return `${out.join('\n')}\n`;
}

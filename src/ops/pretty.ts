// Human-readable log lines for a person running the daemon in a terminal. journald gets the JSON unchanged;
// this only reformats pino's output line by line, so nothing is lost: every field is still printed.
import type { DestinationStream } from 'pino';

const LEVEL_COLOURS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[41m\x1b[97m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Shown in the line's head, or dropped as noise in a terminal (host and pid are the same on every line). */
const HEAD_FIELDS = new Set(['time', 'level', 'event', 'msg', 'host', 'hostname', 'pid']);

/**
 * `12:04:05.123 WARN  device.disconnected  device disconnected  device=balance1 path=/dev/ttyUSB1`, then an
 * error's stack indented below. A line that is not JSON is passed through as it is.
 */
export function formatPretty(line: string, opts: { colour?: boolean } = {}): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const colour = opts.colour ?? false;
  const level = String(rec.level ?? '');
  const time = localTime(rec.time);
  const levelText = level.toUpperCase().padEnd(5);
  const head = [
    colour ? `${DIM}${time}${RESET}` : time,
    colour ? `${LEVEL_COLOURS[level] ?? ''}${levelText}${RESET}` : levelText,
    ...(rec.event === undefined ? [] : [String(rec.event)]),
    ...(rec.msg === undefined ? [] : [String(rec.msg)]),
  ].join(' ');
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [k, v] of Object.entries(rec)) {
    if (HEAD_FIELDS.has(k) || v === undefined) continue;
    if (k === 'err' && isObject(v) && typeof v.stack === 'string') {
      stack = v.stack;
      fields.push(`err=${fieldValue(v.message ?? v.type)}`);
    } else fields.push(`${k}=${fieldValue(v)}`);
  }
  const tail = fields.length > 0 ? `  ${colour ? DIM : ''}${fields.join(' ')}${colour ? RESET : ''}` : '';
  const stackText = stack === undefined ? '' : `\n${stack.replace(/^/gm, '    ')}`;
  return `${head}${tail}${stackText}\n`;
}

/** A pino destination that writes `formatPretty` lines to `out` (normally process.stdout). */
export function prettyDestination(out: { write(s: string): unknown }, opts: { colour?: boolean } = {}): DestinationStream {
  return { write: (s: string) => void out.write(formatPretty(s.endsWith('\n') ? s.slice(0, -1) : s, opts)) };
}

/** HH:MM:SS.mmm in the terminal's time zone (the JSON keeps the full UTC timestamp). */
function localTime(t: unknown): string {
  const d = new Date(typeof t === 'string' || typeof t === 'number' ? t : Number.NaN);
  if (Number.isNaN(d.getTime())) return '--:--:--.---';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Bare text when it reads unambiguously, JSON otherwise (spaces, quotes, '=', objects, empty). */
function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"'=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// pino JSON to stdout (journald keeps it). Every event has a stable `event` name; secrets are redacted.
import { pino, type Logger, type DestinationStream } from 'pino';
import { hostname } from 'node:os';
import { prettyDestination } from './pretty.js';

export type { Logger };

export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'headers["x-api-key"]',
  'headers["X-API-Key"]',
  '*.headers["x-api-key"]',
  '*.headers["X-API-Key"]',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
  'access_token',
  '*.access_token',
];

/** Ionworks API keys start with iwk_: a key-shaped value is censored wherever it appears, even inside a message. */
const KEY_SHAPE = /iwk_[A-Za-z0-9_-]+/g;
/** Shorter "secrets" would censor ordinary words; real keys and tokens are far longer. */
const MIN_SECRET_LENGTH = 8;

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  /** Human-readable lines instead of JSON (a person at a terminal); ignored when `destination` is given. */
  pretty?: boolean;
  /**
   * The live secrets (API key, access token), read on every line: any occurrence is censored, as a backstop for
   * a key that reached a log in a shape REDACT_PATHS does not name (an error message, a URL, a nested object).
   */
  secrets?: () => readonly (string | undefined)[];
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = opts.secrets;
  return pino(
    {
      level: opts.level ?? 'info',
      base: { host: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => censorSecrets(line, secrets?.() ?? []) },
    },
    opts.destination ?? (opts.pretty ? prettyDestination(process.stdout, { colour: true }) : pino.destination({ fd: 1, sync: true })),
  );
}

/** `line` with key-shaped values and each given secret replaced by [redacted]. */
export function censorSecrets(line: string, secrets: readonly (string | undefined)[]): string {
  let out = line.replace(KEY_SHAPE, '[redacted]');
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue;
    // In a JSON line a quote or backslash in the secret appears escaped.
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

/** A logger that drops everything, for unit tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

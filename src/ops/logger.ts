// pino JSON to stdout (journald keeps it). Every event has a stable `event` name; secrets are redacted.
import { pino, type Logger, type DestinationStream } from 'pino';
import { hostname } from 'node:os';

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
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { host: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A logger that drops everything, for unit tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

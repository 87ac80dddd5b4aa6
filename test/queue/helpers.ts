// Shared fixtures for the outbox tests: real SQLite files in a throwaway directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger, silentLogger, type Logger } from '../../src/ops/logger.js';
import { Outbox } from '../../src/queue/outbox.js';
import type { NewMeasurement } from '../../src/queue/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ionworks-queue-'));
  dirs.push(d);
  return d;
}

export function measurement(n: number, createdAt: number, overrides: Partial<NewMeasurement> = {}): NewMeasurement {
  return {
    cellInstanceId: `cell-${n}`,
    name: `bench1-CELL${n}-${createdAt}`,
    body: JSON.stringify({ name: `bench1-CELL${n}-${createdAt}`, properties: { mass: { value: '12.345', unit: 'g' } } }),
    station: 'bench1',
    createdAt,
    ...overrides,
  };
}

/** A logger whose JSON lines land in `lines`, for asserting on events. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

export function openOutbox(
  path: string,
  clock = new FakeClock(),
  extra: { readonly?: boolean; logger?: Logger } = {},
): { outbox: Outbox; clock: FakeClock } {
  const outbox = new Outbox({ path, clock, logger: extra.logger ?? silentLogger(), readonly: extra.readonly });
  outbox.open();
  return { outbox, clock };
}

/** Saves a row and takes it through one attempt to the given state, finishing at `at`. */
export function rowIn(
  outbox: Outbox,
  n: number,
  state: 'pending' | 'dead' | 'delivered',
  at: number,
): { id: number; name: string } {
  const m = measurement(n, at);
  const { id } = outbox.save(m);
  if (state !== 'pending') {
    outbox.beginAttempt(id, at);
    if (state === 'dead') outbox.recordDead(id, at, { status: 422, detail: '{"detail":"bad unit"}', reason: 'rejected: 422' });
    else outbox.recordDelivered(id, at, { status: 201, detail: null, serverId: `srv-${n}` });
  }
  return { id, name: m.name };
}

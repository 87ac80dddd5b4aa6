// Shared test helpers for the devices layer: log capture and bounded, event-driven waits.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Reading } from '../../src/core/types.js';
import type { Device, DeviceStatus } from '../../src/devices/device.js';

export interface LogLine {
  event?: string;
  level: number;
  [k: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[]; events: (name: string) => LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines, events: (name) => lines.filter((l) => l.event === name) };
}

/** Resolves with the first value `next` produces from an event, or rejects after `ms` naming what it waited for. */
export function waitFor<T>(
  what: string,
  subscribe: (fn: (value: T) => void) => () => void,
  accept: (value: T) => boolean = () => true,
  ms = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const off = subscribe((value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** The next reading from `device` that `accept` takes. */
export function nextReading(device: Device, what: string, accept: (r: Reading) => boolean = () => true, ms = 5_000): Promise<Reading> {
  return waitFor(
    what,
    (fn) => {
      device.on('reading', fn);
      return () => device.off('reading', fn);
    },
    accept,
    ms,
  );
}

export function waitForState(device: Device, state: DeviceStatus['state'], ms = 5_000): Promise<DeviceStatus> {
  if (device.status().state === state) return Promise.resolve(device.status());
  return waitFor(
    `${device.id} ${state}`,
    (fn) => {
      device.on('status', fn);
      return () => device.off('status', fn);
    },
    (s) => s.state === state,
    ms,
  );
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'iw-devices-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

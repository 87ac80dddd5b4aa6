import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger } from '../../src/ops/logger.js';
import type { StationConfig } from '../../src/config/schema.js';
import type { Reading } from '../../src/core/types.js';
import { Station, type BuiltMeasurement } from '../../src/station/station.js';

export interface LogLine {
  level: string;
  event?: string;
  [k: string]: unknown;
}

export const benchConfig: StationConfig = {
  scanner: 'scanner1',
  cell_pattern: '^CELL-[0-9]{4}$',
  properties: {
    mass: { device: 'balance1', unit: 'g', min_load: 1 },
    thickness: { device: 'gauge1', unit: 'mm' },
  },
};

/** A station on a FakeClock with a recording logger and an in-memory save that can be told to fail. */
export function makeStation(config: StationConfig = benchConfig) {
  const clock = new FakeClock();
  const logs: LogLine[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) } });
  const saved: BuiltMeasurement[] = [];
  const failure: { error: Error | null } = { error: null };
  const station = new Station({
    id: 'bench1',
    config,
    lab: 'Cell Lab North',
    version: '0.1.0',
    clock,
    logger,
    save: (m) => {
      if (failure.error) throw failure.error;
      saved.push(m);
      logs.push({ level: 'test', event: 'test.save_returned', name: m.name });
      return { id: saved.length };
    },
  });
  const scan = (code: string) => station.handleScan({ device: 'scanner1', code, at: clock.now() });
  const mass = (value: string, stable = true) => station.handleReading(reading('balance1', 'mass', value, 'g', stable, clock.now()));
  const thickness = (value: string, unit = 'mm') => station.handleReading(reading('gauge1', 'thickness', value, unit, true, clock.now()));
  const events = (name: string) => logs.filter((l) => l.event === name);
  return { clock, logs, saved, failure, station, scan, mass, thickness, events };
}

export function reading(device: string, quantity: string, value: string, unit: string, stable: boolean, at: number): Reading {
  return { device, quantity, value, unit, stable, raw: `${stable ? 'S S' : 'S D'} ${value} ${unit}`, at };
}

import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger } from '../../src/ops/logger.js';
import { stationSchema, type StationConfig } from '../../src/config/schema.js';
import type { z } from 'zod';
import type { Reading } from '../../src/core/types.js';
import { Station, type BuiltMeasurement, type StationOptions } from '../../src/station/station.js';
import type { MeasurementTrace } from '../../src/station/trace-store.js';

export interface LogLine {
  level: string;
  event?: string;
  [k: string]: unknown;
}

export type StationInput = z.input<typeof stationSchema>;

export const benchConfig: StationInput = {
  scanner: 'scanner1',
  cell_pattern: '^CELL-[0-9]{4}$',
  properties: {
    mass: { device: 'balance1', unit: 'g', min_load: 1 },
    thickness: { device: 'gauge1', unit: 'mm' },
  },
};

/** A station on a FakeClock with a recording logger and an in-memory save that can be told to fail. */
export function makeStation(input: StationInput = benchConfig, extra: Partial<StationOptions> = {}) {
  const config: StationConfig = stationSchema.parse(input);
  const clock = new FakeClock();
  const logs: LogLine[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) } });
  const saved: BuiltMeasurement[] = [];
  const traces: MeasurementTrace[] = [];
  const failure: { error: Error | null } = { error: null };
  const station = new Station({
    id: 'bench1',
    config,
    lab: 'Cell Lab North',
    version: '0.1.0',
    clock,
    timers: clock,
    logger,
    uuid: () => '00000000-0000-4000-8000-000000000001',
    ...extra,
    save: (m, trace) => {
      if (failure.error) throw failure.error;
      saved.push(m);
      traces.push(trace);
      logs.push({ level: 'test', event: 'test.save_returned', name: m.name });
      return { id: saved.length };
    },
  });
  const scan = (code: string) => station.handleScan({ device: 'scanner1', code, at: clock.now() });
  const mass = (value: string, stable = true) => station.handleReading(reading('balance1', 'mass', value, 'g', stable, clock.now()));
  const thickness = (value: string, unit = 'mm') => station.handleReading(reading('gauge1', 'thickness', value, unit, true, clock.now()));
  const events = (name: string) => logs.filter((l) => l.event === name);
  const body = (i = -1) => JSON.parse(saved.at(i)!.body) as Record<string, any>;
  return { clock, logs, saved, traces, failure, station, scan, mass, thickness, events, body };
}

export function reading(device: string, quantity: string, value: string, unit: string, stable: boolean, at: number): Reading {
  return { device, quantity, value, unit, stable, raw: `${stable ? 'S S' : 'S D'} ${value} ${unit}`, at };
}

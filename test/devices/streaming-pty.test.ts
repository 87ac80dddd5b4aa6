// The streaming devices (scanner, Digimatic gauge) against their simulators over real PTYs.
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import type { Reading, Scan } from '../../src/core/types.js';
import { deviceSchema } from '../../src/config/schema.js';
import { createDevice } from '../../src/devices/index.js';
import type { Device } from '../../src/devices/device.js';
import { DigimaticSimulator } from '../../src/devices/mitutoyo/simulator.js';
import { ScannerSimulator } from '../../src/devices/scanner/simulator.js';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { captureLogger, waitFor, waitForState } from './helpers.js';

async function attach(kind: 'scanner' | 'mitutoyo', extra: Record<string, unknown> = {}) {
  const pty = await openPty();
  const log = captureLogger();
  const cfg = deviceSchema.parse({ kind, port: { path: pty.path }, reconnect: { initial_ms: 50, max_ms: 200 }, ...extra });
  const device = createDevice(kind === 'scanner' ? 'scanner1' : 'gauge1', cfg, { clock: systemClock, timers: systemTimers, logger: log.logger });
  await device.start();
  await waitForState(device, 'connected');
  return { pty, device, log };
}

/** Gathers values from `subscribe` until `count` arrived (bounded wait). */
function collect<T>(what: string, subscribe: (fn: (v: T) => void) => () => void, count: number) {
  const got: T[] = [];
  const done = waitFor(what, (fn: (v: T) => void) => subscribe((v) => (got.push(v), fn(v))), () => got.length >= count);
  return { got, done };
}

const scans = (device: Device) => (fn: (s: Scan) => void) => (device.on('scan', fn), () => device.off('scan', fn));
const readings = (device: Device) => (fn: (r: Reading) => void) => (device.on('reading', fn), () => device.off('reading', fn));

async function teardown(device: Device, pty: PtyPair) {
  await device.stop();
  await pty.close();
}

describe('SerialScanner over a real PTY', () => {
  it('emits one scan per code whatever the suffix, and drops control-character noise', async () => {
    const { pty, device, log } = await attach('scanner');
    try {
      const sim = new ScannerSimulator(pty);
      const { got, done } = collect('3 scans', scans(device), 3);
      sim.scan('CELL-0001', '\r');
      pty.write('\u0002\u0003\r\n'); // line noise between codes
      sim.scan('CELL-0002', '\n');
      sim.scan('CELL-0003');
      await done;
      expect(got.map((s) => s.code)).toEqual(['CELL-0001', 'CELL-0002', 'CELL-0003']);
      expect(got[0]).toMatchObject({ device: 'scanner1' });
      expect(log.events('frame.dropped')).toHaveLength(1);
    } finally {
      await teardown(device, pty);
    }
  });
});

describe('DigimaticGauge over a real PTY', () => {
  it('emits stable thickness readings in the configured unit', async () => {
    const { pty, device } = await attach('mitutoyo', { unit: 'mm' });
    try {
      const sim = new DigimaticSimulator(pty);
      const { got, done } = collect('2 readings', readings(device), 2);
      sim.send('0.523');
      pty.write('01A+00\r'); // a truncated line is garbage, not a reading
      sim.send('-1.2340', 2);
      await done;
      expect(got[0]).toMatchObject({ device: 'gauge1', quantity: 'thickness', value: '0.523', unit: 'mm', stable: true, raw: '01A+0000.523' });
      expect(got[1]).toMatchObject({ value: '-1.2340', raw: '02A-001.2340' });
    } finally {
      await teardown(device, pty);
    }
  });
});

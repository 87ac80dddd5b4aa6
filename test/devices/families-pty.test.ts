// Every line-instrument family: the generic driver against that family's simulator over a real kernel PTY,
// in poll mode (identity at connect, settling then stable readings) and stream mode (PRINT key lines).
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import type { Reading } from '../../src/core/types.js';
import { deviceSchema } from '../../src/config/schema.js';
import type { Device } from '../../src/devices/device.js';
import { lineSpec, type LineDeviceConfig, type LineKind } from '../../src/devices/families.js';
import { createDevice } from '../../src/devices/index.js';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { createSimulator, type InstrumentSimulator } from '../../src/devices/simulators.js';
import { captureLogger, nextReading, waitFor, waitForState } from './helpers.js';

interface Case {
  kind: LineKind;
  /** Value put on the simulated instrument, and the reading it must come back as. */
  load: string;
  want: Partial<Reading>;
  /** Whether the family flags settling readings as unstable (gauges and testers have no flag). */
  flagsUnstable: boolean;
  identity?: { model?: string; serial?: string };
  extra?: Record<string, unknown>;
}

const GENERIC = {
  pattern: '^(?<stable>[SU]) (?<value>[+-]?\\d+\\.\\d+) (?<unit>mm|in)$',
  stable_when: 'S',
  quantity: 'thickness',
};

const cases: Case[] = [
  { kind: 'mtsics', load: '100.00', want: { quantity: 'mass', value: '100.00', unit: 'g' }, flagsUnstable: true, identity: { serial: 'B207696838' } },
  { kind: 'sartorius', load: '12.34', want: { quantity: 'mass', value: '12.34', unit: 'g' }, flagsUnstable: true, identity: { model: 'MSE1203S-100-DR', serial: '0031801165' } },
  { kind: 'and', load: '123.45', want: { quantity: 'mass', value: '123.45', unit: 'g' }, flagsUnstable: true },
  { kind: 'ohaus', load: '192.21', want: { quantity: 'mass', value: '192.21', unit: 'g' }, flagsUnstable: true },
  { kind: 'kern', load: '100.00', want: { quantity: 'mass', value: '100.00', unit: 'g' }, flagsUnstable: true, identity: { serial: 'B207696838' } },
  { kind: 'radwag', load: '0.1234', want: { quantity: 'mass', value: '0.1234', unit: 'g' }, flagsUnstable: true },
  { kind: 'hioki', load: '0.0013600', want: { quantity: 'resistance', value: '0.0013600', unit: 'Ohm' }, flagsUnstable: false, identity: { model: 'BT3562' } },
  { kind: 'sylvac', load: '12.345', want: { quantity: 'thickness', value: '12.345', unit: 'mm' }, flagsUnstable: false },
  { kind: 'mahr', load: '12.345', want: { quantity: 'thickness', value: '12.345', unit: 'mm' }, flagsUnstable: false, identity: { model: 'C1208' } },
  { kind: 'metro', load: '1.250000', want: { quantity: 'thickness', value: '1.250000', unit: 'mm' }, flagsUnstable: false },
  { kind: 'adept', load: '13.67', want: { quantity: 'thickness', value: '13.67', unit: 'mm' }, flagsUnstable: false },
  { kind: 'generic', load: '1.250', want: { quantity: 'thickness', value: '1.250', unit: 'mm' }, flagsUnstable: true, extra: { ...GENERIC, mode: 'poll', request: 'R\r\n' } },
];

async function attach(c: Case, extra: Record<string, unknown>) {
  const pty = await openPty();
  const sim = createSimulator(c.kind, pty);
  sim.start();
  const log = captureLogger();
  const cfg = deviceSchema.parse({
    kind: c.kind,
    port: { path: pty.path },
    poll_ms: c.kind === 'kern' ? 101 : 50,
    reply_timeout_ms: 300,
    reconnect: { initial_ms: 50, max_ms: 200 },
    ...c.extra,
    ...extra,
  });
  const device = createDevice(`${c.kind}1`, cfg, { clock: systemClock, timers: systemTimers, logger: log.logger });
  const readings: Reading[] = [];
  device.on('reading', (r) => readings.push(r));
  return { pty, sim, device, readings, log };
}

async function teardown(device: Device, sim: InstrumentSimulator, pty: PtyPair) {
  await device.stop();
  sim.stop();
  await pty.close();
}

describe.each(cases)('$kind over a real PTY', (c) => {
  it('poll mode: reads identity at connect, then settling and stable readings', async () => {
    const { pty, sim, device, readings } = await attach(c, {});
    try {
      await device.start();
      await waitForState(device, 'connected');
      await nextReading(device, 'a first reading', () => true);
      await expect.poll(() => device.status().identity, { timeout: 3_000 }).toEqual(c.identity);

      const from = readings.length;
      sim.load(c.load, 2);
      const got = await nextReading(device, `${c.load} stable`, (r) => r.value === c.want.value && r.quantity === c.want.quantity);
      expect(got).toMatchObject({ ...c.want, stable: true, device: `${c.kind}1` });
      // The two readings before it were the instrument settling: flagged unstable where the protocol can say so.
      const settling = readings.slice(from).filter((r) => r.quantity === c.want.quantity).slice(0, 2);
      expect(settling).toHaveLength(2);
      for (const r of settling) {
        expect(r.value).not.toBe(c.want.value);
        expect(r.stable).toBe(!c.flagsUnstable);
      }
    } finally {
      await teardown(device, sim, pty);
    }
  });

  it('stream mode: takes the line the instrument sends when PRINT is pressed, polls nothing', async () => {
    const { pty, sim, device } = await attach(c, { mode: 'stream', ...(c.kind === 'generic' ? { request: undefined } : {}) });
    const sent: string[] = [];
    pty.on('data', (chunk) => sent.push(chunk.toString('latin1')));
    try {
      await device.start();
      await waitForState(device, 'connected');
      sim.load(c.load, 0);
      const got = nextReading(device, 'the printed reading', (r) => r.quantity === c.want.quantity);
      sim.press();
      expect(await got).toMatchObject({ ...c.want, stable: true });
      // Only the identity queries went out, once each: nothing is polled in stream mode.
      const queries = lineSpec(deviceSchema.parse({ kind: c.kind, port: { path: 'x' }, ...c.extra }) as LineDeviceConfig).identity;
      const expected = queries.map((q) => q.command).join('');
      if (sent.join('') !== expected) await waitFor('identity queries', (fn: (chunk: Buffer) => void) => (pty.on('data', fn), () => pty.off('data', fn)), () => sent.join('').length >= expected.length);
      expect(sent.join('')).toBe(expected);
      await expect.poll(() => device.status().identity, { timeout: 3_000 }).toEqual(c.identity);
    } finally {
      await teardown(device, sim, pty);
    }
  });
});

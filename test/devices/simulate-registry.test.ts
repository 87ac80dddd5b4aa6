// The one simulator registry behind `ionworks-edge simulate`: every protocol has an entry, and every line family's
// entry, driven by the same commands a bench user types, is read by the daemon's own driver over a real PTY.
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import type { Reading } from '../../src/core/types.js';
import { deviceSchema } from '../../src/config/schema.js';
import { LINE_KINDS, type LineKind } from '../../src/devices/families.js';
import { LAYOUTS } from '../../src/devices/hid/keymap.js';
import { createDevice } from '../../src/devices/index.js';
import { PROTOCOL_NAMES, SIMULATORS } from '../../src/devices/protocols.js';
import { openPty } from '../../src/devices/pty.js';
import { captureLogger, waitFor, waitForState } from './helpers.js';

/** What `send <value>` must come back as; settings a family needs beyond its defaults. */
const SENT: Record<LineKind, { value: string; want: Partial<Reading>; extra?: Record<string, unknown> }> = {
  mtsics: { value: '12.345', want: { quantity: 'mass', unit: 'g' } },
  kern: { value: '12.345', want: { quantity: 'mass', unit: 'g' } },
  sartorius: { value: '12.34', want: { quantity: 'mass', unit: 'g' } },
  and: { value: '123.45', want: { quantity: 'mass', unit: 'g' } },
  ohaus: { value: '192.21', want: { quantity: 'mass', unit: 'g' } },
  radwag: { value: '0.1234', want: { quantity: 'mass', unit: 'g' } },
  hioki: { value: '0.0013600', want: { quantity: 'resistance', unit: 'Ohm' } },
  sylvac: { value: '-0.020', want: { quantity: 'thickness', unit: 'mm' } },
  mahr: { value: '12.345', want: { quantity: 'thickness', unit: 'mm' } },
  metro: { value: '1.250000', want: { quantity: 'thickness', unit: 'mm' } },
  adept: { value: '13.67', want: { quantity: 'thickness', unit: 'mm' } },
  mitutoyo: { value: '0.523', want: { quantity: 'thickness', unit: 'mm' } },
  generic: {
    value: '1.250',
    want: { quantity: 'thickness', unit: 'mm' },
    extra: { pattern: '^(?<stable>[SU]) (?<value>[+-]?\\d+\\.\\d+) (?<unit>mm|in)$', stable_when: 'S', quantity: 'thickness' },
  },
};

describe('simulator registry', () => {
  it('has a simulator for every protocol the config schema knows', () => {
    expect(Object.keys(SIMULATORS).sort()).toEqual([...PROTOCOL_NAMES].sort());
  });

  it.each([...LINE_KINDS])('%s: `send <value>` reaches the driver as a stable reading; unknown commands are refused', async (kind) => {
    const c = SENT[kind];
    const pty = await openPty();
    const sim = SIMULATORS[kind].create(pty, { layout: LAYOUTS.us });
    const cfg = deviceSchema.parse({ kind, port: { path: pty.path }, mode: 'stream', reconnect: { initial_ms: 50, max_ms: 200 }, ...c.extra });
    const device = createDevice(`${kind}1`, cfg, { clock: systemClock, timers: systemTimers, logger: captureLogger().logger });
    try {
      await device.start();
      await waitForState(device, 'connected');
      const got = waitFor<Reading>('the sent reading', (fn) => (device.on('reading', fn), () => device.off('reading', fn)), (r) => r.quantity === c.want.quantity);
      expect(sim.command(`send ${c.value}`)).toBeUndefined();
      expect(await got).toMatchObject({ ...c.want, value: c.value, stable: true });
      expect(sim.command('weigh it')).toMatch(/^not understood: "weigh it" \(try: load <value> \| unload \| send <value>/);
      expect(sim.command('load 1.2.3')).toMatch(/^not understood/);
    } finally {
      await device.stop();
      sim.stop();
      await pty.close();
    }
  });
});

// The line-instrument driver over real PTYs when things go wrong: the port's by-id-style symlink disappears and
// comes back (unplug/replug), and an instrument that stops answering while polled.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { autoDetect, type BindingInterface } from '@serialport/bindings-cpp';
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import { deviceSchema } from '../../src/config/schema.js';
import { createDevice } from '../../src/devices/index.js';
import { LineSimulator } from '../../src/devices/line-simulator.js';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { SIM_PROFILES } from '../../src/devices/simulators.js';
import { captureLogger, nextReading, waitFor, waitForState, withTempDir } from './helpers.js';

/** The real binding, announcing each open attempt so a test can wait for reopen attempts instead of sleeping. */
function countingBinding() {
  const real: BindingInterface = autoDetect();
  const opens = new EventEmitter<{ open: [] }>();
  const binding: BindingInterface = { list: () => real.list(), open: (o) => (opens.emit('open'), real.open(o)) };
  const attempts = (n: number) => {
    let seen = 0;
    return waitFor<void>(
      'reopen attempts',
      (fn) => {
        const onOpen = () => fn();
        opens.on('open', onOpen);
        return () => void opens.off('open', onOpen);
      },
      () => ++seen >= n,
    );
  };
  return { binding, attempts };
}

describe('line instruments over real PTYs', () => {
  it('generic device, stream mode: unplug shows disconnected once, and replug at the same link reconnects by itself', async () => {
    await withTempDir(async (dir) => {
      const link = join(dir, 'usb-Generic_Gauge-if00');
      let pty: PtyPair = await openPty({ link });
      const { binding, attempts } = countingBinding();
      const log = captureLogger();
      const cfg = deviceSchema.parse({
        kind: 'generic',
        port: { path: link },
        pattern: '^(?<stable>[SU]) (?<value>[+-]?\\d+\\.\\d+) (?<unit>mm)$',
        stable_when: 'S',
        quantity: 'thickness',
        reconnect: { initial_ms: 20, max_ms: 50 },
      });
      const device = createDevice('gauge2', cfg, { clock: systemClock, timers: systemTimers, logger: log.logger, binding });
      try {
        await device.start();
        await waitForState(device, 'connected');
        let sim = new LineSimulator(pty, SIM_PROFILES.generic);
        sim.load('1.250', 0);
        const first = nextReading(device, 'a printed reading');
        sim.press();
        expect(await first).toMatchObject({ value: '1.250', unit: 'mm', stable: true });

        await pty.close(); // kills the PTY and removes the link, like a USB adapter pulled out
        await waitForState(device, 'disconnected');
        expect(device.status().lastError).toMatch(/disappeared \(unplugged\?\)/);
        await attempts(3); // reopening fails while the link is gone...
        expect(log.events('device.disconnected')).toHaveLength(1); // ...quietly

        pty = await openPty({ link });
        sim = new LineSimulator(pty, SIM_PROFILES.generic);
        sim.load('-0.500', 0);
        await waitForState(device, 'connected');
        const second = nextReading(device, 'a reading from the replugged gauge');
        sim.press();
        expect(await second).toMatchObject({ value: '-0.500', stable: true });
        expect(log.events('device.disconnected')).toHaveLength(1);
        expect(log.events('device.connected')).toHaveLength(2);
      } finally {
        await device.stop();
        await pty.close();
      }
    });
  });

  it('Sylvac, poll mode: a gauge that stops answering is reported once, its port recreated, and it comes back', async () => {
    const pty = await openPty();
    const sim = new LineSimulator(pty, SIM_PROFILES.sylvac);
    sim.start();
    const { binding, attempts } = countingBinding();
    const log = captureLogger();
    const cfg = deviceSchema.parse({ kind: 'sylvac', port: { path: pty.path }, poll_ms: 50, reply_timeout_ms: 100, max_missed_replies: 2, reconnect: { initial_ms: 20, max_ms: 50 } });
    const device = createDevice('caliper1', cfg, { clock: systemClock, timers: systemTimers, logger: log.logger, binding });
    try {
      await device.start();
      await waitForState(device, 'connected');
      sim.mute(true);
      await waitForState(device, 'disconnected');
      expect(device.status().lastError).toMatch(/no reply to 2 polls in a row/);
      await attempts(2); // recreated twice, still silent: still one log line
      expect(device.status().state).toBe('disconnected');
      expect(log.events('device.disconnected')).toHaveLength(1);

      sim.mute(false);
      await waitForState(device, 'connected');
      expect(await nextReading(device, 'a reading after recovery')).toMatchObject({ quantity: 'thickness', unit: 'mm' });
      expect(log.events('device.connected')).toHaveLength(2);
      // A PTY has no modem lines: the DTR/RTS failure is said once, not at every reopen.
      expect(log.events('device.lines_failed').length).toBeLessThanOrEqual(1);
    } finally {
      await device.stop();
      sim.stop();
      await pty.close();
    }
  });
});

// MtSicsBalance against MtSicsSimulator over a real kernel PTY with the real serialport binding.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../src/core/clock.js';
import type { Reading } from '../../src/core/types.js';
import { mtsicsDeviceSchema } from '../../src/config/schema.js';
import { createDevice } from '../../src/devices/index.js';
import { MtSicsSimulator } from '../../src/devices/mtsics/simulator.js';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { captureLogger, nextReading, waitFor, waitForState, withTempDir } from './helpers.js';

function balanceConfig(path: string) {
  return mtsicsDeviceSchema.parse({
    kind: 'mtsics',
    port: { path },
    poll_ms: 50,
    reply_timeout_ms: 100,
    max_missed_replies: 3,
    reconnect: { initial_ms: 50, max_ms: 200 },
  });
}

async function bench(dir: string) {
  const link = join(dir, 'ttyBalance');
  const pty = await openPty({ link });
  const sim = new MtSicsSimulator(pty);
  sim.start();
  const log = captureLogger();
  const device = createDevice('balance1', balanceConfig(link), { clock: systemClock, timers: systemTimers, logger: log.logger });
  const readings: Reading[] = [];
  device.on('reading', (r) => readings.push(r));
  return { link, pty, sim, log, device, readings };
}

/** Resolves when the simulator side has received `command` `times` more times. */
function commandsSeen(pty: PtyPair, command: string, times: number): Promise<void> {
  let seen = 0;
  return waitFor(
    `${times} x ${command}`,
    (fn: (chunk: Buffer) => void) => {
      pty.on('data', fn);
      return () => pty.off('data', fn);
    },
    (chunk) => (seen += chunk.toString('latin1').split(`${command}\r\n`).length - 1) >= times,
  ).then(() => undefined);
}

describe('MtSicsBalance over a real PTY', () => {
  it('reads identity, streams readings, and marks S D frames unstable', async () => {
    await withTempDir(async (dir) => {
      const { pty, sim, device, readings } = await bench(dir);
      try {
        await device.start();
        await waitForState(device, 'connected');
        expect(device.status().identity).toEqual({ serial: 'B207696838' });
        await nextReading(device, 'empty pan', (r) => r.stable && r.value === '0.000');

        const from = readings.length;
        sim.load('100.00', 2);
        const stable = await nextReading(device, 'stable 100.00 g', (r) => r.stable && r.value === '100.00');
        expect(stable).toMatchObject({ device: 'balance1', quantity: 'mass', unit: 'g', stable: true });
        expect(stable.raw).toMatch(/^S S +100\.00 g$/);
        expect(typeof stable.at).toBe('number');
        const settling = readings.slice(from).filter((r) => !r.stable);
        expect(settling).toHaveLength(2);
        for (const r of settling) expect(r.value).not.toBe('100.00');
        expect(device.status().lastDataAt).toBeGreaterThanOrEqual(stable.at);
      } finally {
        await device.stop();
        await pty.close();
      }
    });
  });

  it('reports a muted balance as disconnected once, recreates the port, and recovers when it answers again', async () => {
    await withTempDir(async (dir) => {
      const { pty, sim, device, log } = await bench(dir);
      try {
        await device.start();
        await waitForState(device, 'connected');
        sim.mute(true);
        await waitForState(device, 'disconnected');
        expect(device.status().lastError).toMatch(/no reply to 3 polls in a row/);
        // Each recreated port starts with I4: wait for two more full give-up-and-reopen cycles.
        await commandsSeen(pty, 'I4', 2);
        expect(device.status().state).toBe('disconnected');

        sim.mute(false);
        await waitForState(device, 'connected');
        await nextReading(device, 'a reading after recovery', () => true);
        expect(log.events('device.disconnected')).toHaveLength(1);
        expect(log.events('device.connected')).toHaveLength(2);
        // The reconnect line closes the outage: how long it lasted.
        expect(log.events('device.connected')[1]!.down_ms).toBeGreaterThan(0);
      } finally {
        await device.stop();
        await pty.close();
      }
    });
  });

  it('goes disconnected with one log line when the PTY is unplugged, and comes back on a fresh PTY at the same path', async () => {
    await withTempDir(async (dir) => {
      const { link, pty, device, log } = await bench(dir);
      let replug: PtyPair | undefined;
      try {
        await device.start();
        await waitForState(device, 'connected');
        await pty.close();
        await waitForState(device, 'disconnected');
        expect(device.status().lastError).toMatch(/disappeared \(unplugged\?\)/);

        replug = await openPty({ link });
        new MtSicsSimulator(replug).start();
        await waitForState(device, 'connected');
        await nextReading(device, 'a reading from the new PTY', () => true);

        const down = log.events('device.disconnected');
        expect(down).toHaveLength(1);
        expect(down[0]).toMatchObject({ device: 'balance1', path: link });
        expect(log.events('device.connected')).toHaveLength(2);
      } finally {
        await device.stop();
        await replug?.close();
      }
    });
  });
});

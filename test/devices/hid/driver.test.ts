// HID wedge drivers. Creating a real evdev node needs /dev/uinput (absent in this container and on CI
// runners of this kind; see the report), so the real python3 helper reads a FIFO instead: same open/read/
// relay path, and deleting and recreating the FIFO behaves like an unplug and replug of /dev/input/by-id/....
// The grab ioctl fails on a FIFO (ENOTTY), which exercises the "could not grab" path for real.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { systemClock, systemTimers } from '../../../src/core/clock.js';
import { FakeClock } from '../../../src/core/fake-clock.js';
import type { Reading, Scan } from '../../../src/core/types.js';
import { deviceSchema } from '../../../src/config/schema.js';
import type { Device } from '../../../src/devices/device.js';
import { HidScanner } from '../../../src/devices/hid/driver.js';
import type { SpawnFn } from '../../../src/devices/hid/evdev-reader.js';
import { LAYOUTS } from '../../../src/devices/hid/keymap.js';
import { encodeLine } from '../../../src/devices/hid/simulator.js';
import { createDevice } from '../../../src/devices/index.js';
import { captureLogger, waitFor, waitForState, withTempDir } from '../helpers.js';

const nextScan = (d: Device) => waitFor<Scan>(`${d.id} scan`, (fn) => (d.on('scan', fn), () => d.off('scan', fn)));
const nextReading = (d: Device) => waitFor<Reading>(`${d.id} reading`, (fn) => (d.on('reading', fn), () => d.off('reading', fn)));

/** A FIFO standing in for the event node; opened read-write so opening it never blocks the test. */
async function plugIn(path: string): Promise<FileHandle> {
  execFileSync('mkfifo', [path]);
  return open(path, 'r+');
}

describe('HID wedge drivers through the python3 helper, reading a FIFO', () => {
  it('scanner: emits scans, says the grab failed, and comes back after the node disappears and reappears', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'usb-Scanner-event-kbd');
      let fifo = await plugIn(path);
      const log = captureLogger();
      const cfg = deviceSchema.parse({ kind: 'hid-scanner', path, reconnect: { initial_ms: 20, max_ms: 100 } });
      const device = createDevice('scanner1', cfg, { clock: systemClock, timers: systemTimers, logger: log.logger });
      try {
        await device.start();
        await waitForState(device, 'connected');
        expect(log.events('hid.grab_failed')[0]).toMatchObject({ detail: expect.stringMatching(/^ENOTTY/) });
        expect(device.status().lastError).toMatch(/also reach the focused window/);

        // One code written in two pieces that split a record (pipes deliver whatever they have).
        const bytes = encodeLine('CELL-0001', LAYOUTS.us);
        let scan = nextScan(device);
        await fifo.write(bytes.subarray(0, 101));
        await fifo.write(bytes.subarray(101));
        expect(await scan).toMatchObject({ device: 'scanner1', code: 'CELL-0001' });

        // Unplug: the writer goes (end of file for the helper) and the by-id name disappears.
        await fifo.close();
        await rm(path);
        await waitForState(device, 'disconnected');
        expect(device.status().lastError).toMatch(/disappeared \(unplugged\?\)/);
        // Let several reopen attempts fail on the missing node before it comes back.
        await new Promise((r) => setTimeout(r, 300));
        fifo = await plugIn(path);
        await waitForState(device, 'connected');
        scan = nextScan(device);
        await fifo.write(encodeLine('CELL-0002', LAYOUTS.us));
        expect(await scan).toMatchObject({ code: 'CELL-0002' });
        expect(log.events('device.disconnected')).toHaveLength(1);
        expect(log.events('device.connected')).toHaveLength(2);
      } finally {
        await device.stop();
        await fifo.close().catch(() => undefined);
      }
      expect(device.status().state).toBe('stopped');
    });
  });

  it('gauge: decimal comma from a German layout, a Digimatic line, and a refusal for text', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'usb-Mitutoyo_USB-ITN-event-kbd');
      const fifo = await plugIn(path);
      const log = captureLogger();
      const cfg = deviceSchema.parse({ kind: 'hid-gauge', path, layout: 'de', unit: 'mm', grab: false });
      const device = createDevice('gauge1', cfg, { clock: systemClock, timers: systemTimers, logger: log.logger });
      try {
        await device.start();
        await waitForState(device, 'connected');
        let reading = nextReading(device);

        await fifo.write(encodeLine('12,345', LAYOUTS.de));
        expect(await reading).toMatchObject({ device: 'gauge1', quantity: 'thickness', value: '12.345', unit: 'mm', stable: true, raw: '12,345' });
        reading = nextReading(device);
        await fifo.write(Buffer.concat([encodeLine('OK', LAYOUTS.de), encodeLine('01A-0000.120', LAYOUTS.de)]));
        expect(await reading).toMatchObject({ value: '-0.120', raw: '01A-0000.120' });
        expect(log.events('frame.dropped')).toEqual([expect.objectContaining({ raw: 'OK', why: 'not a decimal number' })]);
        expect(log.events('hid.grab_failed')).toEqual([]); // grab: false never tries
      } finally {
        await device.stop();
        await fifo.close();
      }
    });
  });
});

/** A stand-in for the helper process: the test plays its stderr status line, stdout bytes and exit. */
class FakeHelper extends EventEmitter {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  kill(): boolean {
    this.exit(null, 'SIGTERM');
    return true;
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.stdout.end();
    this.stderr.end();
    this.emit('exit', code, signal);
    // After the streams have flushed, as node does.
    setImmediate(() => this.emit('close', code, signal));
  }
}

function fakeSpawn() {
  const helpers: FakeHelper[] = [];
  const spawn: SpawnFn = () => {
    const h = new FakeHelper();
    helpers.push(h);
    return h as unknown as ChildProcess;
  };
  return { spawn, helpers };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('HidScanner timing (fake helper, FakeClock)', () => {
  it('reports a half-typed code when the inter-key timeout passes, and backs off between failed reopens', async () => {
    const clock = new FakeClock();
    const log = captureLogger();
    const { spawn, helpers } = fakeSpawn();
    const cfg = deviceSchema.parse({ kind: 'hid-scanner', path: '/dev/input/by-id/x-event-kbd', inter_key_timeout_ms: 50, reconnect: { initial_ms: 100, max_ms: 400 } });
    if (cfg.kind !== 'hid-scanner') throw new Error('parsed the wrong kind');
    const device = new HidScanner('scanner1', cfg, { clock, timers: clock, logger: log.logger, spawn });
    await device.start();
    helpers[0]?.stderr.write('opened grab=ok\n');
    await flush();
    expect(device.status().state).toBe('connected');

    const line = encodeLine('AB', LAYOUTS.us);
    helpers[0]?.stdout.write(line.subarray(0, line.length - 4 * 24)); // everything but Enter (press, SYN, release, SYN)
    await flush();
    await clock.advance(51);
    expect(log.events('frame.dropped')).toEqual([expect.objectContaining({ raw: 'AB', why: 'no key for more than 50 ms before Enter' })]);

    // Unplugged mid-line; the node stays missing for three attempts: 100, 200, 400 (capped) ms apart, one log line.
    helpers[0]?.stdout.write(line.subarray(0, 4 * 24)); // "A" typed, no Enter
    await flush();
    helpers[0]?.stderr.write('gone ENODEV No such device\n');
    helpers[0]?.exit(3);
    await flush();
    expect(log.events('frame.dropped').at(-1)).toMatchObject({ raw: 'A', why: 'the device went away before Enter' });
    expect(device.status()).toMatchObject({ state: 'disconnected', lastError: expect.stringMatching(/ENODEV/) });
    for (const wait of [100, 200, 400]) {
      const before = helpers.length;
      await clock.advance(wait - 1);
      expect(helpers.length).toBe(before);
      await clock.advance(1);
      expect(helpers.length).toBe(before + 1);
      helpers.at(-1)?.stderr.write('open-failed ENOENT No such file or directory\n');
      helpers.at(-1)?.exit(2);
      await flush();
    }
    expect(device.status().lastError).toMatch(/cannot open .*ENOENT/);
    await clock.advance(400);
    helpers.at(-1)?.stderr.write('opened grab=failed EBUSY Device or resource busy\n');
    await flush();
    expect(device.status()).toMatchObject({ state: 'connected', lastError: expect.stringMatching(/another process holds/) });
    expect(log.events('hid.busy')).toHaveLength(1);
    expect(log.events('device.disconnected')).toHaveLength(1);
    await device.stop();
    expect(helpers.at(-1)?.signalCode).toBe('SIGTERM');
  });
});

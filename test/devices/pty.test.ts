// The PTY relay's write times (used by the latency benchmark) are on the clock of process.hrtime: each one falls
// after our write into the relay and before the bytes arrive on the port opened on the slave.
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openPty, type PtyPair } from '../../src/devices/pty.js';

let pty: PtyPair | undefined;
let port: SerialPortStream | undefined;
afterEach(async () => {
  if (port?.isOpen) await new Promise<void>((resolve) => port!.close(() => resolve()));
  await pty?.close();
});

describe('openPty with writeTimes', () => {
  it('reports when each write reached the slave, between our write and its arrival on the port', async () => {
    pty = await openPty({ writeTimes: true });
    port = new SerialPortStream({ binding: autoDetect(), path: pty.path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port!.open((err) => (err ? reject(err) : resolve())));
    for (let i = 0; i < 5; i++) {
      const arrived = new Promise<bigint>((resolve) => port!.once('data', () => resolve(process.hrtime.bigint())));
      const wrote = new Promise<bigint>((resolve) => pty!.once('wrote', resolve));
      const sent = process.hrtime.bigint();
      pty.write(`line ${i}\r`);
      const [wroteAt, arrivedAt] = await Promise.all([wrote, arrived]);
      expect(wroteAt).toBeGreaterThan(sent);
      expect(wroteAt).toBeLessThan(arrivedAt);
    }
  });
});

// loopReadBinding over real serialport and a real kernel PTY. Reads must not need libuv's threadpool: the test
// occupies every pool thread (each stuck opening a FIFO nobody writes to, so they use no CPU), then expects the
// bytes anyway. Through the stock binding, whose reads are pool jobs, the same bytes would wait for a free thread.
import { execFileSync } from 'node:child_process';
import { open, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { loopReadBinding } from '../../src/devices/transport/loop-read-binding.js';
import { waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openPort(binding = loopReadBinding(autoDetect())): Promise<{ pty: PtyPair; port: SerialPortStream }> {
  const pty = await openPty();
  cleanups.push(() => pty.close());
  const port = new SerialPortStream({ binding, path: pty.path, baudRate: 9600, autoOpen: false });
  cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return { pty, port };
}

/** Bytes received on `port` until `until` is among them; rejects after 5 s naming what it waited for. */
function receive(port: SerialPortStream, until: string): Promise<string> {
  let got = '';
  return waitFor<Buffer>(
    `${JSON.stringify(until)} on ${port.path}`,
    (fn) => (port.on('data', fn), () => port.off('data', fn)),
    (chunk) => (got += chunk.toString('latin1')).includes(until),
  ).then(() => got);
}

/** Occupies every libuv pool thread until the returned function is called (which lets them finish). */
function blockThreadpool(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'iwe-pool-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  // Opening a FIFO for reading blocks (in a pool thread) until a writer opens it.
  const opened = Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => open(fifo, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))));
  return async () => {
    const writer = openSync(fifo, 'w'); // the readers are waiting, so this returns at once
    for (const fd of await Promise.all(opened)) closeSync(fd);
    closeSync(writer);
    rmSync(dir, { recursive: true, force: true });
  };
}

describe('loopReadBinding', () => {
  it('delivers every byte, in order, across many writes and the waits for readable between them', async () => {
    const { pty, port } = await openPort();
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(i * 7)}\r\n`);
    const all = receive(port, 'END');
    for (const [i, line] of lines.entries()) {
      pty.write(line);
      // Some writes arrive while a read is parked on the poller (EAGAIN first), some back to back.
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    pty.write('END');
    expect(await all).toBe(`${lines.join('')}END`);
  });

  it('reads while every threadpool thread is busy', async () => {
    const { pty, port } = await openPort();
    const release = blockThreadpool();
    cleanups.push(release);
    // Through a pool job the read would wait for a free thread: this would time out.
    const got = receive(port, '\r');
    pty.write('12.345 g\r');
    expect(await got).toBe('12.345 g\r');
  });

  it('after a hang-up (the relay killed) keeps the loop free and the port closable, as the stock binding does', async () => {
    // A hung-up PTY either fails the parked read (the stream then closes with a disconnect error) or reads 0 bytes
    // for ever, which the binding re-reads off the loop's thread (SerialTransport's presence watch notices the
    // unplug then). Which one depends on timing; either way the loop must stay free: were 0-byte re-reads done on
    // the loop's thread, the timer below would never fire.
    const { pty, port } = await openPort();
    const closed = new Promise<Error | null>((resolve) => port.once('close', (err: Error | null) => resolve(err ?? null)));
    pty.write('first\r');
    await receive(port, '\r');
    await pty.close();
    const ticks = await new Promise<number>((resolve) => {
      let n = 0;
      const timer = setInterval(() => ++n === 5 && (clearInterval(timer), resolve(n)), 10);
    });
    expect(ticks).toBe(5);
    if (port.isOpen) {
      port.close();
      expect(await closed).toBeNull();
    } else {
      expect(await closed).toMatchObject({ disconnected: true });
    }
  });

  it('closes cleanly while a read waits for the port to become readable', async () => {
    const { port } = await openPort();
    const errors: Error[] = [];
    port.on('error', (err: Error) => errors.push(err));
    const closed = new Promise<Error | null>((resolve) => port.once('close', (err: Error | null) => resolve(err ?? null)));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first read has found nothing and is parked
    port.close();
    expect(await closed).toBeNull();
    expect(errors).toEqual([]);
  });

  it('leaves ports without a poller (mock bindings, Windows) as the binding made them', async () => {
    const { SerialPortMock } = await import('serialport');
    const mock = SerialPortMock.binding;
    mock.createPort('/dev/ttyLOOP0');
    const opened = await loopReadBinding(mock).open({ path: '/dev/ttyLOOP0', baudRate: 9600 });
    expect(Object.hasOwn(opened, 'read')).toBe(false);
    await opened.close();
    mock.reset();
  });
});

// SerialTransport against @serialport/binding-mock with a FakeClock driving the backoff timers.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import type { BindingInterface, OpenOptions } from '@serialport/bindings-cpp';
import { FakeClock } from '../../src/core/fake-clock.js';
import { serialPortSchema } from '../../src/config/schema.js';
import { SerialTransport, backoffDelay } from '../../src/devices/transport/serial-transport.js';

// @serialport/binding-mock's own exports map hides its types under NodeNext; serialport re-exports the same object.
const MockBinding = SerialPortMock.binding;
const PATH = '/dev/ttyMOCK0';

/** MockBinding that records open options and can unplug the open port (its pending read fails like ENXIO). */
function unpluggableBinding() {
  const opened: OpenOptions[] = [];
  let unplug: (err: Error) => void = () => undefined;
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    async open(options) {
      opened.push(options);
      const port = await MockBinding.open(options);
      const unplugged = new Promise<never>((_, reject) => (unplug = reject));
      unplugged.catch(() => undefined);
      const read = port.read.bind(port);
      port.read = (buffer, offset, length) => Promise.race([read(buffer, offset, length), unplugged]);
      return port;
    },
  };
  return { binding, opened, unplug: () => unplug(new Error('ENXIO: no such device or address')) };
}

function setup(port: Record<string, unknown> = {}) {
  const clock = new FakeClock();
  const mock = unpluggableBinding();
  const transport = new SerialTransport({
    port: serialPortSchema.parse({ path: PATH, ...port }),
    reconnect: { initial_ms: 100, max_ms: 350 },
    timers: clock,
    binding: mock.binding,
  });
  const downs: string[] = [];
  transport.on('down', (reason) => downs.push(reason));
  return { clock, transport, downs, ...mock };
}

afterEach(() => MockBinding.reset());

describe('backoffDelay', () => {
  it('doubles from initial and caps at max', () => {
    const cfg = { initial_ms: 500, max_ms: 30_000 };
    expect([0, 1, 2, 3, 6, 7, 100].map((a) => backoffDelay(a, cfg))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  });
});

describe('SerialTransport', () => {
  it('opens with the configured line settings and flow control', async () => {
    MockBinding.createPort(PATH);
    const { transport, opened } = setup({ baud_rate: 19200, data_bits: 7, parity: 'odd', stop_bits: 2, flow_control: 'xonxoff' });
    transport.start();
    await once(transport, 'up');
    expect(opened[0]).toMatchObject({ path: PATH, baudRate: 19200, dataBits: 7, parity: 'odd', stopBits: 2, xon: true, xoff: true, rtscts: false });
    await transport.stop();

    MockBinding.createPort(PATH);
    const rts = setup({ flow_control: 'rtscts' });
    rts.transport.start();
    await once(rts.transport, 'up');
    expect(rts.opened[0]).toMatchObject({ rtscts: true, xon: false, xoff: false });
    await rts.transport.stop();
  });

  it('retries a failed open with capped exponential backoff, then resets after success', async () => {
    const { clock, transport, downs, opened, unplug } = setup();
    transport.start();
    await once(transport, 'down');
    expect(downs[0]).toMatch(/^cannot open \/dev\/ttyMOCK0: .*does not exist/);

    // Attempts at +100, +200, +350 (capped), +350.
    for (const delay of [100, 200, 350, 350]) {
      const before = opened.length;
      await clock.advance(delay - 1);
      expect(opened.length).toBe(before);
      const next = once(transport, 'down');
      await clock.advance(1);
      await next;
      expect(opened.length).toBe(before + 1);
    }

    MockBinding.createPort(PATH);
    const up = once(transport, 'up');
    await clock.advance(350);
    await up;
    expect(transport.isOpen).toBe(true);

    // After a success the next failure starts again from initial_ms.
    const down = once(transport, 'down');
    unplug();
    expect((await down)[0]).toMatch(/disappeared \(unplugged\?\).*ENXIO/);
    const back = once(transport, 'up');
    await clock.advance(100);
    await back;
    await transport.stop();
  });

  it('reconnect(reason) closes the port, reports the reason and reopens a fresh port', async () => {
    MockBinding.createPort(PATH);
    const { clock, transport, downs, opened } = setup();
    transport.start();
    await once(transport, 'up');
    transport.reconnect('no reply to 5 polls in a row');
    expect(downs).toEqual(['no reply to 5 polls in a row']);
    expect(transport.isOpen).toBe(false);
    expect(transport.write('SI\r\n')).toBe(false);
    const up = once(transport, 'up');
    await clock.advance(100);
    await up;
    expect(opened).toHaveLength(2);
    expect(downs).toHaveLength(1);
    await transport.stop();
  });

  it('passes data through and writes while open', async () => {
    MockBinding.createPort(PATH, { record: true });
    const { transport, opened } = setup();
    transport.start();
    await once(transport, 'up');
    expect(opened).toHaveLength(1);
    const port = await MockBinding.open({ path: PATH, baudRate: 9600, lock: false }).catch((e: Error) => e);
    // The daemon's open is exclusive: a second opener is refused.
    expect(port).toBeInstanceOf(Error);
    expect(transport.write('SI\r\n')).toBe(true);
    await transport.stop();
  });

  it('stop() cancels a pending reopen and reports nothing more', async () => {
    const { clock, transport, downs, opened } = setup();
    transport.start();
    await once(transport, 'down');
    await transport.stop();
    expect(clock.timerCount).toBe(0);
    await clock.advance(10_000);
    expect(opened).toHaveLength(1);
    expect(downs).toHaveLength(1);
  });
});

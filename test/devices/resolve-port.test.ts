// Ports named by USB ids, resolved through the binding's list() at every (re)connect.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPortMock } from 'serialport';
import type { BindingInterface, OpenOptions } from '@serialport/bindings-cpp';
import { FakeClock } from '../../src/core/fake-clock.js';
import { serialPortSchema } from '../../src/config/schema.js';
import { portLabel, resolvePortPath } from '../../src/devices/transport/resolve-port.js';
import { SerialTransport } from '../../src/devices/transport/serial-transport.js';

const MockBinding = SerialPortMock.binding;
afterEach(() => MockBinding.reset());

// The mock numbers its ports' USB serials "1", "2", ... in creation order.
function plug() {
  MockBinding.createPort('/dev/ttyUSB0', { vendorId: '0403', productId: '6001' }); // serial "1"
  MockBinding.createPort('/dev/ttyUSB1', { vendorId: '0403', productId: '6001' }); // serial "2"
  MockBinding.createPort('/dev/ttyACM0', { vendorId: '1eab', productId: '8003' }); // serial "3"
  MockBinding.createPort('/dev/ttyS0'); // a motherboard port: no USB ids
}

const usb = (u: Record<string, string>) => serialPortSchema.parse({ usb: u });

describe('resolvePortPath', () => {
  it('finds the one port with the ids, however the hex is written', async () => {
    plug();
    expect(await resolvePortPath(usb({ vendor_id: '1EAB', product_id: '0x8003' }), MockBinding)).toBe('/dev/ttyACM0');
    expect(await resolvePortPath(usb({ vendor_id: '0403', product_id: '6001', serial: '2' }), MockBinding)).toBe('/dev/ttyUSB1');
  });

  it('refuses to choose between two identical adapters and says how to pick one', async () => {
    plug();
    await expect(resolvePortPath(usb({ vendor_id: '0403', product_id: '6001' }), MockBinding)).rejects.toThrow(
      /2 serial ports match usb 0403:6001: \/dev\/ttyUSB0 \(serial 1\), \/dev\/ttyUSB1 \(serial 2\); add usb.serial/,
    );
  });

  it('says what is plugged in when nothing matches', async () => {
    plug();
    await expect(resolvePortPath(usb({ vendor_id: '0403', product_id: '6001', serial: '9' }), MockBinding)).rejects.toThrow(
      /no serial port matches usb 0403:6001 serial 9; USB ports present: \/dev\/ttyUSB0 \(0403:6001 serial 1\), .*\/dev\/ttyACM0 \(1eab:8003 serial 3\)$/,
    );
  });

  it('opens a path as given, without listing', async () => {
    const binding = { list: () => Promise.reject(new Error('must not list')) } as unknown as BindingInterface;
    expect(await resolvePortPath(serialPortSchema.parse({ path: '/dev/serial/by-id/usb-FTDI-if00' }), binding)).toBe('/dev/serial/by-id/usb-FTDI-if00');
    expect(portLabel({ usb: { vendor_id: '403', product_id: '6001', serial: 'DM1' } })).toBe('usb 0403:6001 serial DM1');
  });
});

describe('SerialTransport with a USB-id port', () => {
  it('resolves again at every reconnect: the adapter may come back under another name', async () => {
    const opened: string[] = [];
    const binding: BindingInterface = { list: () => MockBinding.list(), open: (o: OpenOptions) => (opened.push(o.path), MockBinding.open(o)) };
    const clock = new FakeClock();
    const transport = new SerialTransport({ port: usb({ vendor_id: '1eab', product_id: '8003' }), reconnect: { initial_ms: 100, max_ms: 100 }, timers: clock, binding });
    const downs: string[] = [];
    transport.on('down', (r) => downs.push(r));
    MockBinding.createPort('/dev/ttyACM0', { vendorId: '1eab', productId: '8003' });
    transport.start();
    await once(transport, 'up');

    // Unplugged: nothing matches, and the reason says so; replugged as ttyACM1: found there.
    MockBinding.reset();
    transport.reconnect('no reply to 5 polls in a row');
    const missing = once(transport, 'down');
    await clock.advance(100);
    await missing;
    expect(downs[1]).toMatch(/^cannot find usb 1eab:8003: no serial port matches usb 1eab:8003; USB ports present: none$/);

    MockBinding.createPort('/dev/ttyACM1', { vendorId: '1eab', productId: '8003' });
    const up = once(transport, 'up');
    await clock.advance(100);
    await up;
    expect(opened).toEqual(['/dev/ttyACM0', '/dev/ttyACM1']);
    await transport.stop();
  });
});

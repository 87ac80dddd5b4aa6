// The device section of the config schema: family defaults, port naming, and the rules between fields.
import { describe, expect, it } from 'vitest';
import { configSchema, deviceSchema } from '../../src/config/schema.js';

const parse = (d: Record<string, unknown>) => deviceSchema.safeParse({ port: { path: '/dev/ttyUSB0' }, ...d });
const messages = (d: Record<string, unknown>) => parse(d).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('device config', () => {
  it.each([
    ['mtsics', { baud_rate: 9600, data_bits: 8, parity: 'none', stop_bits: 1, flow_control: 'xonxoff' }, 'SI\r\n'],
    ['sartorius', { baud_rate: 1200, data_bits: 7, parity: 'odd', stop_bits: 1, flow_control: 'rtscts' }, '\x1bP\r\n'],
    ['and', { baud_rate: 2400, data_bits: 7, parity: 'even', stop_bits: 1, flow_control: 'none' }, 'Q\r\n'],
    ['ohaus', { baud_rate: 9600, data_bits: 8, parity: 'none', stop_bits: 1 }, 'IP\r\n'],
    ['kern', { baud_rate: 9600, data_bits: 8, parity: 'none' }, 'SI\r\n'],
    ['radwag', { baud_rate: 9600, data_bits: 8 }, 'SI\r\n'],
    ['hioki', { baud_rate: 9600, data_bits: 8 }, ':FETCh?\r\n'],
    ['sylvac', { baud_rate: 4800, data_bits: 7, parity: 'even', stop_bits: 2 }, '?\r'],
    ['mahr', { baud_rate: 9600, data_bits: 7, parity: 'even', stop_bits: 2 }, '?\r'],
  ])('%s defaults to its documented line settings and request', (kind, port, request) => {
    const cfg = parse({ kind });
    expect(cfg.success).toBe(true);
    expect(cfg.data).toMatchObject({ kind, mode: 'poll', request, port: { path: '/dev/ttyUSB0', ...port } });
  });

  it('gauges that send on DATA default to stream mode; the Sylvac cable lines default to DTR on, RTS off', () => {
    expect(parse({ kind: 'mitutoyo' }).data).toMatchObject({ mode: 'stream', unit: 'mm' });
    expect(parse({ kind: 'sylvac' }).data).toMatchObject({ lines: { dtr: true, rts: false } });
    // The cable's -supply is RTS held low: hardware flow control would let the serial driver raise it.
    expect(messages({ kind: 'sylvac', port: { path: '/dev/ttyUSB0', flow_control: 'rtscts' } })).toEqual([
      'port.flow_control: the Sylvac cable is powered from RTS: use flow_control none',
    ]);
    expect(parse({ kind: 'metro' }).data).toMatchObject({ channel: '1', mode: 'poll' });
  });

  it('names a port by exactly one of path or USB ids', () => {
    const usb = { vendor_id: '0403', product_id: '6001', serial: 'DM003456' };
    expect(deviceSchema.parse({ kind: 'and', port: { usb } })).toMatchObject({ port: { usb, baud_rate: 2400 } });
    expect(messages({ kind: 'and', port: {} })).toEqual(['port: give exactly one of "path" or "usb"']);
    expect(messages({ kind: 'and', port: { path: '/dev/ttyUSB0', usb } })).toEqual(['port: give exactly one of "path" or "usb"']);
    expect(messages({ kind: 'and', port: { usb: { vendor_id: 'FTDI', product_id: '6001' } } })).toEqual([
      'port.usb.vendor_id: must be a 4-digit hex USB id such as "0403"',
    ]);
  });

  it('generic: needs a value group, and polls only with a request', () => {
    const generic = { kind: 'generic', pattern: '^(?<value>\\d+\\.\\d+) mm$', quantity: 'thickness', unit: 'mm' };
    expect(parse(generic).data).toMatchObject({ mode: 'stream' });
    expect(parse({ ...generic, mode: 'poll', request: 'R\r\n', poll_ms: 500 }).success).toBe(true);
    expect(messages({ ...generic, mode: 'poll' })).toEqual([': mode "poll" needs a request, and a request is only sent in mode "poll"']);
    expect(messages({ ...generic, request: 'R\r\n' })).toEqual([': mode "poll" needs a request, and a request is only sent in mode "poll"']);
    expect(messages({ ...generic, pattern: '^(\\d+) mm$' })).toEqual(['pattern: needs a named group (?<value>...)']);
    expect(messages({ ...generic, pattern: '(?<value>' })[0]).toMatch(/^pattern: is not a valid regular expression/);
  });

  it('checks the settle rule, KERN poll interval and multiplexer channels', () => {
    expect(parse({ kind: 'sylvac', settle: { count: 3, tolerance: '0.002' } }).success).toBe(true);
    expect(messages({ kind: 'sylvac', settle: { count: 3, tolerance: 0.002 } })).toEqual(['settle.tolerance: Invalid input: expected string, received number']);
    expect(messages({ kind: 'sylvac', settle: { count: 1, tolerance: '0.002' } })[0]).toMatch(/^settle.count:/);
    expect(messages({ kind: 'kern', poll_ms: 100 })[0]).toMatch(/^poll_ms:/);
    expect(messages({ kind: 'adept', channel: '5' })).toEqual(['channel: must be a channel number from "1" to "4"']);
  });
});

describe('balance families in a station', () => {
  it('every balance family needs min_load on the property it feeds', () => {
    for (const kind of ['mtsics', 'sartorius', 'and', 'ohaus', 'kern', 'radwag']) {
      const result = configSchema.safeParse({
        lab: 'lab',
        devices: { scan: { kind: 'scanner', port: { path: '/dev/ttyACM0' } }, bal: { kind, port: { path: '/dev/ttyUSB0' } } },
        stations: { s1: { scanner: 'scan', properties: { mass: { device: 'bal', unit: 'g' } } } },
      });
      expect(result.error?.issues.map((i) => i.path.join('.')), kind).toContain('stations.s1.properties.mass.min_load');
    }
  });
});

// A property takes readings by device and, where it says so, by quantity: one Hioki in RV mode feeds both an
// ACIR and an OCV property; every other device still feeds one property per station. Readings in another unit
// of the same dimension are converted exactly.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { makeStation, reading, type StationInput } from './helpers.js';

const tester: StationInput = {
  scanner: 'scanner1',
  cell_pattern: '^CELL-[0-9]{4}$',
  properties: {
    acir: { device: 'tester1', quantity: 'resistance', unit: 'mOhm' },
    ocv: { device: 'tester1', quantity: 'voltage', unit: 'V' },
  },
};

function configIssues(properties: Record<string, unknown>, devices: Record<string, unknown> = {}) {
  const result = configSchema.safeParse({
    lab: 'lab',
    devices: {
      scanner1: { kind: 'scanner', port: { path: '/dev/ttyACM0' } },
      tester1: { kind: 'hioki', port: { path: '/dev/ttyUSB0' } },
      gauge1: { kind: 'mitutoyo', port: { path: '/dev/ttyUSB1' } },
      ...devices,
    },
    stations: { bench1: { scanner: 'scanner1', properties } },
  });
  return result.error?.issues.map((i) => `${i.path.slice(3).join('.')}: ${i.message}`) ?? [];
}

describe('a Hioki in RV mode feeds two properties', () => {
  it('one RV reply completes acir (converted to mOhm) and ocv from the same device', () => {
    const t = makeStation(tester);
    t.scan('CELL-0001');
    // One ":FETCh?" reply "  1.3600E-3, 3.70000E+0" decodes to these two readings (test/devices/decoders/hioki.test.ts).
    t.station.handleReading(reading('tester1', 'resistance', '0.0013600', 'Ohm', true, t.clock.now()));
    expect(t.saved).toHaveLength(0);
    t.station.handleReading(reading('tester1', 'voltage', '3.70000', 'V', true, t.clock.now()));
    expect(t.saved).toHaveLength(1);
    expect(t.body().properties).toEqual({ acir: { value: 1.36, unit: 'mOhm' }, ocv: { value: 3.7, unit: 'V' } });
    expect(t.events('reading.taken').map((l) => [l.property, l.value, l.unit])).toEqual([
      ['acir', '1.3600', 'mOhm'],
      ['ocv', '3.70000', 'V'],
    ]);
  });

  it('a quantity no property selects is dropped, never taken by the other property', () => {
    const t = makeStation({ ...tester, properties: { acir: tester.properties.acir! } });
    t.scan('CELL-0001');
    t.station.handleReading(reading('tester1', 'voltage', '3.70000', 'V', true, t.clock.now()));
    expect(t.events('reading.dropped').at(-1)).toMatchObject({ reason: 'voltage from device "tester1" feeds no property of this station' });
    expect(t.station.snapshot().readings).toEqual({});
    t.station.handleReading(reading('tester1', 'resistance', '0.0013600', 'Ohm', true, t.clock.now()));
    expect(t.body().properties).toEqual({ acir: { value: 1.36, unit: 'mOhm' } });
  });

  it('config: each property of an RV tester names a different quantity the tester gives', () => {
    expect(configIssues(tester.properties)).toEqual([]);
    expect(configIssues({ acir: { device: 'tester1', unit: 'mOhm' } })).toEqual([
      'acir.quantity: device "tester1" sends resistance and voltage in one reply: set quantity to the one this property takes',
    ]);
    expect(configIssues({ a: { device: 'tester1', quantity: 'resistance', unit: 'Ohm' }, b: { device: 'tester1', quantity: 'resistance', unit: 'mOhm' } })).toEqual([
      'b.device: device "tester1" already feeds property "a"',
    ]);
    expect(configIssues({ ocv: { device: 'tester1', quantity: 'voltage', unit: 'V' } }, { tester1: { kind: 'hioki', port: { path: '/dev/ttyUSB0' }, measure: 'R' } })).toEqual([
      'ocv.quantity: device "tester1" gives "resistance", not "voltage"',
    ]);
  });

  it('config: a device giving one quantity still feeds one property', () => {
    expect(configIssues({ thickness: { device: 'gauge1', unit: 'mm' }, height: { device: 'gauge1', unit: 'mm' } })).toEqual([
      'height.device: device "gauge1" already feeds property "thickness"',
    ]);
    expect(configIssues({ thickness: { device: 'gauge1', unit: 'mm', quantity: 'thickness' }, mass: { device: 'gauge1', unit: 'g', quantity: 'mass' } })).toEqual([
      'mass.quantity: device "gauge1" gives "thickness", not "mass"',
      'mass.device: device "gauge1" already feeds property "thickness"',
    ]);
  });
});

describe('unit conversion in the station', () => {
  it('a gauge reading in mm goes to a property in um exactly, keeping the gauge resolution', () => {
    const t = makeStation({ scanner: 'scanner1', cell_pattern: '^CELL-[0-9]{4}$', properties: { thickness: { device: 'gauge1', unit: 'um' } } });
    t.scan('CELL-0001');
    t.thickness('0.570', 'mm'); // float: 0.57 * 1000 = 569.9999999999999
    expect(t.events('reading.taken')[0]).toMatchObject({ value: '570', unit: 'um' });
    expect(t.body().properties).toEqual({ thickness: { value: 570, unit: 'um' } });
  });
});

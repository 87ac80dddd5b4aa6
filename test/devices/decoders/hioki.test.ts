import { describe, expect, it } from 'vitest';
import { decodeHioki } from '../../../src/devices/hioki/decode.js';

const R = (value: string) => ({ kind: 'reading', quantity: 'resistance', value, unit: 'Ohm', stable: true });
const V = (value: string) => ({ kind: 'reading', quantity: 'voltage', value, unit: 'V', stable: true });

describe('decodeHioki (BT3562/BT3563, instruments.md 6.1)', () => {
  it('an RV reply carries two readings', () => {
    // [BUILT from manual table] RV layout "resistance,voltage"
    expect(decodeHioki('  1.3600E-3, 3.70000E+0')).toEqual([R('0.0013600'), V('3.70000')]);
  });

  it('reads blank-padded manual examples exactly, without float arithmetic', () => {
    // [MANUAL] "_0001.36E-3 -> ____1.36E-3", "-0007.51E+0 -> -___7.51E+0"
    expect(decodeHioki('    1.36E-3', { mode: 'R' })).toEqual([R('0.00136')]);
    expect(decodeHioki('-   7.51E+0', { mode: 'V' })).toEqual([V('-7.51')]);
    expect(decodeHioki(' 12.3456E+3, 0.00001E+0')).toEqual([R('12345.6'), V('0.00001')]);
  });

  it('over-range and fault sentinels are errors, never values', () => {
    // [MANUAL] table p.150: OF +-10.0000E+8 / fault +10.0000E+9 (3 mOhm), +-1.00000E+9 / +1.00000E+10 (6 V)
    expect(decodeHioki(' 10.0000E+8, 3.70000E+0')).toEqual([
      { kind: 'error', code: 'OF', message: 'resistance over range' },
      V('3.70000'),
    ]);
    expect(decodeHioki('-10.0000E+8,-1.00000E+9')).toEqual([
      { kind: 'error', code: 'OF', message: 'resistance over range' },
      { kind: 'error', code: 'OF', message: 'voltage over range' },
    ]);
    expect(decodeHioki(' 1000.00E+7, 1.00000E+10')).toEqual([
      { kind: 'error', code: 'fault', message: 'resistance measurement fault' },
      { kind: 'error', code: 'fault', message: 'voltage measurement fault' },
    ]);
    expect(decodeHioki(' 100.000E+7', { mode: 'R' })).toEqual([{ kind: 'error', code: 'OF', message: 'resistance over range' }]);
  });

  it('*IDN? is an identity', () => {
    // [MANUAL] p.122
    expect(decodeHioki('HIOKI,BT3562,0,V1.00')).toEqual([{ kind: 'identity', model: 'BT3562' }]);
    expect(decodeHioki('HIOKI,BT3563-01,0,V2.01')).toEqual([{ kind: 'identity', model: 'BT3563-01' }]);
  });

  it.each([
    ['  1.3600E-3', {}], // one value in RV mode
    ['  1.3600E-3, 3.70000E+0', { mode: 'R' as const }],
    ['  1.3600, 3.70000', {}],
    [':FETC 1.36E-3,3.7E+0', {}],
    ['1.36E-3,,3.7E+0', {}],
    ['', {}],
    ['NaN,NaN', {}],
  ])('refuses %j %j', (line, opts) => expect(decodeHioki(line, opts).map((f) => f.kind)).toEqual(['garbage']));
});

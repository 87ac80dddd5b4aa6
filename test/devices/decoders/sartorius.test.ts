import { describe, expect, it } from 'vitest';
import { decodeSartorius } from '../../../src/devices/sartorius/decode.js';

const mass = (value: string, unit: string, stable: boolean) => [{ kind: 'reading', quantity: 'mass', value, unit, stable }];

describe('decodeSartorius (SBI, instruments.md 2.6)', () => {
  it.each([
    ['+     0.00 g  ', mass('0.00', 'g', true)], // [OSS] sartoriuslib test / WZA doc, 16 ch
    ['-   12.345 mg ', mass('-12.345', 'mg', true)], // [OSS]
    ['N     +    0.006 g  ', mass('0.006', 'g', true)], // [OSS-HW] Cubis MSE capture, 22 ch
    ['N     +    0.031    ', mass('0.031', '', false)], // [OSS-HW] unit blank -> unstable
    ['Qnt +    253 pcs  ', [{ kind: 'reading', quantity: 'count', value: '253', unit: 'pcs', stable: true }]], // [OSS]
    ['G#    +   1255.7 g  ', mass('1255.7', 'g', true)], // [MANUAL] Combics 22-char example
  ])('%j', (line, want) => expect(decodeSartorius(line)).toEqual(want));

  it.each([
    ['Stat High', { kind: 'error', code: 'Stat High', message: 'overload' }], // [OSS] documented special line
    ['Stat Low', { kind: 'error', code: 'Stat Low', message: 'underload' }], // [OSS]
    ['Err 101', { kind: 'error', code: 'Err 101', message: 'balance error' }], // [OSS]
    ['Stat ERR 123', { kind: 'error', code: 'Stat ERR 123', message: 'balance error' }], // [OSS] sartoriuslib doc
    ['Stat Cal. Ext.', { kind: 'other' }], // [OSS] sartoriuslib doc
    ['N     +  H', { kind: 'error', code: 'H', message: 'overload' }], // [MANUAL] Signum special codes
    ['LL', { kind: 'error', code: 'LL', message: 'underweight' }], // [MANUAL] Signum special codes
  ])('special line %j', (line, want) => expect(decodeSartorius(line)).toEqual([want]));

  it('identity answers become identities when the driver expects them', () => {
    // [OSS-HW] ESC x1_ / ESC x2_ replies
    expect(decodeSartorius('MSE1203S-100-DR     ', { expect: 'model' })).toEqual([{ kind: 'identity', model: 'MSE1203S-100-DR' }]);
    expect(decodeSartorius('SerNo.    0031801165', { expect: 'serial' })).toEqual([{ kind: 'identity', serial: '0031801165' }]);
    expect(decodeSartorius('0031801165', { expect: 'serial' })).toEqual([{ kind: 'identity', serial: '0031801165' }]);
  });

  it('identity-looking lines never become readings in weight mode', () => {
    expect(decodeSartorius('SerNo.    0031801165')).toEqual([{ kind: 'identity', serial: '0031801165' }]);
    for (const line of ['MSE1203S-100-DR     ', 'BAC:        00-39-21', '0031801165', '  0031801165  '])
      expect(decodeSartorius(line)[0]?.kind).toBe('garbage');
  });

  it('an autoprint weight interleaved with an identity answer stays a weight', () => {
    expect(decodeSartorius('N     +    0.006 g  ', { expect: 'model' })).toEqual(mass('0.006', 'g', true));
    expect(decodeSartorius('+     0.00 g  ', { expect: 'serial' })).toEqual(mass('0.00', 'g', true));
  });

  // The last four: short noise without the layout's sign-or-blank column and the blank before the unit (2.2).
  it.each(['', '+     0.00 xx ', 'N     +    0.006 g  extra', '+   1.2.3 g', '++ 1.0 g', 'N.    +    0.006 g', '6g', '12.5 g', '+4', '-3.5 g'])(
    'refuses %j',
    (line) => expect(decodeSartorius(line)[0]?.kind).toBe('garbage'),
  );
});

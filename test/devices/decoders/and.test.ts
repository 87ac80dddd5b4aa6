import { describe, expect, it } from 'vitest';
import { decodeAnd } from '../../../src/devices/and/decode.js';

const reading = (value: string, unit: string, stable: boolean, quantity = 'mass') => ({ kind: 'reading', quantity, value, unit, stable });

describe('decodeAnd (instruments.md 3.1)', () => {
  it.each([
    ['ST,+00123.45  g', reading('123.45', 'g', true)], // [MANUAL] GF-A standard format
    ['WT   +123.45  g', reading('123.45', 'g', true)], // [MANUAL] GF-A DP format
    ['ST,+00071.82  g', reading('71.82', 'g', true)], // [MANUAL] GH
    ['US,-00183.96  g', reading('-183.96', 'g', false)], // [MANUAL] GH
    ['ST,+0000.1278,  g', reading('0.1278', 'g', true)], // [MANUAL] AD-4212D CSV
    ['ST,+0001.234 kg', reading('1.234', 'kg', true)], // [MANUAL] GC series
    ['QT,+00001234 PC', reading('1234', 'PC', true, 'count')], // [MANUAL] GC counting -> not mass
    ['ST,OK,+0001.234 kg', reading('1.234', 'kg', true)], // [MANUAL] GC comparator header
    ['OL,+9999999E+19', { kind: 'error', code: 'OL', message: 'overload' }], // [MANUAL] GH
    ['OL,-9999999E+19', { kind: 'error', code: 'OL', message: 'underload (negative out of range)' }], // [MANUAL] GH
    ['OL,+9999999E+19,  g', { kind: 'error', code: 'OL', message: 'overload' }], // [MANUAL] CSV
    ['EC,E01', { kind: 'error', code: 'E01', message: 'undefined command' }], // [MANUAL] GC
    ['EC,E11', { kind: 'error', code: 'E11', message: 'unstable, cannot zero or tare' }], // [MANUAL] GC
    ['\x06', { kind: 'ack' }], // [MANUAL] <AK><CR><LF>
  ])('%j', (line, want) => expect(decodeAnd(line)).toEqual([want]));

  it('splits an ACK glued to the front of a data line', () => {
    expect(decodeAnd('\x06\x06ST,+00123.45  g')).toEqual([{ kind: 'ack' }, { kind: 'ack' }, reading('123.45', 'g', true)]);
  });

  it.each(['', 'ST,00123.45  g', 'ST,+00123.45', 'XX,+00123.45  g', 'QT,+00123.45  g', 'ST,+00123.45  %', 'EC,E1', 'ST,+1e5  g'])(
    'refuses %j',
    (line) => expect(decodeAnd(line).map((f) => f.kind)).toEqual(['garbage']),
  );
});

import { describe, expect, it } from 'vitest';
import { decodeAdeptMux } from '../../../src/devices/adept/decode.js';
import { decodeMahr } from '../../../src/devices/mahr/decode.js';
import { decodeMetroMux } from '../../../src/devices/metro/decode.js';
import { decodeSylvac } from '../../../src/devices/sylvac/decode.js';

const t = (value: string, unit: string, channel?: string) => ({
  kind: 'reading',
  quantity: 'thickness',
  value,
  unit,
  stable: true,
  ...(channel === undefined ? {} : { channel }),
});

describe('decodeSylvac (Opto-RS, instruments.md 4.4)', () => {
  it.each([
    ['+12.345', t('12.345', 'mm')], // [BUILT from layout]
    ['-0.0020', t('-0.0020', 'mm')], // [BUILT from layout]
    [' 1.500', t('1.500', 'mm')], // [BUILT] sign position blank
    ['ERR3', { kind: 'error', code: 'ERR3', message: 'range exceeded' }], // [MANUAL]
    ['ERR0', { kind: 'error', code: 'ERR0', message: 'sensor error' }], // [MANUAL]
    ['SY289.01', { kind: 'identity', model: 'SY289.01' }], // [BUILT from "SY<instr>.<opt1>"]
  ])('%j', (line, want) => expect(decodeSylvac(line)).toEqual([want]));

  it('uses the configured unit', () => expect(decodeSylvac('+0.4861', { unit: 'in' })).toEqual([t('0.4861', 'in')]));

  it.each(['', '12', '+12.', '+1e2', 'ERR4', '+-12.3', '12.3 mm'])('refuses %j', (line) =>
    expect(decodeSylvac(line)[0]?.kind).toBe('garbage'),
  );
});

describe('decodeMahr (Millimar OPTORSD, instruments.md 4.5)', () => {
  it.each([
    ['012.345mm', t('12.345', 'mm')], // [BUILT from "xxx.xxx<unit>"]
    ['-000.012mm', t('-0.012', 'mm')], // [BUILT]
    ['  0.48610in', t('0.48610', 'in')], // [BUILT]
    ['MAHR GMBH,C1208 ', { kind: 'identity', model: 'C1208' }], // [MANUAL] ID? reply
    ['mm ', { kind: 'other' }], // [MANUAL] UNI? reply
  ])('%j', (line, want) => expect(decodeMahr(line)).toEqual([want]));

  it.each(['', '012.345', '012.345 ft', '12mm', 'MAHR GMBH,'])('refuses %j', (line) =>
    expect(decodeMahr(line)[0]?.kind).toBe('garbage'),
  );
});

describe('decodeMetroMux (instruments.md 4.6)', () => {
  it('reads a channel line', () => {
    expect(decodeMetroMux('V2: mm       -00001.250000')).toEqual([t('-1.250000', 'mm', '2')]); // [MANUAL] example
  });
  it('reads an error line', () => {
    expect(decodeMetroMux('N12:E3')).toEqual([{ kind: 'error', code: 'E3', message: 'multiplexer input N12 reports E3' }]); // [MANUAL] "Nxy:Ex"
  });
  it.each(['', 'V9: mm  -00001.250000', 'V2: mm', 'V2: ft  1.0', 'V2:mm-1.0x'])('refuses %j', (line) =>
    expect(decodeMetroMux(line)[0]?.kind).toBe('garbage'),
  );
});

describe('decodeAdeptMux (instruments.md 4.6)', () => {
  it('reads a channel line', () => {
    expect(decodeAdeptMux('1 MW+00013.67 mm')).toEqual([t('13.67', 'mm', '1')]); // [MANUAL] Adept KB example
  });
  it.each(['', '5 MW+00013.67 mm', '1 XX+00013.67 mm', '1 MW00013.67 mm', '1 MW+00013.67'])('refuses %j', (line) =>
    expect(decodeAdeptMux(line)[0]?.kind).toBe('garbage'),
  );
});

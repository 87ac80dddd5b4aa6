// Byte vectors from instruments.md section 4.1 (Mitutoyo Digimatic-format ASCII), each with its source tag.
import { describe, expect, it } from 'vitest';
import { decodeDigimatic } from '../../src/devices/mitutoyo/decode.js';

describe('decodeDigimatic', () => {
  it('decodes a metric line', () => {
    // "01A+0000.123\r": D1 '0', D2 channel '1', D3 'A', D4 '+', D5-D12 "0000.123" (mm, 0.001) [MANUAL QM-Height p.73]
    expect(decodeDigimatic('01A+0000.123')).toEqual([{ kind: 'reading', quantity: 'thickness', value: '0.123', unit: 'mm', stable: true, channel: '1' }]);
  });

  it('decodes an inch line with four decimals', () => {
    // "01A+000.1234\r" (inch, 0.0001): the decimal point floats [MANUAL QM-Height p.73]
    expect(decodeDigimatic('01A+000.1234')).toEqual([{ kind: 'reading', quantity: 'thickness', value: '0.1234', unit: 'mm', stable: true, channel: '1' }]);
  });

  it('decodes a negative Mux-10 line keeping trailing zeros', () => {
    // "01A-001.2340\r": 0 C A S RRRRRRRR [MANUAL GageMux p.6]
    expect(decodeDigimatic('01A-001.2340')).toEqual([{ kind: 'reading', quantity: 'thickness', value: '-1.2340', unit: 'mm', stable: true, channel: '1' }]);
  });

  it('carries the unit the gauge is set to (the line has none)', () => {
    expect(decodeDigimatic('01A+000.1234', { unit: 'in' })).toMatchObject([{ value: '0.1234', unit: 'in' }]);
  });

  it('reads the channel digit', () => {
    // Channel 3 on a multiplexer [BUILT from the 0CASRRRRRRRR layout]
    expect(decodeDigimatic('03A+0012.500')).toEqual([{ kind: 'reading', quantity: 'thickness', value: '12.500', unit: 'mm', stable: true, channel: '3' }]);
  });

  it('rejects anything else and never throws', () => {
    const garbage = [
      '',
      '01A+0000.12', // 7 value characters
      '01A+0000.1234', // 9 value characters
      '01B+0000.123', // D3 must be 'A'
      '11A+0000.123', // D1 must be '0'
      '01A 0000.123', // no sign
      '01A+00.0.123', // two decimal points
      '01A+0000,123',
      'S S 1.0 g',
      '\u00ff01A+0000.123',
    ];
    for (const line of garbage) expect(decodeDigimatic(line).map((f) => f.kind), line).toEqual(['garbage']);
  });
});

// Byte vectors from instruments.md section 1 (MT-SICS, also KERN KCP: 3.3), each with its source tag.
import { describe, expect, it } from 'vitest';
import { decodeMtSics } from '../../src/devices/mtsics/decode.js';

describe('decodeMtSics', () => {
  it('decodes a stable weight, padded as in the manual example', () => {
    // "S S      100.00 g": 53 20 53 then padding, value, unit [OSS comment quoting manual, 1.6]
    expect(decodeMtSics('S S      100.00 g')).toEqual([{ kind: 'reading', quantity: 'mass', value: '100.00', unit: 'g', stable: true }]);
  });

  it('decodes a dynamic weight as not stable', () => {
    // SI -> "S D 1.234 g": second token D = dynamic [OSS InstrumentKit test, 1.6]
    expect(decodeMtSics('S D 1.234 g')).toEqual([{ kind: 'reading', quantity: 'mass', value: '1.234', unit: 'g', stable: false }]);
  });

  it('normalises sign and leading zeros but keeps trailing zeros (resolution)', () => {
    // Value field width is not documented; a signed zero-padded field is parsed by whitespace [BUILT, 1.2]
    expect(decodeMtSics('S S +0000.120 g')).toMatchObject([{ value: '0.120' }]);
    expect(decodeMtSics('S S    -12.50 mg')).toMatchObject([{ value: '-12.50', unit: 'mg' }]);
    expect(decodeMtSics('S D     0.000 g')).toMatchObject([{ value: '0.000', stable: false }]);
  });

  it('tolerates the trailing CR/space a framer might leave', () => {
    expect(decodeMtSics('S S 5.0 g \r')).toMatchObject([{ kind: 'reading', value: '5.0' }]);
  });

  it('decodes status replies', () => {
    // "S I" not executable / "S +" overload / "S -" underload [MANUAL AT p.87, 1.4]
    expect(decodeMtSics('S I')).toEqual([{ kind: 'error', code: 'I', message: 'not executable now' }]);
    expect(decodeMtSics('S +')).toEqual([{ kind: 'error', code: '+', message: 'overload' }]);
    expect(decodeMtSics('S -')).toEqual([{ kind: 'error', code: '-', message: 'underload' }]);
  });

  it('decodes whole-line errors', () => {
    // "ES" syntax, "ET" transmission, "EL" logical [MANUAL, 1.4]
    expect(decodeMtSics('ES')).toEqual([{ kind: 'error', code: 'ES', message: 'syntax error (command not recognised)' }]);
    expect(decodeMtSics('ET')).toEqual([{ kind: 'error', code: 'ET', message: 'transmission error' }]);
    expect(decodeMtSics('EL')).toEqual([{ kind: 'error', code: 'EL', message: 'logical error (cannot execute)' }]);
  });

  it('reads "S S Error 10t" as a balance error, never as a weight', () => {
    // Weight-field error, code 10 (EEPROM), trigger t (terminal) [BUILT from PLR layout, 1.6]
    expect(decodeMtSics('S S     Error 10t')).toEqual([{ kind: 'error', code: 'Error 10t', message: 'balance fault' }]);
  });

  it('decodes the I4 serial number', () => {
    // I4 -> I4 A "B207696838" [OSS-HW, 1.6]
    expect(decodeMtSics('I4 A "B207696838"')).toEqual([{ kind: 'identity', serial: 'B207696838' }]);
  });

  it('classifies well-formed replies it does not use as other', () => {
    // "Z A" [OSS], "TA A 2.486 g" [OSS], "C B" [OSS-HW], "I50 B 0  535.141 g" [OSS-HW] (1.6)
    for (const line of ['Z A', 'TA A 2.486 g', 'C B', 'I50 B 0  535.141 g', 'I2 A "WXS205SDU WXA-Bridge 220.00900 g"'])
      expect(decodeMtSics(line)).toEqual([{ kind: 'other' }]);
  });

  it('calls everything else garbage and never throws', () => {
    const garbage = [
      '',
      '   ',
      'S S abc g', // value not a number
      'S S 1.2.3 g',
      'S S 100.00', // no unit
      'S S 100.00 g extra',
      'S X 1.0 g', // unknown status
      'S',
      'hello world',
      '\u00ff\u00fe\u0001', // line noise at a wrong baud rate, decoded as latin1
      'S S 1.0 g\u0000',
      'EX',
      'S S 1.0 furlong', // unit not a balance unit [KERN KCP, 3.3]
      'S S 1e3 g',
    ];
    for (const line of garbage) expect(decodeMtSics(line).map((f) => f.kind), line).toEqual(['garbage']);
  });
});

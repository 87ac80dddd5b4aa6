// Scanner suffixes vary (CR, LF, CR LF: instruments.md section 5); the framer strips them, the decoder checks the code.
import { describe, expect, it } from 'vitest';
import { decodeScan } from '../../src/devices/scanner/decode.js';

describe('decodeScan', () => {
  it('accepts a printable code and trims padding', () => {
    expect(decodeScan('CELL-0001')).toEqual({ kind: 'code', code: 'CELL-0001' });
    expect(decodeScan('  0123456789 ')).toEqual({ kind: 'code', code: '0123456789' });
  });

  it('rejects empty lines and control characters', () => {
    for (const line of ['', '   ', 'AB\u0002C', 'CELL\u001b[0m', '\u007f', 'A\u0085B', 'A\tB'])
      expect(decodeScan(line)).toEqual({ kind: 'garbage', raw: line });
  });

  it('from a serial line (bytes read as latin1) takes printable ASCII only; typed text may hold letters like "é"', () => {
    // "CELL-0001" at the wrong baud rate: high bits set; and "é" sent as UTF-8 (C3 A9), which latin1 reads as "Ã©".
    for (const line of ['\xc3\xc5\xcc\xcc-0001', 'CAF\xc3\xa9']) expect(decodeScan(line, { bytes: true })).toEqual({ kind: 'garbage', raw: line });
    expect(decodeScan('CELL-0001 A/B', { bytes: true })).toEqual({ kind: 'code', code: 'CELL-0001 A/B' });
    expect(decodeScan('CAFé')).toEqual({ kind: 'code', code: 'CAFé' });
  });
});

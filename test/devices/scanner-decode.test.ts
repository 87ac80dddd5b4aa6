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
});

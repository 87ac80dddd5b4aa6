import { describe, expect, it } from 'vitest';
import { decodeRadwag } from '../../../src/devices/radwag/decode.js';

describe('decodeRadwag (instruments.md 3.4)', () => {
  it.each([
    ['SI ?     0.1234 g  ', { kind: 'reading', quantity: 'mass', value: '0.1234', unit: 'g', stable: false }], // [BUILT]
    ['S        0.1234 g  ', { kind: 'reading', quantity: 'mass', value: '0.1234', unit: 'g', stable: true }], // [BUILT]
    ['SI ?    0.000  g', { kind: 'reading', quantity: 'mass', value: '0.000', unit: 'g', stable: false }], // brief example
    ['SI   -   12.50 kg ', { kind: 'reading', quantity: 'mass', value: '-12.50', unit: 'kg', stable: true }], // [BUILT] layout
    ['SI ^   999.99 g  ', { kind: 'error', code: '^', message: 'above maximum range' }], // [MANUAL] marker
    ['SI v     0.00 g  ', { kind: 'error', code: 'v', message: 'below minimum range' }], // [MANUAL] marker
    ['Z A', { kind: 'ack' }], // [BUILT]
    ['Z D', { kind: 'ack' }], // [MANUAL]
    ['T OK', { kind: 'ack' }], // [MANUAL]
    ['S I', { kind: 'error', code: 'I', message: 'not executable now' }], // [MANUAL]
    ['S E', { kind: 'error', code: 'E', message: 'no stable result in time' }], // [MANUAL]
    ['S ^', { kind: 'error', code: '^', message: 'above maximum range' }], // [MANUAL]
    ['ES', { kind: 'error', code: 'ES', message: 'command not recognised' }], // [MANUAL]
  ])('%j', (line, want) => expect(decodeRadwag(line)).toEqual([want]));

  it.each(['', 'SI ?', 'SI !     0.1234 g', 'si ?     0.1234 g', 'SI ?     0.1234', 'SI ?   + 0.1234 g'])('refuses %j', (line) =>
    expect(decodeRadwag(line)[0]?.kind).toBe('garbage'),
  );
});

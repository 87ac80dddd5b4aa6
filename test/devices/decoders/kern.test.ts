import { describe, expect, it } from 'vitest';
import { decodeKern } from '../../../src/devices/kern/decode.js';

describe('decodeKern (KCP, MT-SICS-shaped, instruments.md 3.3)', () => {
  it.each([
    ['S S      100.00 g', { kind: 'reading', quantity: 'mass', value: '100.00', unit: 'g', stable: true }], // [OSS comment quoting manual]
    ['S D 1.234 g', { kind: 'reading', quantity: 'mass', value: '1.234', unit: 'g', stable: false }], // [OSS InstrumentKit]
    ['S I', { kind: 'error', code: 'I', message: 'not executable now' }], // [MANUAL] KERN CKE
    ['S +', { kind: 'error', code: '+', message: 'overload' }], // [MANUAL]
    ['S -', { kind: 'error', code: '-', message: 'underload' }], // [MANUAL]
    ['ES', { kind: 'error', code: 'ES', message: 'balance error' }], // [MANUAL]
    ['EL', { kind: 'error', code: 'EL', message: 'balance error' }], // [MANUAL]
    ['I4 A "B207696838"', { kind: 'identity', serial: 'B207696838' }], // [OSS-HW]
    ['Z A', { kind: 'other' }], // [OSS]
  ])('%j', (line, want) => expect(decodeKern(line)).toEqual([want]));

  it.each(['', 'S S 1.0 furlong', 'S X 1.0 g', 'S S 1e3 g'])('refuses %j', (line) =>
    expect(decodeKern(line)[0]?.kind).toBe('garbage'),
  );
});

import { describe, expect, it } from 'vitest';
import { decodeOhaus } from '../../../src/devices/ohaus/decode.js';

describe('decodeOhaus (instruments.md 3.2)', () => {
  it.each([
    ['     192.21 g', { kind: 'reading', quantity: 'mass', value: '192.21', unit: 'g', stable: true }], // [MANUAL] Scout Pro
    ['       0.01 g ?', { kind: 'reading', quantity: 'mass', value: '0.01', unit: 'g', stable: false }], // [MANUAL] unstable
    ['    -12.5 kg    ?', { kind: 'reading', quantity: 'mass', value: '-12.5', unit: 'kg', stable: false }], // [BUILT] AS layout
    ['ES', { kind: 'error', code: 'ES', message: 'command not recognised or no stable weight in time' }], // [MANUAL] Adventurer
    ['OK!', { kind: 'ack' }], // [MANUAL] Adventurer xRL
  ])('%j', (line, want) => expect(decodeOhaus(line)).toEqual([want]));

  it.each(['', '192.21', '     192.21 g 12:30:45', '     192.21 g TOTAL', '  +192.21 g', '  192.21 g ! ', '  192.21 xyz'])(
    'refuses %j',
    (line) => expect(decodeOhaus(line)[0]?.kind).toBe('garbage'),
  );
});

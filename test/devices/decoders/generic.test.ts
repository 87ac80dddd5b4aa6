import { describe, expect, it } from 'vitest';
import { decodeGeneric } from '../../../src/devices/generic/decode.js';

const pattern = /^(?<stable>[SU]) (?<value>[+-]?\d+\.\d+) ?(?<unit>[a-z]*)$/;

describe('decodeGeneric', () => {
  it('takes value, unit and stability from named groups', () => {
    const opts = { pattern, stableWhen: 'S', quantity: 'mass' };
    expect(decodeGeneric('S +0001.250 g', opts)).toEqual([{ kind: 'reading', quantity: 'mass', value: '1.250', unit: 'g', stable: true }]);
    expect(decodeGeneric('U -0.5 kg', opts)).toEqual([{ kind: 'reading', quantity: 'mass', value: '-0.5', unit: 'kg', stable: false }]);
  });

  it('falls back to the configured unit and treats lines as stable without stableWhen', () => {
    expect(decodeGeneric('S 12.000', { pattern, unit: 'mm', quantity: 'thickness' })).toEqual([
      { kind: 'reading', quantity: 'thickness', value: '12.000', unit: 'mm', stable: true },
    ]);
  });

  it('refuses non-matching lines, non-decimal values, missing units and overlong lines', () => {
    const kinds = (line: string, extra: object = {}) =>
      decodeGeneric(line, { pattern: /^(?<value>\S+)(?: (?<unit>\w+))?$/, quantity: 'x', ...extra }).map((f) => f.kind);
    expect(kinds('two words here')).toEqual(['garbage']);
    expect(kinds('1e5 mm')).toEqual(['garbage']);
    expect(kinds('NaN mm')).toEqual(['garbage']);
    expect(kinds('1.5')).toEqual(['garbage']);
    expect(kinds('1.5', { unit: 'mm' })).toEqual(['reading']);
    expect(kinds(`${'1'.repeat(300)} mm`)).toEqual(['garbage']);
    expect(kinds(`${'1'.repeat(300)} mm`, { maxLength: 400 })).toEqual(['reading']);
  });

  it('is pure with a global pattern (no lastIndex carried between lines)', () => {
    const opts = { pattern: /(?<value>\d+\.\d+)/g, unit: 'V', quantity: 'voltage' };
    expect(decodeGeneric('1.25', opts)[0]?.kind).toBe('reading');
    expect(decodeGeneric('1.25', opts)[0]?.kind).toBe('reading');
  });
});

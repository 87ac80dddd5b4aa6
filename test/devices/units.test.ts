// Exact decimal unit conversion: values as scaled BigInts, resolution carried over, unknown pairs refused.
import { describe, expect, it } from 'vitest';
import { canConvert, convert } from '../../src/devices/units.js';

describe('convert', () => {
  it.each([
    // Powers of ten are exact; the decimals follow the resolution (0.001 g = 1 mg: no decimals left).
    ['0.123', 'g', 'mg', '123'],
    ['1.005', 'g', 'mg', '1005'], // float: 1.005 * 1000 = 1004.9999999999999
    ['0.3', 'g', 'mg', '300'],
    ['123', 'mg', 'g', '0.123'],
    ['0.1', 'mg', 'g', '0.0001'],
    ['100.00', 'g', 'kg', '0.10000'],
    ['0.1', 'kg', 'g', '100'],
    ['0.57', 'mm', 'um', '570'], // float: 0.57 * 1000 = 569.9999999999999
    ['5', 'um', 'mm', '0.005'],
    ['0.0013600', 'Ohm', 'mOhm', '1.3600'],
    ['1.1', 'mV', 'V', '0.0011'], // float: 1.1 / 1000 = 0.0011000000000000001
    ['3.70000', 'V', 'mV', '3700.00'],
    ['-12.50', 'mg', 'g', '-0.01250'],
    ['0.000', 'g', 'mg', '0'],
    // 1 in = 25.4 mm exactly; in -> mm keeps the step (0.0001 in = 0.00254 mm -> 3 decimals) ...
    ['0.1234', 'in', 'mm', '3.134'],
    ['1.000', 'in', 'mm', '25.40'],
    ['1.0000', 'inch', 'mm', '25.400'],
    // ... and mm -> in, never exact in decimal, rounds half to even at the converted step.
    ['1.000', 'mm', 'in', '0.03937'],
    ['25.400', 'mm', 'in', '1.00000'],
    ['-0.254', 'mm', 'in', '-0.01000'],
    // Same unit: the value comes back normalised, whatever the unit.
    ['+0000.120', 'g', 'g', '0.120'],
    ['253', 'pcs', 'pcs', '253'],
  ])('%s %s -> %s', (value, from, to, want) => expect(convert(value, from, to)).toBe(want));

  it('rounds half to even exactly at the kept resolution', () => {
    // Exact quotients are not rounded: 0.127 mm = 0.005 in (5 decimals), 0.0635 mm = 0.0025 in (6 decimals).
    expect(convert('0.127', 'mm', 'in')).toBe('0.00500');
    expect(convert('0.0635', 'mm', 'in')).toBe('0.002500');
    // 1 mm at integer resolution -> 0.03937 in kept at 2 decimals.
    expect(convert('1', 'mm', 'in')).toBe('0.04');
    // 0.5 in (step 0.1 in = 2.54 mm -> 0 decimals) = 12.7 mm -> 13.
    expect(convert('0.5', 'in', 'mm')).toBe('13');
    // Ties at the kept decimal go to the even digit: 6.35 -> 6.4, 31.75 -> 31.8, 0.45 in = 11.43 mm at 1 decimal -> 11.4.
    expect(convert('0.25', 'in', 'mm')).toBe('6.4');
    expect(convert('1.25', 'in', 'mm')).toBe('31.8');
    expect(convert('-0.25', 'in', 'mm')).toBe('-6.4');
    expect(convert('0.45', 'in', 'mm')).toBe('11.4');
  });

  it('refuses unknown pairs and non-decimal values instead of guessing', () => {
    expect(() => convert('1', 'g', 'mm')).toThrow(/cannot convert g to mm/);
    expect(() => convert('1', 'g', 'oz')).toThrow(/no exact conversion/);
    expect(() => convert('1', 'furlong', 'mm')).toThrow();
    expect(() => convert('1e3', 'g', 'mg')).toThrow(/not a plain decimal/);
    expect(() => convert('0.1+0.2', 'g', 'mg')).toThrow(/not a plain decimal/);
  });

  it('canConvert matches what convert accepts', () => {
    expect(canConvert('g', 'mg')).toBe(true);
    expect(canConvert('mm', 'in')).toBe(true);
    expect(canConvert('Ohm', 'V')).toBe(false);
    expect(canConvert('pcs', 'pcs')).toBe(true);
    expect(canConvert('pcs', 'g')).toBe(false);
  });
});

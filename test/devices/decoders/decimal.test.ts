import { describe, expect, it } from 'vitest';
import { normaliseDecimal, scientificToDecimal } from '../../../src/devices/decimal.js';

describe('normaliseDecimal', () => {
  it.each([
    ['+0000.120', '0.120'],
    ['-0.5', '-0.5'],
    ['-001.2340', '-1.2340'],
    ['.5', '0.5'],
    ['-0.000', '0.000'],
    ['00123', '123'],
  ])('%s -> %s', (text, want) => expect(normaliseDecimal(text)).toBe(want));

  it.each(['1e5', '--1', '', '.', 'NaN', '+', '1.2.3', ' 1', '1 ', '5.', 'Infinity', '0x10', '١٢'])('rejects %j', (text) =>
    expect(normaliseDecimal(text)).toBeUndefined(),
  );
});

describe('scientificToDecimal', () => {
  it.each([
    ['1.3600E-3', '0.0013600'], // Hioki RV example [BUILT from manual table]
    ['3.70000E+0', '3.70000'],
    ['-7.51E+0', '-7.51'], // manual example "-0007.51E+0" once blanks are removed
    ['0001.36E-3', '0.00136'], // manual example "_0001.36E-3"
    ['10.0000E+8', '1000000000'],
    ['1.36E+3', '1360'],
    ['12.5E-1', '1.25'],
    ['-0.000E+3', '0'],
  ])('%s -> %s', (text, want) => expect(scientificToDecimal(text)).toBe(want));

  it.each(['1.5', 'E+3', '1.5E', '1.5E+123', '--1E+0', '1,5E+0', '.E+1'])('rejects %j', (text) =>
    expect(scientificToDecimal(text)).toBeUndefined(),
  );
});

// Mitutoyo Digimatic-format lines from USB/RS-232 data-out converters: "01A+0000.123". D1 "0", D2 channel,
// D3 "A", D4 sign, D5-D12 value with a floating decimal point (instruments.md 4.1). The line carries no unit
// (the caller says which one the gauge is set to) and no stability flag (a sent value is held: stable).
// Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

export interface DigimaticOptions {
  /** Unit the gauge is set to; default mm. */
  unit?: 'mm' | 'in';
}

const DIGIMATIC = /^0([0-9])A([+-][0-9.]{8})$/;

export function decodeDigimatic(line: string, opts: DigimaticOptions = {}): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const m = DIGIMATIC.exec(line.trim());
  const value = m?.[2] === undefined ? undefined : normaliseDecimal(m[2]);
  if (!m || value === undefined) return garbage('not a Digimatic-format line');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: opts.unit ?? 'mm', stable: true, channel: m[1] ?? '' }];
}

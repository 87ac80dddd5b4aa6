// Mitutoyo Digimatic-format lines from USB/RS-232 data-out converters: "01A+0000.123". D1 "0", D2 channel,
// D3 "A", D4 sign, D5-D12 value with a floating decimal point (instruments.md 4.1). The line carries no unit.
// Pure; never throws.
import { normaliseDecimal } from '../decimal.js';

export type DigimaticFrame =
  | { kind: 'reading'; channel: number; value: string }
  | { kind: 'garbage'; raw: string };

const DIGIMATIC = /^0([0-9])A([+-][0-9.]{8})$/;

export function decodeDigimatic(line: string): DigimaticFrame {
  const m = DIGIMATIC.exec(line.trim());
  const value = m?.[2] === undefined ? undefined : normaliseDecimal(m[2]);
  if (!m || value === undefined) return { kind: 'garbage', raw: line };
  return { kind: 'reading', channel: Number(m[1]), value };
}

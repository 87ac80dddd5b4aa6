// Hioki BT3562/BT3563 replies (instruments.md 6.1), header OFF (the *RST default). :FETCh?/:READ? answer with
// one value per measured quantity, comma-separated; RV mode gives resistance then voltage:
// "  1.3600E-3, 3.70000E+0". The sign position is blank for positive values and leading zeros are blanks
// ("-   7.51E+0"). Over-range is reported as +-1E+9 and a measurement fault as +1E+10 (the manual's
// +-10.0000E+8 / +10.0000E+9 ... masks); those become errors, never values. Values are converted by moving the
// decimal point in the text. *IDN? answers "HIOKI,BT3562,0,V1.00" (the third field is always 0, not a
// serial number). Pure; never throws.
import { scientificToDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

export interface HiokiOptions {
  /** The instrument's measurement mode (:FUNCtion / :MODe): which quantities a reply carries, in order. */
  mode?: 'RV' | 'R' | 'V';
}

const IDN = /^HIOKI,([A-Z0-9][A-Z0-9-]*),[^,]*,[^,]*$/;
const FIELD = /^ *([+-]?) *(\d+(?:\.\d+)?E[+-]\d{1,2}) *$/;
const QUANTITIES = {
  R: { quantity: 'resistance', unit: 'Ohm' },
  V: { quantity: 'voltage', unit: 'V' },
} as const;

export function decodeHioki(line: string, opts: HiokiOptions = {}): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const model = IDN.exec(line.trim())?.[1];
  if (model !== undefined) return [{ kind: 'identity', model }];
  const mode = opts.mode ?? 'RV';
  const fields = line.split(',');
  if (fields.length !== mode.length) return garbage(`expected ${mode.length} value(s) for mode ${mode}`);
  const frames: Frame[] = [];
  for (const [i, field] of fields.entries()) {
    const m = FIELD.exec(field);
    const value = m ? scientificToDecimal(`${m[1] ?? ''}${m[2] ?? ''}`) : undefined;
    const which = QUANTITIES[mode[i] as 'R' | 'V'];
    if (value === undefined) return garbage(`field ${i + 1} is not a Hioki number`);
    frames.push(classify(value, which));
  }
  return frames;
}

// Every range's largest normal value is far below 1E+9, so a value with 10 or more integer digits is a sentinel:
// exactly +1E+10 is a measurement fault, anything else (+-1E+9) over range.
function classify(value: string, which: (typeof QUANTITIES)[keyof typeof QUANTITIES]): Frame {
  const [int = ''] = value.replace(/^-/, '').split('.');
  if (int.length >= 10) {
    if (/^10000000000(?:\.0+)?$/.test(value))
      return { kind: 'error', code: 'fault', message: `${which.quantity} measurement fault` };
    return { kind: 'error', code: 'OF', message: `${which.quantity} over range` };
  }
  // The tester has no stability flag: a fetched value is a completed measurement.
  return { kind: 'reading', quantity: which.quantity, value, unit: which.unit, stable: true };
}

// Sylvac Opto-RS lines (instruments.md 4.4): "[sign][int].[frac]" then CR, sign "+", "-" or space: "+12.345".
// "ERR0" sensor, "ERR1" incorrect command, "ERR2" parity, "ERR3" range exceeded; "SY<instr>.<opt1>[.<opt2>]"
// identifies the instrument at switch-on. The line carries no unit: the driver says which one the instrument is
// set to. A sent value is held by the instrument, so it counts as stable. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

export interface SylvacOptions {
  /** Unit the instrument is set to (the line does not say); default mm. */
  unit?: 'mm' | 'in';
}

const VALUE = /^ *([+-]?) *(\d+\.\d+) *$/;
const ERR = /^ERR([0-3])$/;
const IDENT = /^(SY[A-Za-z0-9]+(?:\.[A-Za-z0-9]+){1,2})$/;
const ERR_MESSAGES = ['sensor error', 'incorrect command', 'parity error', 'range exceeded'];

export function decodeSylvac(line: string, opts: SylvacOptions = {}): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const text = line.trim();
  const err = ERR.exec(text)?.[1];
  if (err !== undefined) return [{ kind: 'error', code: `ERR${err}`, message: ERR_MESSAGES[Number(err)] ?? 'error' }];
  const model = IDENT.exec(text)?.[1];
  if (model !== undefined) return [{ kind: 'identity', model }];
  const m = VALUE.exec(line);
  const value = m ? normaliseDecimal(`${m[1] ?? ''}${m[2] ?? ''}`) : undefined;
  if (value === undefined) return garbage('not a Sylvac Opto-RS value');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: opts.unit ?? 'mm', stable: true }];
}

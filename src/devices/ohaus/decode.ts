// Ohaus balance print lines (instruments.md 3.2): "     192.21 g" stable, "       0.01 g ?" unstable (trailing
// "?"); weight right-justified with polarity blank or "-", then unit, then the stability column. "ES" = invalid
// command or print-on-stable timeout; "OK!" answers a command when xRL is on. Lines with an appended interval
// time or TOTAL are not plain weights and are refused. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';

const WEIGHT = /^ *(-)? *(\d+(?:\.\d+)?|\.\d+) +(\S{1,5})(?: +(\?))? *$/;

export function decodeOhaus(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const text = line.trim();
  if (text === 'ES') return [{ kind: 'error', code: 'ES', message: 'command not recognised or no stable weight in time' }];
  if (text === 'OK!') return [{ kind: 'ack' }];
  const m = WEIGHT.exec(line);
  if (!m) return garbage('not an Ohaus print line');
  const [, sign = '', digits = '', unit = '', unstable] = m;
  const value = normaliseDecimal(sign + digits);
  const quantity = balanceQuantity(unit);
  if (value === undefined) return garbage('not an Ohaus print line');
  if (quantity === undefined) return garbage(`unit "${unit}" not recognised`);
  return [{ kind: 'reading', quantity, value, unit, stable: unstable === undefined }];
}

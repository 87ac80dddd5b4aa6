// RADWAG replies (instruments.md 3.4). Weight frame: command, space, stability marker (space stable, "?"
// unstable, "^" above max, "v" below min), space, sign (space or "-"), mass right-justified, space, unit:
// "SI ?     0.1234 g  ". Short replies "XX A" accepted, "XX D" done, "XX OK", "XX I" not executable now,
// "XX ^"/"XX v" out of range, "XX E" no stable result in time; "ES" command not recognised. Parsed by
// whitespace (the documented vectors are built from the layout, not captured). Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';

const COMMAND = '[A-Z][A-Z0-9]{0,3}';
const WEIGHT = new RegExp(`^(${COMMAND}) ([ ?^v]) *(-)? *(\\d+(?:\\.\\d+)?|\\.\\d+) +(\\S{1,3}) *$`);
const REPLY = new RegExp(`^(${COMMAND}) (A|D|OK|I|\\^|v|E) *$`);

const RANGE_ERRORS: Record<string, Frame> = {
  '^': { kind: 'error', code: '^', message: 'above maximum range' },
  v: { kind: 'error', code: 'v', message: 'below minimum range' },
};

export function decodeRadwag(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  if (line.trim() === 'ES') return [{ kind: 'error', code: 'ES', message: 'command not recognised' }];
  const reply = REPLY.exec(line)?.[2];
  if (reply !== undefined) {
    if (reply === 'A' || reply === 'D' || reply === 'OK') return [{ kind: 'ack' }];
    if (reply === 'I') return [{ kind: 'error', code: 'I', message: 'not executable now' }];
    if (reply === 'E') return [{ kind: 'error', code: 'E', message: 'no stable result in time' }];
    return [RANGE_ERRORS[reply] ?? { kind: 'garbage', reason: 'unknown reply' }];
  }
  const m = WEIGHT.exec(line);
  if (!m) return garbage('not a RADWAG reply');
  const [, , marker = '', sign = '', digits = '', unit = ''] = m;
  const range = RANGE_ERRORS[marker];
  if (range) return [range];
  const value = normaliseDecimal(sign + digits);
  const quantity = balanceQuantity(unit);
  if (value === undefined) return garbage('not a RADWAG reply');
  if (quantity === undefined) return garbage(`unit "${unit}" not recognised`);
  return [{ kind: 'reading', quantity, value, unit, stable: marker === ' ' }];
}

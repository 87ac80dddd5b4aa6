// Adept MUX-2/4 lines (instruments.md 4.6): "1 MW+00013.67 mm" (channel, the "MW" tag as documented, signed
// value, unit). Only the documented tag is accepted: the meaning of others is unknown. Gauges have no
// stability flag: a channel read counts as stable. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

const VALUE = /^([1-4]) MW([+-]\d+\.\d+) +(mm|in|inch) *$/;

export function decodeAdeptMux(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const m = VALUE.exec(line);
  const value = m?.[2] === undefined ? undefined : normaliseDecimal(m[2]);
  if (!m || value === undefined) return garbage('not an Adept multiplexer line');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: m[3] ?? '', stable: true, channel: m[1] ?? '' }];
}

// Metro Mux2/4/8 multiplexer lines (instruments.md 4.6): "Vx:#uuuu#ttt#seeeee.dddddd", e.g.
// "V2: mm       -00001.250000" (channel, unit, padding, signed value); errors "Nxy:Ex". Values come from
// gauges, which have no stability flag: a channel read counts as stable. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

const VALUE = /^V([1-8]): *(mm|in|inch|um) +([+-]?\d+\.\d+) *$/;
const ERROR = /^N(\d{1,2}):(E\w)$/;

export function decodeMetroMux(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const err = ERROR.exec(line);
  if (err) return [{ kind: 'error', code: err[2] ?? '', message: `multiplexer input N${err[1] ?? ''} reports ${err[2] ?? ''}` }];
  const m = VALUE.exec(line);
  const value = m?.[3] === undefined ? undefined : normaliseDecimal(m[3]);
  if (!m || value === undefined) return garbage('not a Metro multiplexer line');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: m[2] ?? '', stable: true, channel: m[1] ?? '' }];
}

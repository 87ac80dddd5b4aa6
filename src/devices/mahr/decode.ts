// Mahr Millimar OPTORSD replies (instruments.md 4.5): "?" -> "xxx.xxx<unit>" (units mm, in, um);
// "ID?" -> "MAHR GMBH,C1208 "; "UNI?" -> "mm ". The gauge has no stability flag; a queried value counts as
// stable. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

const VALUE = /^ *([+-]?) *(\d+\.\d+) *(mm|in|um) *$/;
const ID = /^MAHR GMBH,([A-Za-z0-9][A-Za-z0-9 .-]*?) *$/;
const UNIT_ONLY = /^ *(mm|in|um) *$/;

export function decodeMahr(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const model = ID.exec(line)?.[1];
  if (model !== undefined) return [{ kind: 'identity', model }];
  if (UNIT_ONLY.test(line)) return [{ kind: 'other' }];
  const m = VALUE.exec(line);
  const value = m ? normaliseDecimal(`${m[1] ?? ''}${m[2] ?? ''}`) : undefined;
  if (!m || value === undefined) return garbage('not a Millimar value');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: m[3] ?? '', stable: true }];
}

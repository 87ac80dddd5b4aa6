// KERN KCP replies are MT-SICS-shaped (instruments.md 3.3), so the rules live in the MT-SICS decoder; this
// only maps its frames onto the shared Frame shape. Pure; never throws.
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';
import { decodeMtSics } from '../mtsics/decode.js';

const STATUS_MESSAGES = { I: 'not executable now', '+': 'overload', '-': 'underload' } as const;

export function decodeKern(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const f = decodeMtSics(line);
  switch (f.kind) {
    case 'weight': {
      const quantity = balanceQuantity(f.unit);
      if (quantity === undefined) return garbage(`unit "${f.unit}" not recognised`);
      return [{ kind: 'reading', quantity, value: f.value, unit: f.unit, stable: f.stable }];
    }
    case 'status':
      return [{ kind: 'error', code: f.code, message: STATUS_MESSAGES[f.code] }];
    case 'error':
      return [{ kind: 'error', code: f.code, message: f.detail === undefined ? 'balance error' : `balance error ${f.detail}` }];
    case 'identity':
      return [{ kind: 'identity', serial: f.serial }];
    case 'other':
      return [{ kind: 'other' }];
    case 'garbage':
      return garbage('not a KCP reply');
  }
}

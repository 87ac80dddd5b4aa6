// MT-SICS reply lines (Mettler Toledo, and KERN KCP which is MT-SICS-shaped, instruments.md 3.3): "ID Status
// Params". Parsed by whitespace, never by column: the weight field width is not documented (instruments.md
// 1.2). Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';

const PRINTABLE = /^[\x20-\x7e]+$/;
const IDENTITY = /^I4 A "([^"]*)"$/;
// ID of 1-4 characters, one status character, optional parameters (instruments.md 1.2, 1.4).
const WELL_FORMED = /^[A-Z][A-Z0-9]{0,3} [ABSDIL+-](?: .*)?$/;

// Whole-line errors and the S status replies (instruments.md 1.4).
const ERRORS: Record<string, string> = {
  ES: 'syntax error (command not recognised)',
  ET: 'transmission error',
  EL: 'logical error (cannot execute)',
};
const STATUS: Record<string, string> = { I: 'not executable now', '+': 'overload', '-': 'underload' };

export function decodeMtSics(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  const text = line.trim();
  if (!PRINTABLE.test(text)) return garbage('not printable ASCII');
  const tokens = text.split(/\s+/);
  const [id = '', status = ''] = tokens;

  const error = ERRORS[id];
  if (tokens.length === 1 && error) return [{ kind: 'error', code: id, message: error }];
  if (id === 'S') {
    const condition = STATUS[status];
    if (tokens.length === 2 && condition) return [{ kind: 'error', code: status, message: condition }];
    if (status === 'S' || status === 'D') return decodeWeight(tokens, status === 'S');
    return garbage('unknown S reply');
  }
  const serial = IDENTITY.exec(text)?.[1];
  if (serial !== undefined) return [{ kind: 'identity', serial }];
  if (WELL_FORMED.test(text)) return [{ kind: 'other' }];
  return garbage('not an MT-SICS reply');
}

function decodeWeight(tokens: string[], stable: boolean): Frame[] {
  // "S S Error 10t": the balance reports a fault in the weight field (code and trigger), never a weight.
  if (tokens.length === 4 && tokens[2] === 'Error') return [{ kind: 'error', code: `Error ${tokens[3] ?? ''}`, message: 'balance fault' }];
  const [, , valueText = '', unit = ''] = tokens;
  const value = normaliseDecimal(valueText);
  if (tokens.length !== 4 || value === undefined) return garbage('not an MT-SICS weight');
  const quantity = balanceQuantity(unit);
  if (quantity === undefined) return garbage(`unit "${unit}" not recognised`);
  return [{ kind: 'reading', quantity, value, unit, stable }];
}

// MT-SICS reply lines (Mettler Toledo, also KERN KCP): "ID Status Params". Parsed by whitespace, never by
// column: the weight field width is not documented (instruments.md 1.2). Pure; never throws.
import { normaliseDecimal } from '../decimal.js';

export type MtSicsErrorCode =
  /** Whole-line errors: syntax, transmission, logical. */
  | 'ES'
  | 'ET'
  | 'EL'
  /** "S S Error 10t": the balance reports a fault in the weight field; `detail` holds code and trigger. */
  | 'balance';

export type MtSicsFrame =
  | { kind: 'weight'; stable: boolean; value: string; unit: string }
  /** I: not executable now, +: overload, -: underload. */
  | { kind: 'status'; code: 'I' | '+' | '-' }
  | { kind: 'error'; code: MtSicsErrorCode; detail?: string }
  | { kind: 'identity'; serial: string }
  /** A well-formed reply the daemon does not use ("Z A", "TA A 2.486 g", ...). */
  | { kind: 'other'; raw: string }
  | { kind: 'garbage'; raw: string };

const PRINTABLE = /^[\x20-\x7e]+$/;
const UNIT = /^[A-Za-z%/]{1,6}$/;
const IDENTITY = /^I4 A "([^"]*)"$/;
// ID of 1-4 characters, one status character, optional parameters (instruments.md 1.2, 1.4).
const WELL_FORMED = /^[A-Z][A-Z0-9]{0,3} [ABSDIL+-](?: .*)?$/;

export function decodeMtSics(line: string): MtSicsFrame {
  const text = line.trim();
  if (!PRINTABLE.test(text)) return { kind: 'garbage', raw: line };
  const tokens = text.split(/\s+/);
  const [id, status] = tokens;

  if (tokens.length === 1 && (id === 'ES' || id === 'ET' || id === 'EL')) return { kind: 'error', code: id };
  if (id === 'S') {
    if (tokens.length === 2 && (status === 'I' || status === '+' || status === '-')) return { kind: 'status', code: status };
    if (status === 'S' || status === 'D') return decodeWeight(tokens, status === 'S', line);
    return { kind: 'garbage', raw: line };
  }
  const identity = IDENTITY.exec(text);
  if (identity) return { kind: 'identity', serial: identity[1] ?? '' };
  if (WELL_FORMED.test(text)) return { kind: 'other', raw: line };
  return { kind: 'garbage', raw: line };
}

function decodeWeight(tokens: string[], stable: boolean, raw: string): MtSicsFrame {
  if (tokens.length === 4 && tokens[2] === 'Error') return { kind: 'error', code: 'balance', detail: tokens[3] ?? '' };
  const [, , valueText = '', unit = ''] = tokens;
  const value = normaliseDecimal(valueText);
  if (tokens.length !== 4 || value === undefined || !UNIT.test(unit)) return { kind: 'garbage', raw };
  return { kind: 'weight', stable, value, unit };
}

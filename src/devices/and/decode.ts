// A&D balance lines (instruments.md 3.1): standard format "ST,+00123.45  g" (2-character header, polarity, zero
// padding, 3-character unit), DP format "WT   +123.45  g", CSV "ST,+0000.1278,  g", GC comparator
// "ST,OK,+...". Headers: ST stable, US unstable, QT counting (stable), WT weight in DP format, OL overload
// (whatever follows: the OCR could not show whether a unit does). "EC,Exx" errors; ACK is 0x06, which some
// models send without a terminator, so it may arrive glued to the front of the next line. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';

const ACK = '\x06';
const DATA = /^(ST|US|QT|WT)(?:,(?:OK|LO|HI|--))?(?:,| +)([+-]) *(\d+(?:\.\d+)?|\.\d+)(?:,| )? *(\S{1,3})$/;
const OVERLOAD = /^OL(?:[, ]|$)/;
const EC = /^EC,(E\d{2})$/;

// GC series error table (3.1).
const EC_MESSAGES: Record<string, string> = {
  E01: 'undefined command',
  E02: 'not executable',
  E04: 'too many characters',
  E05: 'no ID',
  E06: 'format error',
  E07: 'value out of range',
  E11: 'unstable, cannot zero or tare',
};

export function decodeAnd(line: string): Frame[] {
  const long = tooLong(line);
  if (long) return long;
  let rest = line;
  const frames: Frame[] = [];
  while (rest.startsWith(ACK)) {
    frames.push({ kind: 'ack' });
    rest = rest.slice(1);
  }
  if (rest === '' && frames.length > 0) return frames;
  return [...frames, ...decodeBody(rest)];
}

function decodeBody(line: string): Frame[] {
  if (OVERLOAD.test(line)) {
    const under = line.startsWith('OL,-');
    return [{ kind: 'error', code: 'OL', message: under ? 'underload (negative out of range)' : 'overload' }];
  }
  const ec = EC.exec(line)?.[1];
  if (ec !== undefined) return [{ kind: 'error', code: ec, message: EC_MESSAGES[ec] ?? 'command error' }];
  const m = DATA.exec(line);
  if (!m) return garbage('not an A&D data line');
  const [, header = '', sign = '', digits = '', unit = ''] = m;
  const value = normaliseDecimal(sign + digits);
  const quantity = balanceQuantity(unit);
  if (value === undefined) return garbage('not an A&D data line');
  if (quantity === undefined) return garbage(`unit "${unit}" not recognised`);
  // QT is the counting-mode header (counting is never a mass reading); US may still carry PC while counting.
  if (header === 'QT' && quantity !== 'count') return garbage(`counting header with unit "${unit}"`);
  return [{ kind: 'reading', quantity, value, unit, stable: header !== 'US' }];
}

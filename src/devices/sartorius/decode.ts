// Sartorius SBI data lines (instruments.md 2.2-2.6): 16 characters "+     0.00 g  " or 22 with a 6-character ID
// "N     +    0.006 g  " (14/20 once the framer has removed CR LF). Parsed by whitespace, not by column: the
// documented examples are partly space-collapsed ("Qnt +    253 pcs  "). A blank unit means "not stable yet"
// (observed on Cubis MSE and PMA, 2.3). Pure; never throws.
//
// Identity: answers to ESC x1_ (model, "MSE1203S-100-DR") and ESC x2_ (serial, "SerNo.    0031801165") share the
// line with weights and can be interleaved with autoprint lines (2.4). Some look like weights to a naive
// parser, and a model line carries no marker at all, so the line alone cannot always tell. Hence the driver,
// which knows what it just asked, passes `expect`; a line that is not a plausible answer of that kind is then
// decoded as a weight line, so an interleaved autoprint weight is not mistaken for an identity. The "SerNo."
// label is recognised in every mode. In weight mode a bare unsigned number without decimal point or unit is
// refused, because that is what an unlabelled serial number looks like.
import { normaliseDecimal } from '../decimal.js';
import { balanceQuantity, garbage, tooLong, type Frame } from '../decoded.js';

export interface SartoriusOptions {
  /** What the driver is waiting for: a weight (default), or the answer to ESC x1_ (model) / ESC x2_ (serial). */
  expect?: 'weight' | 'model' | 'serial';
}

// 22 characters minus CR LF.
const MAX_LINE = 20;
// ID prefix: a letter then letters/digits/#/* ("N", "G#", "Qnt"); "." and ":" are excluded so that
// "SerNo. 0031801165" and "BAC: 00-39-21" cannot pass as ID + weight (sartoriuslib pitfall, 2.6).
const ID = '[A-Za-z][A-Za-z0-9#*]{0,5}';
// Layout (2.2): sign or blank, a blank, value right-aligned, a blank, unit. Those blanks are required: without
// them short noise such as "6g" or "+4" would read as a weight.
const WEIGHT = new RegExp(`^(?:(${ID}) +)?(?:([+-])| ) +(\\d+(?:\\.\\d+)?|\\.\\d+)(?: +(\\S{1,3}))? *$`);
const SIGNUM = new RegExp(`^(?:${ID} +)?[+-]? *(HH?|LL?|C) *$`);
const ERR = new RegExp(`^(?:${ID} +)?Err +(\\d{1,3}) *$`);
const STAT = /^Stat +(\S.*?) *$/;
const SERIAL = /^ *(?:SerNo\.)? *([A-Za-z0-9-]+) *$/;
const LABELLED_SERIAL = /^ *SerNo\. *([A-Za-z0-9-]+) *$/;
const MODEL = /^ *([A-Za-z0-9][A-Za-z0-9._/-]*) *$/;

export function decodeSartorius(line: string, opts: SartoriusOptions = {}): Frame[] {
  const long = tooLong(line, MAX_LINE);
  if (long) return long;
  const expect = opts.expect ?? 'weight';
  if (expect === 'serial') {
    const serial = SERIAL.exec(line)?.[1];
    if (serial !== undefined) return [{ kind: 'identity', serial }];
  }
  if (expect === 'model') {
    const model = MODEL.exec(line)?.[1];
    if (model !== undefined && /[A-Za-z]/.test(model)) return [{ kind: 'identity', model }];
  }
  const labelled = LABELLED_SERIAL.exec(line)?.[1];
  if (labelled !== undefined) return [{ kind: 'identity', serial: labelled }];
  return decodeSpecial(line) ?? decodeWeight(line);
}

function decodeSpecial(line: string): Frame[] | undefined {
  const stat = STAT.exec(line)?.[1];
  if (stat !== undefined) {
    if (stat === 'High') return [{ kind: 'error', code: 'Stat High', message: 'overload' }];
    if (stat === 'Low') return [{ kind: 'error', code: 'Stat Low', message: 'underload' }];
    if (/^ERR +\d+$/.test(stat)) return [{ kind: 'error', code: `Stat ${stat}`, message: 'balance error' }];
    // "Stat Cal. Ext." and other status texts: the balance is busy, not weighing.
    return [{ kind: 'other' }];
  }
  const err = ERR.exec(line)?.[1];
  if (err !== undefined) return [{ kind: 'error', code: `Err ${err}`, message: 'balance error' }];
  const signum = SIGNUM.exec(line)?.[1];
  if (signum === 'H' || signum === 'HH') return [{ kind: 'error', code: signum, message: 'overload' }];
  if (signum === 'L' || signum === 'LL') return [{ kind: 'error', code: signum, message: 'underweight' }];
  if (signum === 'C') return [{ kind: 'other' }];
  return undefined;
}

function decodeWeight(line: string): Frame[] {
  const m = WEIGHT.exec(line);
  if (!m) return garbage('not an SBI data line');
  const [, id, sign = '', digits = '', unit] = m;
  if (id === undefined && sign === '' && unit === undefined && !digits.includes('.'))
    return garbage('bare integer without sign or unit (an unlabelled serial number looks like this)');
  const value = normaliseDecimal(sign + digits);
  if (value === undefined) return garbage('not an SBI data line');
  // Blank unit = unstable (2.3). The unit is unknown then; mass is the weighing default and an unstable
  // reading never passes the station's filter, so the guess cannot reach the outbox.
  if (unit === undefined) return [{ kind: 'reading', quantity: 'mass', value, unit: '', stable: false }];
  const quantity = balanceQuantity(unit);
  if (quantity === undefined) return garbage(`unit "${unit}" not recognised`);
  return [{ kind: 'reading', quantity, value, unit, stable: true }];
}

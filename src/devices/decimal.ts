// Instruments pad and sign their numbers ("+0000.120"); keep the digits that carry resolution, drop the padding.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d+))?$/;

/**
 * "+0000.120" -> "0.120", "-001.2340" -> "-1.2340", ".5" -> "0.5". Trailing zeros stay (they are the resolution);
 * a zero value loses its sign. Returns undefined for anything that is not a plain decimal number.
 */
export function normaliseDecimal(text: string): string | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [, sign = '', intDigits = '', frac] = m;
  if (intDigits === '' && frac === undefined) return undefined;
  const int = intDigits.replace(/^0+/, '') || '0';
  const body = frac === undefined ? int : `${int}.${frac}`;
  const isZero = /^[0.]+$/.test(body);
  return sign === '-' && !isZero ? `-${body}` : body;
}

const SCIENTIFIC = /^([+-]?)(\d*)(?:\.(\d+))?[eE]([+-]?\d{1,2})$/;

/**
 * "1.3600E-3" -> "0.0013600", "-7.51E+0" -> "-7.51": moves the decimal point in the text, never through a float,
 * so no digit is invented or lost. Returns undefined for anything that is not mantissa-E-exponent.
 */
export function scientificToDecimal(text: string): string | undefined {
  const m = SCIENTIFIC.exec(text);
  if (!m) return undefined;
  const [, sign = '', intDigits = '', frac = '', expText = '0'] = m;
  if (intDigits === '' && frac === '') return undefined;
  let digits = intDigits + frac;
  let point = intDigits.length + Number(expText);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const body = point === digits.length ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return normaliseDecimal(sign + body);
}

/** A decimal as an exact scaled integer: value = int / 10^scale. */
export interface Scaled {
  int: bigint;
  scale: number;
}

/** "-1.250" -> { int: -1250n, scale: 3 }. Returns undefined for anything normaliseDecimal refuses. */
export function toScaled(text: string): Scaled | undefined {
  const norm = normaliseDecimal(text);
  if (norm === undefined) return undefined;
  const [int = '', frac = ''] = norm.split('.');
  return { int: BigInt(int + frac), scale: frac.length };
}

/** { int: -1250n, scale: 3 } -> "-1.250": the scale is the number of decimals written. */
export function fromScaled({ int, scale }: Scaled): string {
  const digits = (int < 0n ? -int : int).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return int < 0n ? `-${body}` : body;
}

/** The same value at a larger scale (more decimals), exactly. */
export function rescale(d: Scaled, scale: number): bigint {
  return d.int * 10n ** BigInt(scale - d.scale);
}

// Exact unit conversion on decimal text, for the station (a property configured in mg fed by a balance in g).
// Values stay scaled BigInts end to end: no float ever holds a reading, so "0.57" mm is "570" um, never
// 569.9999999999999. The result keeps the instrument's resolution: its step, converted, decides how many
// decimals are written (0.001 g -> 1 mg -> no decimals; 0.001 mm -> 0.0000394 in -> 5 decimals). Power-of-ten
// conversions are therefore exact; mm -> in (1 in = 25.4 mm exactly) is rounded half-to-even at that resolution.
import { fromScaled, toScaled } from './decimal.js';

interface UnitDef {
  dimension: 'mass' | 'length' | 'resistance' | 'voltage';
  /** Size in the dimension's base unit, as the exact fraction num/den. */
  num: bigint;
  den: bigint;
}

const unit = (dimension: UnitDef['dimension'], num: bigint, den = 1n): UnitDef => ({ dimension, num, den });

const UNITS: Readonly<Record<string, UnitDef>> = {
  g: unit('mass', 1n),
  mg: unit('mass', 1n, 1000n),
  kg: unit('mass', 1000n),
  mm: unit('length', 1n),
  um: unit('length', 1n, 1000n),
  'µm': unit('length', 1n, 1000n),
  in: unit('length', 254n, 10n),
  // Metro and Adept multiplexers print "inch".
  inch: unit('length', 254n, 10n),
  Ohm: unit('resistance', 1n),
  mOhm: unit('resistance', 1n, 1000n),
  V: unit('voltage', 1n),
  mV: unit('voltage', 1n, 1000n),
};

/** True when convert(value, from, to) can succeed (same unit, or both in the table with one dimension). */
export function canConvert(from: string, to: string): boolean {
  if (from === to) return true;
  const a = UNITS[from];
  const b = UNITS[to];
  return a !== undefined && b !== undefined && a.dimension === b.dimension;
}

/**
 * convert("1.005", "g", "mg") === "1005"; convert("1.000", "mm", "in") === "0.03937". Throws on a value that is
 * not a plain decimal and on a unit pair outside the table (never guesses). The same unit returns the value
 * normalised, whatever the unit.
 */
export function convert(value: string, from: string, to: string): string {
  const v = toScaled(value);
  if (v === undefined) throw new Error(`cannot convert "${value}": not a plain decimal number`);
  if (from === to) return fromScaled(v);
  const a = UNITS[from];
  const b = UNITS[to];
  if (!a || !b || a.dimension !== b.dimension) throw new Error(`cannot convert ${from} to ${to}: no exact conversion known`);
  // value_to = value_from * p / q
  const p = a.num * b.den;
  const q = a.den * b.num;
  // Fewest decimals whose last digit is no coarser than the converted step: 10^-scale <= 10^-v.scale * p / q.
  let scale = 0;
  while (10n ** BigInt(scale) * p < 10n ** BigInt(v.scale) * q) scale++;
  const numerator = v.int * p * 10n ** BigInt(scale);
  const denominator = q * 10n ** BigInt(v.scale);
  return fromScaled({ int: divideHalfEven(numerator, denominator), scale });
}

function divideHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const m = negative ? -n : n;
  let quotient = m / d;
  const twice = 2n * (m % d);
  if (twice > d || (twice === d && quotient % 2n === 1n)) quotient++;
  return negative ? -quotient : quotient;
}

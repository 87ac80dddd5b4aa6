// Exact decimal arithmetic on the instruments' text, so a mean or a limit check never goes through a float.
import { scientificToDecimal } from '../devices/decimal.js';

// A decimal is an integer of units at a given scale: "0.512" = { units: 512n, scale: 3 }.

export interface Dec {
  units: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

export function parseDec(text: string): Dec | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const [, sign, int = '0', frac = ''] = m;
  const units = BigInt(int + frac);
  return { units: sign === '-' ? -units : units, scale: frac.length };
}

/** From a config number (plausibility limits): JS prints the shortest text that round-trips, maybe as 1e-7. */
export function decFromNumber(n: number): Dec {
  const text = String(n);
  const d = parseDec(text) ?? parseDec(scientificToDecimal(text) ?? '');
  if (!d) throw new Error(`${text} is not a finite number`);
  return d;
}

function rescale(d: Dec, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function compareDec(a: Dec, b: Dec): number {
  const s = Math.max(a.scale, b.scale);
  const x = rescale(a, s);
  const y = rescale(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function formatDec(d: Dec): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const body = d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
  return neg ? `-${body}` : body;
}

/** Round half away from zero of n/den (den > 0). */
function divRound(n: bigint, den: bigint): bigint {
  const q = n / den;
  const r = n % den;
  if (2n * (r < 0n ? -r : r) >= den) return n < 0n ? q - 1n : q + 1n;
  return q;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

export interface PointStats {
  mean: string;
  /** False when the mean does not terminate within 6 extra digits and was rounded (e.g. 3 points). */
  meanExact: boolean;
  min: string;
  max: string;
  /** Sample standard deviation (n - 1), rounded half-up to one digit past the finest reading; absent for one point. */
  std?: string;
}

/** Statistics over the points' decimal texts (all must parse). */
export function pointStats(texts: readonly string[]): PointStats {
  const ds = texts.map((t) => {
    const d = parseDec(t);
    if (!d) throw new Error(`"${t}" is not a decimal number`);
    return d;
  });
  const scale = Math.max(...ds.map((d) => d.scale));
  const a = ds.map((d) => rescale(d, scale));
  const n = BigInt(a.length);
  const sum = a.reduce((x, y) => x + y, 0n);
  let mean: Dec | undefined;
  for (let extra = 0; extra <= 6 && !mean; extra++) {
    const scaled = sum * 10n ** BigInt(extra);
    if (scaled % n === 0n) mean = { units: scaled / n, scale: scale + extra };
  }
  const meanExact = mean !== undefined;
  mean ??= { units: divRound(sum * 1000n, n), scale: scale + 3 };
  const sorted = [...ds].sort(compareDec);
  const stats: PointStats = { mean: formatDec(mean), meanExact, min: formatDec(sorted[0]!), max: formatDec(sorted.at(-1)!) };
  if (a.length < 2) return stats;
  // var * 10^(2*scale) = (n*sum(a^2) - sum(a)^2) / (n(n-1)); at one more digit multiply by 100.
  const num = (n * a.reduce((x, y) => x + y * y, 0n) - sum * sum) * 100n;
  const den = n * (n - 1n);
  const r = isqrt(num / den);
  // Round half up: r+1 when num/den >= (r + 1/2)^2, i.e. 4*num >= (4r^2 + 4r + 1) * den.
  const rounded = 4n * num >= (4n * r * r + 4n * r + 1n) * den ? r + 1n : r;
  return { ...stats, std: formatDec({ units: rounded, scale: scale + 1 }) };
}

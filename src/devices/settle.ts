// Software stability for instruments that send no stability flag (gauges, testers, a generic device): a
// reading counts as stable once the last `count` readings, this one included, lie within `tolerance` of each
// other (max - min, exact decimals, same unit). It stays stable while new readings keep the window tight, so
// a station that arms after the value settled still gets a stable reading. A reading the decoder itself calls
// unstable, or a unit change, starts the window again.
import { rescale, toScaled, type Scaled } from './decimal.js';

export interface SettleRule {
  count: number;
  /** Decimal text in the reading's unit, e.g. "0.002". */
  tolerance: string;
}

export class Settler {
  private window: Scaled[] = [];
  private unit: string | undefined;

  constructor(private readonly rule: SettleRule) {}

  /** Adds a reading; returns whether it is stable under the rule. */
  push(reading: { value: string; unit: string; stable: boolean }): boolean {
    const value = toScaled(reading.value);
    if (!reading.stable || value === undefined || reading.unit !== this.unit) this.reset();
    if (!reading.stable || value === undefined) return false;
    this.unit = reading.unit;
    this.window.push(value);
    if (this.window.length > this.rule.count) this.window.shift();
    return this.window.length === this.rule.count && this.spreadWithinTolerance();
  }

  /** Forgets the window, e.g. on reconnect (the next readings may come from another setup). */
  reset(): void {
    this.window = [];
    this.unit = undefined;
  }

  private spreadWithinTolerance(): boolean {
    const tolerance = toScaled(this.rule.tolerance);
    if (tolerance === undefined) return false;
    const scale = Math.max(tolerance.scale, ...this.window.map((v) => v.scale));
    const ints = this.window.map((v) => rescale(v, scale));
    let min = ints[0] ?? 0n;
    let max = min;
    for (const i of ints) {
      if (i < min) min = i;
      if (i > max) max = i;
    }
    return max - min <= rescale(tolerance, scale);
  }
}

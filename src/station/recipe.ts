// The recipe side of a station, pure: is a value plausible, and which flat Quantity properties a set of points
// becomes (a multi-point property sends its mean plus <name>_min, _max, _std and _p1.._pN).
import type { PropertySource } from '../config/schema.js';
import { compareDec, decFromNumber, parseDec, pointStats } from './decimal-stats.js';
import type { Quantity } from './measurement-schema.js';

/** Why a value is outside the property's plausibility limits, in the operator's words; undefined when inside. */
export function limitProblem(value: string, unit: string, src: PropertySource): string | undefined {
  const d = parseDec(value);
  if (!d) return `"${value}" is not a number`;
  if (src.min !== undefined && compareDec(d, decFromNumber(src.min)) < 0) return `${value} ${unit} is below the minimum ${src.min} ${unit}: measure again`;
  if (src.max !== undefined && compareDec(d, decFromNumber(src.max)) > 0) return `${value} ${unit} is above the maximum ${src.max} ${unit}: measure again`;
  return undefined;
}

export interface BuiltProperties {
  properties: Record<string, Quantity>;
  /** Properties whose mean did not terminate and was rounded (see pointStats). */
  roundedMeans: string[];
}

/** Flat Quantity properties for the complete properties of a cell (key -> decimal texts of its points). */
export function buildProperties(sources: Record<string, PropertySource>, points: ReadonlyMap<string, readonly string[]>): BuiltProperties {
  const properties: Record<string, Quantity> = {};
  const roundedMeans: string[] = [];
  for (const [key, src] of Object.entries(sources)) {
    const values = points.get(key);
    if (!values || values.length < src.points) continue;
    const name = src.name ?? key;
    const q = (text: string): Quantity => ({ value: Number(text), unit: src.unit });
    if (src.points === 1) {
      properties[name] = q(values[0]!);
      continue;
    }
    const s = pointStats(values);
    if (!s.meanExact) roundedMeans.push(name);
    properties[name] = q(s.mean);
    properties[`${name}_min`] = q(s.min);
    properties[`${name}_max`] = q(s.max);
    if (s.std !== undefined) properties[`${name}_std`] = q(s.std);
    values.forEach((v, i) => (properties[`${name}_p${i + 1}`] = q(v)));
  }
  return { properties, roundedMeans };
}

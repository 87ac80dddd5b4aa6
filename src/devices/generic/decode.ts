// A line device described by configuration: a regex with named groups `value` (required), `unit` and
// `stable`. The value must still be a plain decimal (the shared normaliser decides, never the pattern).
// Without `stableWhen` every matching line is stable (devices without a stability signal); with it, a line is
// stable only when its `stable` group equals that text. Pure; never throws.
import { normaliseDecimal } from '../decimal.js';
import { garbage, tooLong, type Frame } from '../decoded.js';

export interface GenericOptions {
  pattern: RegExp;
  /** Used when the pattern has no `unit` group or it did not match. */
  unit?: string;
  /** Stable iff the `stable` group captured exactly this text. */
  stableWhen?: string;
  /** What the device measures ("thickness", "mass", ...): the line cannot say. */
  quantity: string;
  /** Longer lines are refused before the pattern runs (bounds a slow pattern's work). */
  maxLength?: number;
}

export function decodeGeneric(line: string, opts: GenericOptions): Frame[] {
  const long = tooLong(line, opts.maxLength);
  if (long) return long;
  // A global or sticky pattern carries lastIndex between calls; a fresh copy keeps the decoder pure.
  const groups = new RegExp(opts.pattern.source, opts.pattern.flags.replace(/[gy]/g, '')).exec(line)?.groups;
  if (!groups) return garbage('line does not match the configured pattern');
  const value = groups.value === undefined ? undefined : normaliseDecimal(groups.value.trim());
  if (value === undefined) return garbage('value group is not a plain decimal number');
  const unit = groups.unit?.trim() || opts.unit;
  if (!unit) return garbage('no unit in the line and none configured');
  const stable = opts.stableWhen === undefined || groups.stable === opts.stableWhen;
  return [{ kind: 'reading', quantity: opts.quantity, value, unit, stable }];
}

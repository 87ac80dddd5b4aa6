// One result shape for the per-line decoders of every instrument family beyond the spine's MT-SICS/Digimatic.
// Every decoder returns Frame[]: most lines carry one frame, but a Hioki RV reply carries two readings and an
// A&D ACK byte can arrive glued to the next line. Decoders are pure and never throw.

export type Frame =
  | {
      kind: 'reading';
      /** "mass", "count", "thickness", "resistance", "voltage", ... */
      quantity: string;
      /** Normalised decimal text that keeps the instrument's resolution ("+0000.120" -> "0.120"). */
      value: string;
      unit: string;
      stable: boolean;
      /** Input channel, for multiplexers that put several gauges on one line. */
      channel?: string;
    }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'identity'; model?: string; serial?: string }
  | { kind: 'ack' }
  /** A well-formed line the daemon does not use (status, settings echo). */
  | { kind: 'other' }
  | { kind: 'garbage'; reason: string };

export type LineDecoder = (line: string) => Frame[];

/** No line of these families is anywhere near this long; refusing early bounds regex work on noise. */
export const MAX_DECODED_LINE = 256;

export function garbage(reason: string): Frame[] {
  return [{ kind: 'garbage', reason }];
}

export function tooLong(line: string, max = MAX_DECODED_LINE): Frame[] | undefined {
  return line.length > max ? garbage(`line of ${line.length} characters is longer than ${max}`) : undefined;
}

// Balance units as the instruments print them. Anything else is refused rather than guessed (design note 5 in
// instruments.md); counting modes are readings too, but of quantity "count", never "mass".
const MASS_UNITS = new Set(['g', 'mg', 'kg', 'ct', 'oz', 'ozt', 'lb', 'dwt', 'GN']);
const COUNT_UNITS = new Set(['PC', 'PCS', 'pcs', 'pc']);

export function balanceQuantity(unit: string): 'mass' | 'count' | undefined {
  if (MASS_UNITS.has(unit)) return 'mass';
  if (COUNT_UNITS.has(unit)) return 'count';
  return undefined;
}

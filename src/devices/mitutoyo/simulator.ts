// The gauge's side of the wire: one Digimatic-format line per DATA press.
import type { SimLink } from '../sim-link.js';

/** "0.523" -> "01A+0000.523": channel, sign, then 8 characters zero-padded. */
export function digimaticLine(value: string, channel = 1): string {
  const negative = value.startsWith('-');
  const digits = value.replace(/^[+-]/, '').padStart(8, '0');
  return `0${channel}A${negative ? '-' : '+'}${digits}`;
}

export class DigimaticSimulator {
  constructor(private readonly link: SimLink) {}

  /** Sends `value` (e.g. "0.523" or "-1.234") as "01A+0000.523\r". */
  send(value: string, channel = 1): void {
    this.link.write(`${digimaticLine(value, channel)}\r`);
  }
}

// The gauge's side of the wire: one Digimatic-format line per DATA press.
import type { SimLink } from '../sim-link.js';

export class DigimaticSimulator {
  constructor(private readonly link: SimLink) {}

  /** Sends `value` (e.g. "0.523" or "-1.234") as "01A+0000.523\r": sign, then 8 characters zero-padded. */
  send(value: string, channel = 1): void {
    const negative = value.startsWith('-');
    const digits = value.replace(/^[+-]/, '').padStart(8, '0');
    this.link.write(`0${channel}A${negative ? '-' : '+'}${digits}\r`);
  }
}

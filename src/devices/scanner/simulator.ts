// The scanner's side of the wire: the code followed by the configured suffix.
import type { SimLink } from '../sim-link.js';

export class ScannerSimulator {
  constructor(private readonly link: SimLink) {}

  scan(code: string, terminator: '\r' | '\n' | '\r\n' = '\r\n'): void {
    this.link.write(`${code}${terminator}`);
  }
}

// The balance's side of the wire: answers MT-SICS commands the way the reference vectors show
// (instruments.md 1.6), with a settling phase so drivers see "S D" before "S S".
import { LineFramer } from '../framing/line-framer.js';
import type { SimLink } from '../sim-link.js';

export interface MtSicsSimulatorOptions {
  /** Serial number answered to I4. */
  serial?: string;
}

export class MtSicsSimulator {
  private readonly framer = new LineFramer({ maxLineBytes: 256 });
  private target = '0.000';
  private settling = 0;
  private muted = false;

  constructor(
    private readonly link: SimLink,
    private readonly opts: MtSicsSimulatorOptions = {},
  ) {}

  start(): void {
    this.link.on('data', this.onData);
  }

  stop(): void {
    this.link.off('data', this.onData);
  }

  /** Puts `grams` (decimal text, its decimals are the resolution) on the pan: `settleReplies` S D answers first. */
  load(grams: string, settleReplies = 2): void {
    this.target = grams;
    this.settling = settleReplies;
  }

  /** Empties the pan: back to zero, at the same resolution, after settling. */
  unload(settleReplies = 2): void {
    this.load((0).toFixed(decimals(this.target)), settleReplies);
  }

  /** The operator presses PRINT: the balance sends its weight line unasked (print-key mode). */
  press(): void {
    this.link.write(`${weightLine('S', this.target)}\r\n`);
  }

  /** A muted balance reads commands but answers nothing, like one switched off behind a live adapter. */
  mute(on: boolean): void {
    this.muted = on;
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const command of this.framer.push(chunk)) {
      if (!this.muted) this.link.write(`${this.reply(command.trim())}\r\n`);
    }
  };

  private reply(command: string): string {
    switch (command) {
      case 'SI':
        if (this.settling > 0) return weightLine('D', nearby(this.target, this.settling--));
        return weightLine('S', this.target);
      case 'S':
        this.settling = 0;
        return weightLine('S', this.target);
      case 'I4':
        return `I4 A "${this.opts.serial ?? 'B207696838'}"`;
      case 'Z':
        return 'Z A';
      default:
        return 'ES';
    }
  }
}

// Padded like the manual's example "S S      100.00 g"; parsers must not depend on the padding.
function weightLine(status: 'S' | 'D', grams: string): string {
  return `S ${status} ${grams.padStart(10)} g`;
}

function decimals(text: string): number {
  return text.split('.')[1]?.length ?? 0;
}

/** A value still moving towards `target`: further away the more settling replies remain. */
function nearby(target: string, remaining: number): string {
  const d = decimals(target);
  const n = Number(target);
  return (n + (Math.abs(n) * 0.01 + 3 * 10 ** -d) * remaining).toFixed(d);
}

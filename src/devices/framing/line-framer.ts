// Splits a byte stream into text lines. Bounded: an overlong line is dropped up to its next terminator, so a
// device spewing garbage (wrong baud, no terminator) can never grow memory; the next good line still decodes.

const CR = 0x0d;
const LF = 0x0a;

export interface LineFramerOptions {
  /** Longest accepted line in bytes (terminator excluded). */
  maxLineBytes: number;
}

export class LineFramer {
  private pending: Buffer = Buffer.alloc(0);
  /** True while throwing away the rest of an overlong line. */
  private skipping = false;
  private discardCount = 0;

  constructor(private readonly opts: LineFramerOptions) {}

  /** Bytes held for the line in progress; never more than maxLineBytes. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Overlong lines thrown away so far (drivers compare it across pushes to log discards). */
  get discarded(): number {
    return this.discardCount;
  }

  /** Returns the lines completed by `chunk`. CR, LF and CR LF all end a line; empty lines are dropped. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== CR && b !== LF) continue;
      this.take(chunk.subarray(start, i));
      if (this.skipping) this.skipping = false;
      else if (this.pending.length > 0) lines.push(this.pending.toString('latin1'));
      this.pending = Buffer.alloc(0);
      start = i + 1;
    }
    this.take(chunk.subarray(start));
    return lines;
  }

  /** Forgets a partial line, e.g. when the port is reopened and old bytes belong to another connection. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.skipping = false;
  }

  private take(segment: Buffer): void {
    if (this.skipping || segment.length === 0) return;
    if (this.pending.length + segment.length > this.opts.maxLineBytes) {
      this.discardCount++;
      this.pending = Buffer.alloc(0);
      this.skipping = true;
      return;
    }
    // Copy: the chunk's memory belongs to the stream and may be reused.
    this.pending = Buffer.concat([this.pending, segment]);
  }
}

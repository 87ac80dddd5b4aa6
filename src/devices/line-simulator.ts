// The instrument's side of a line protocol, for tests, the demo and `simulate`: answers reading requests and
// fixed queries (identity), or pushes a line when the operator "presses PRINT". A family is a SimProfile (data,
// not a class); MT-SICS/KERN keep their own MtSicsSimulator.
import { fromScaled, toScaled } from './decimal.js';
import { LineFramer } from './framing/line-framer.js';
import type { SimLink } from './sim-link.js';

export interface SimProfile {
  /** Commands (terminator stripped) that ask for a reading. */
  reads: readonly string[];
  /** The line for a reading, without terminator; `command` is the request (a multiplexer's channel digit). */
  render(value: string, stable: boolean, command: string): string;
  /** Fixed answers, e.g. identity queries. */
  replies?: Readonly<Record<string, string>>;
  /** Answer to any other command; none means silence (SCPI instruments answer nothing). */
  unknown?: string;
  eol: '\r\n' | '\r';
  /** Commands are single characters without terminator (multiplexer channel digits). */
  charCommands?: boolean;
  /** Starting value: decimal text whose decimals are the instrument's resolution. */
  initial: string;
}

export class LineSimulator {
  private readonly framer = new LineFramer({ maxLineBytes: 256 });
  private value: string;
  private settling = 0;
  private muted = false;

  constructor(
    private readonly link: SimLink,
    private readonly profile: SimProfile,
  ) {
    this.value = profile.initial;
  }

  start(): void {
    this.link.on('data', this.onData);
  }

  stop(): void {
    this.link.off('data', this.onData);
  }

  /** Puts `value` (decimal text, its decimals are the resolution) on the instrument: `settleReplies` moving readings first. */
  load(value: string, settleReplies = 2): void {
    this.value = value;
    this.settling = settleReplies;
  }

  /** Back to zero at the same resolution, after settling. */
  unload(settleReplies = 2): void {
    this.load((0).toFixed(this.value.split('.')[1]?.length ?? 0), settleReplies);
  }

  /** A muted instrument reads commands but answers nothing, like one switched off behind a live adapter. */
  mute(on: boolean): void {
    this.muted = on;
  }

  /** The operator presses PRINT/DATA: one reading line, unasked. */
  press(command = this.profile.reads[0] ?? '1'): void {
    this.link.write(this.reading(command) + this.profile.eol);
  }

  /** Sends any text as the instrument, e.g. noise or a status line. */
  send(line: string): void {
    this.link.write(line + this.profile.eol);
  }

  private readonly onData = (chunk: Buffer): void => {
    const commands = this.profile.charCommands ? [...chunk.toString('latin1')].filter((c) => c.trim() !== '') : this.framer.push(chunk).map((c) => c.trim());
    for (const command of commands) {
      const answer = this.answer(command);
      if (!this.muted && answer !== undefined) this.link.write(answer + this.profile.eol);
    }
  };

  private answer(command: string): string | undefined {
    if (this.profile.reads.includes(command)) return this.reading(command);
    return this.profile.replies?.[command] ?? this.profile.unknown;
  }

  private reading(command: string): string {
    if (this.settling > 0) return this.profile.render(nudge(this.value, this.settling--), false, command);
    return this.profile.render(this.value, true, command);
  }
}

/** A value still moving towards `value`: 3 resolution steps per remaining settling reply above it. */
function nudge(value: string, remaining: number): string {
  const v = toScaled(value);
  return v === undefined ? value : fromScaled({ int: v.int + BigInt(3 * remaining), scale: v.scale });
}

/** Sign and magnitude of decimal text, for fixed-column formats. */
export function signed(value: string): { negative: boolean; abs: string } {
  return { negative: value.startsWith('-'), abs: value.replace(/^[+-]/, '') };
}

// Keyboard-wedge input: raw evdev records -> typed lines. Two pure, stateful steps with no I/O:
// InputEventParser cuts the byte stream into `struct input_event` records (a read may split one), and
// WedgeDecoder turns key events into the text a keyboard with the configured layout would type, one line per
// Enter. The caller passes the time with every call (from its injected clock); it never reads a clock itself.
import { normaliseDecimal } from '../decimal.js';
import { garbage, type Frame } from '../decoded.js';
import { decodeDigimatic } from '../mitutoyo/decode.js';
import { CHORD_KEYS, KEY_CAPSLOCK, KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTALT, KEY_RIGHTSHIFT, keyChar, type Layout } from './keymap.js';

export const EV_KEY = 1;
/** `struct input_event` on 64-bit Linux: struct timeval (2 x 8 bytes), u16 type, u16 code, s32 value. */
export const INPUT_EVENT_BYTES = 24;

export interface InputEvent {
  type: number;
  code: number;
  /** For EV_KEY: 1 press, 0 release, 2 autorepeat. */
  value: number;
}

export class InputEventParser {
  private rest: Buffer = Buffer.alloc(0);

  /** Bytes of a record still incomplete; always < INPUT_EVENT_BYTES. */
  get buffered(): number {
    return this.rest.length;
  }

  push(chunk: Buffer): InputEvent[] {
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const events: InputEvent[] = [];
    let at = 0;
    for (; at + INPUT_EVENT_BYTES <= data.length; at += INPUT_EVENT_BYTES) {
      events.push({ type: data.readUInt16LE(at + 16), code: data.readUInt16LE(at + 18), value: data.readInt32LE(at + 20) });
    }
    // Copy: the chunk's memory belongs to the stream and may be reused.
    this.rest = Buffer.from(data.subarray(at));
    return events;
  }

  /** Drops a partial record, e.g. when the device is reopened. */
  reset(): void {
    this.rest = Buffer.alloc(0);
  }
}

export type WedgeFrame =
  /** The text typed before Enter. */
  | { kind: 'line'; text: string }
  /** A line that cannot be trusted; `partial` is what had been typed so far. */
  | { kind: 'rejected'; reason: string; partial: string };

export interface WedgeDecoderOptions {
  layout: Layout;
  /** A gap longer than this between two keys abandons the line in progress (a stray key, a half scan). */
  interKeyTimeoutMs: number;
  /** Longest accepted line; typing beyond it rejects the line (memory stays bounded). */
  maxLineLength: number;
}

export class WedgeDecoder {
  private text = '';
  /** Why the line in progress is already lost (a key with no character, too long); reported at Enter. */
  private taint: string | undefined;
  /**
   * Set when the inter-key timeout abandoned a line: keys up to the next Enter are its rest, not a new line.
   * Otherwise a value typed across a stall (the daemon's event loop blocked by a save, a USB hiccup) would come
   * back as its tail: "12,345" interrupted after "12,3" would yield a reading of 45.
   */
  private abandoned = false;
  private lastKeyAt: number | undefined;
  private shiftKeys = new Set<number>();
  private chordKeys = new Set<number>();
  private altGr = false;
  private capsLock = false;

  constructor(private readonly opts: WedgeDecoderOptions) {}

  /** Whether a line is in progress (the driver arms its timeout only then). */
  get pending(): boolean {
    return this.text !== '' || this.taint !== undefined;
  }

  push(events: InputEvent[], now: number): WedgeFrame[] {
    const out: WedgeFrame[] = [];
    for (const ev of events) {
      if (ev.type !== EV_KEY) continue; // EV_SYN, EV_MSC (scan codes), EV_LED: not keystrokes
      const expired = this.expire(now);
      if (expired) out.push(expired);
      const frame = this.key(ev.code, ev.value);
      if (frame) out.push(frame);
      if (ev.value !== 0) this.lastKeyAt = now;
    }
    return out;
  }

  /** Abandons the line in progress if no key came for longer than the timeout. Call it from a timer too. */
  expire(now: number): WedgeFrame | undefined {
    if (!this.pending || this.lastKeyAt === undefined || now - this.lastKeyAt <= this.opts.interKeyTimeoutMs) return undefined;
    const frame = this.finish(`no key for more than ${this.opts.interKeyTimeoutMs} ms before Enter`);
    this.abandoned = true;
    return frame;
  }

  /** Ends the line in progress as rejected, e.g. when the device goes away before its Enter. */
  abandon(reason: string): WedgeFrame | undefined {
    return this.pending ? this.finish(reason) : undefined;
  }

  /** Forgets everything, modifiers included: a reopened device starts with no keys held. */
  reset(): void {
    this.text = '';
    this.taint = undefined;
    this.abandoned = false;
    this.lastKeyAt = undefined;
    this.shiftKeys.clear();
    this.chordKeys.clear();
    this.altGr = false;
    this.capsLock = false;
  }

  private key(code: number, value: number): WedgeFrame | undefined {
    const down = value !== 0;
    if (code === KEY_LEFTSHIFT || code === KEY_RIGHTSHIFT) return void (down ? this.shiftKeys.add(code) : this.shiftKeys.delete(code));
    if (CHORD_KEYS.has(code)) return void (down ? this.chordKeys.add(code) : this.chordKeys.delete(code));
    if (code === KEY_RIGHTALT) return void (this.altGr = down);
    if (!down) return undefined;
    if (code === KEY_CAPSLOCK) {
      if (value === 1) this.capsLock = !this.capsLock;
      return undefined;
    }
    if (code === KEY_ENTER || code === KEY_KPENTER) {
      const frame = this.pending ? this.finish(this.taint ?? (this.abandoned ? 'rest of a line abandoned after the inter-key timeout' : undefined)) : undefined;
      this.abandoned = false;
      return frame;
    }
    const ch = this.chordKeys.size > 0 ? undefined : keyChar(this.opts.layout, code, { shift: this.shiftKeys.size > 0, capsLock: this.capsLock, altGr: this.altGr });
    if (this.taint) return undefined;
    if (ch === undefined) this.taint = `key code ${code} types no character on this layout${this.chordKeys.size > 0 ? ' with Ctrl/Alt/Meta held' : ''}`;
    else if (this.text.length >= this.opts.maxLineLength) this.taint = `longer than ${this.opts.maxLineLength} characters`;
    else this.text += ch;
    return undefined;
  }

  private finish(reason = this.taint): WedgeFrame {
    const frame: WedgeFrame = reason === undefined ? { kind: 'line', text: this.text } : { kind: 'rejected', reason, partial: this.text };
    this.text = '';
    this.taint = undefined;
    return frame;
  }
}

/**
 * A line typed by a gauge (Mitutoyo USB-ITN in keyboard mode): the bare value ("12.345", or "12,345" for a
 * German/French PC; no thousands separator ever occurs) or, from some cables, the Digimatic line itself
 * ("01A+0000.123"). The line carries no unit: the caller says which one the gauge is set to.
 */
export function decodeGaugeLine(text: string, opts: { unit: string }): Frame[] {
  const [digimatic] = decodeDigimatic(text);
  const value = digimatic?.kind === 'reading' ? digimatic.value : normaliseDecimal(text.trim().replace(/^([+-]?\d*),(\d+)$/, '$1.$2'));
  if (value === undefined) return garbage('not a decimal number');
  return [{ kind: 'reading', quantity: 'thickness', value, unit: opts.unit, stable: true }];
}

// The keyboard's side of an event device: the input_event records a wedge scanner or gauge produces when it
// types a line on a given layout (press/release per key, Shift or AltGr around the keys that need them, a
// SYN_REPORT after each change, Enter at the end). Feeds FIFOs in tests and `ionworks-edge simulate`.
import { EV_KEY, INPUT_EVENT_BYTES } from './decode.js';
import { KEY_ENTER, KEY_LEFTSHIFT, KEY_RIGHTALT, type Layout } from './keymap.js';

const EV_SYN = 0;

export function inputEvent(type: number, code: number, value: number, at = 0): Buffer {
  const b = Buffer.alloc(INPUT_EVENT_BYTES);
  b.writeBigInt64LE(BigInt(Math.floor(at / 1000)), 0);
  b.writeBigInt64LE(BigInt((at % 1000) * 1000), 8);
  b.writeUInt16LE(type, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return b;
}

/** A key press or release followed by its SYN_REPORT, as the kernel delivers them. */
function keyEvent(code: number, value: 0 | 1): Buffer[] {
  return [inputEvent(EV_KEY, code, value), inputEvent(EV_SYN, 0, 0)];
}

/** Records typing `text` then Enter on `layout`. Throws for a character the layout cannot type. */
export function encodeLine(text: string, layout: Layout): Buffer {
  const out: Buffer[] = [];
  for (const ch of text) {
    const found = findKey(layout, ch);
    if (!found) throw new Error(`"${ch}" cannot be typed on this layout`);
    const modifier = found.level === 1 ? KEY_LEFTSHIFT : found.level === 2 ? KEY_RIGHTALT : undefined;
    if (modifier !== undefined) out.push(...keyEvent(modifier, 1));
    out.push(...keyEvent(found.code, 1), ...keyEvent(found.code, 0));
    if (modifier !== undefined) out.push(...keyEvent(modifier, 0));
  }
  out.push(...keyEvent(KEY_ENTER, 1), ...keyEvent(KEY_ENTER, 0));
  return Buffer.concat(out);
}

function findKey(layout: Layout, ch: string): { code: number; level: number } | undefined {
  for (const level of [0, 1, 2]) {
    for (const [code, levels] of layout) if (levels[level] === ch) return { code, level };
  }
  return undefined;
}

export interface ByteSink {
  write(data: Buffer): unknown;
}

export class HidKeyboardSimulator {
  constructor(
    private readonly sink: ByteSink,
    private readonly layout: Layout,
  ) {}

  /** Types `text` and Enter, as a scanner does for a barcode or a USB-ITN cable for a DATA press. */
  typeLine(text: string): void {
    this.sink.write(encodeLine(text, this.layout));
  }
}

// Keyboard-wedge decoding: input_event byte vectors -> typed lines, per layout, with the timeout and bounds.
import { describe, expect, it } from 'vitest';
import { InputEventParser, WedgeDecoder, type InputEvent, type WedgeFrame } from '../../../src/devices/hid/decode.js';
import { LAYOUTS, type LayoutName } from '../../../src/devices/hid/keymap.js';
import { encodeLine } from '../../../src/devices/hid/simulator.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// struct input_event on x86_64: tv_sec (8) | tv_usec (8) | type u16 | code u16 | value s32, little-endian.
const KEY_A_PRESS = hex('80 de 2f 6a 00 00 00 00  40 e2 01 00 00 00 00 00  0100 1e00 01000000'); // EV_KEY KEY_A 1
const SYN_REPORT = hex('80 de 2f 6a 00 00 00 00  40 e2 01 00 00 00 00 00  0000 0000 00000000'); // EV_SYN 0 0
const MSC_SCAN = hex('80 de 2f 6a 00 00 00 00  40 e2 01 00 00 00 00 00  0400 0400 04000700'); // EV_MSC MSC_SCAN 0x70004
const KEY_A_RELEASE = hex('81 de 2f 6a 00 00 00 00  10 27 00 00 00 00 00 00  0100 1e00 00000000'); // EV_KEY KEY_A 0
const SHIFT_PRESS = hex('81 de 2f 6a 00 00 00 00  20 4e 00 00 00 00 00 00  0100 2a00 01000000'); // KEY_LEFTSHIFT 1
const SHIFT_RELEASE = hex('81 de 2f 6a 00 00 00 00  30 75 00 00 00 00 00 00  0100 2a00 00000000'); // KEY_LEFTSHIFT 0
const ENTER_PRESS = hex('82 de 2f 6a 00 00 00 00  00 00 00 00 00 00 00 00  0100 1c00 01000000'); // KEY_ENTER 1
const KPENTER_PRESS = hex('82 de 2f 6a 00 00 00 00  00 00 00 00 00 00 00 00  0100 6000 01000000'); // KEY_KPENTER 1

function decoder(layout: LayoutName = 'us', interKeyTimeoutMs = 100, maxLineLength = 64) {
  const parser = new InputEventParser();
  const wedge = new WedgeDecoder({ layout: LAYOUTS[layout], interKeyTimeoutMs, maxLineLength });
  return { parser, wedge, feed: (bytes: Buffer, now = 0): WedgeFrame[] => wedge.push(parser.push(bytes), now) };
}

const typed = (layout: LayoutName, bytes: Buffer) => decoder(layout).feed(bytes);

describe('InputEventParser', () => {
  it('reads type, code and value from 24-byte records and ignores the timestamp', () => {
    expect(new InputEventParser().push(Buffer.concat([MSC_SCAN, KEY_A_PRESS, SYN_REPORT]))).toEqual<InputEvent[]>([
      { type: 4, code: 4, value: 0x70004 },
      { type: 1, code: 30, value: 1 },
      { type: 0, code: 0, value: 0 },
    ]);
  });

  it('keeps a record split across reads until it is complete, whatever the split', () => {
    const all = Buffer.concat([KEY_A_PRESS, KEY_A_RELEASE, ENTER_PRESS]);
    for (let cut = 1; cut < all.length; cut++) {
      const p = new InputEventParser();
      const events = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut))];
      expect(events.map((e) => e.code)).toEqual([30, 30, 28]);
      expect(p.buffered).toBe(0);
    }
    const p = new InputEventParser();
    expect(p.push(KEY_A_PRESS.subarray(0, 23))).toEqual([]);
    expect(p.buffered).toBe(23);
  });
});

describe('WedgeDecoder', () => {
  it('types a line from the annotated records and ends it on Enter or keypad Enter', () => {
    expect(typed('us', Buffer.concat([MSC_SCAN, KEY_A_PRESS, SYN_REPORT, KEY_A_RELEASE, SYN_REPORT, ENTER_PRESS]))).toEqual([{ kind: 'line', text: 'a' }]);
    expect(typed('us', Buffer.concat([SHIFT_PRESS, KEY_A_PRESS, KEY_A_RELEASE, SHIFT_RELEASE, KEY_A_PRESS, KPENTER_PRESS]))).toEqual([
      { kind: 'line', text: 'Aa' },
    ]);
  });

  it('ignores a lone Enter (no empty codes)', () => {
    expect(typed('us', ENTER_PRESS)).toEqual([]);
  });

  it('tracks Shift on both sides and CapsLock, which only acts on letters', () => {
    const d = decoder('us');
    const key = (code: number, value: number) => ({ type: 1, code, value });
    // CapsLock on, "a1", right Shift + "a1", CapsLock off, "a", Enter
    const frames = d.wedge.push(
      [key(58, 1), key(58, 0), key(30, 1), key(30, 0), key(2, 1), key(2, 0), key(54, 1), key(30, 1), key(2, 1), key(54, 0), key(58, 1), key(30, 1), key(28, 1)],
      0,
    );
    expect(frames).toEqual([{ kind: 'line', text: 'A1a!a' }]);
  });

  it('decodes the same key codes differently per layout', () => {
    // key codes 21 (US "y"), 44 (US "z"), 16 (US "q"), 30 (US "a"), 3 (US "2"), then Enter
    const keys = Buffer.concat([21, 44, 16, 30, 3].map((code) => hex(`${'00'.repeat(16)} 0100 ${code.toString(16).padStart(2, '0')}00 01000000`)));
    const all = Buffer.concat([keys, ENTER_PRESS]);
    expect(typed('us', all)).toEqual([{ kind: 'line', text: 'yzqa2' }]);
    expect(typed('de', all)).toEqual([{ kind: 'line', text: 'zyqa2' }]);
    expect(typed('fr', all)).toEqual([{ kind: 'line', text: 'ywaqé' }]);
  });

  it('round-trips real-world codes through each layout, Shift and AltGr included', () => {
    const cases: Array<[LayoutName, string]> = [
      ['us', 'CELL-2024_0001/A#7'],
      ['de', 'Zelle-ÄÖÜ_0001@lab'],
      ['fr', 'CELL-2024_0001/A#7'], // digits are shifted on AZERTY, "#" needs AltGr
    ];
    for (const [layout, text] of cases) expect(typed(layout, encodeLine(text, LAYOUTS[layout]))).toEqual([{ kind: 'line', text }]);
  });

  it('a decimal typed by a gauge cable on a French PC: Shift for digits, the dot is Shift+";"', () => {
    expect(typed('fr', encodeLine('-12.345', LAYOUTS.fr))).toEqual([{ kind: 'line', text: '-12.345' }]);
  });

  it('refuses a line containing a key with no character (dead key, F-key, Ctrl chord) instead of dropping the key', () => {
    const key = (code: number, value = 1) => ({ type: 1, code, value });
    const d = decoder('de');
    // "a", then the de dead key "^" (code 41), "b", Enter
    expect(d.wedge.push([key(30), key(41), key(48), key(28)], 0)).toEqual([
      { kind: 'rejected', reason: 'key code 41 types no character on this layout', partial: 'a' },
    ]);
    // Ctrl+C in the middle of a line
    expect(d.wedge.push([key(30), key(29), key(46), key(29, 0), key(28)], 0)).toEqual([
      { kind: 'rejected', reason: 'key code 46 types no character on this layout with Ctrl/Alt/Meta held', partial: 'a' },
    ]);
    // the decoder recovers: the next line is clean
    expect(d.wedge.push([key(48), key(28)], 0)).toEqual([{ kind: 'line', text: 'b' }]);
  });

  it('abandons a partial line after the inter-key timeout (injected time), on the next key or when asked', () => {
    const d = decoder('us', 100);
    const key = (code: number, value = 1) => ({ type: 1, code, value });
    expect(d.wedge.push([key(30), key(30, 0)], 1_000)).toEqual([]);
    expect(d.wedge.expire(1_100)).toBeUndefined(); // exactly the timeout: still the same line
    expect(d.wedge.push([key(48), key(48, 0)], 1_100)).toEqual([]);
    // 101 ms of silence: "ab" is discarded, and so is what follows up to Enter: it may be the rest of the same
    // line (typed across a stall), and a tail such as "45" of "12,345" must never pass for a value of its own.
    expect(d.wedge.push([key(46), key(28)], 1_201)).toEqual([
      { kind: 'rejected', reason: 'no key for more than 100 ms before Enter', partial: 'ab' },
      { kind: 'rejected', reason: 'rest of a line abandoned after the inter-key timeout', partial: 'c' },
    ]);
    expect(d.wedge.push([key(46), key(28)], 1_300)).toEqual([{ kind: 'line', text: 'c' }]); // the next line is whole again
    d.wedge.push([key(30)], 2_000);
    expect(d.wedge.pending).toBe(true);
    expect(d.wedge.expire(2_101)).toEqual({ kind: 'rejected', reason: 'no key for more than 100 ms before Enter', partial: 'a' });
    expect(d.wedge.pending).toBe(false);
  });

  it('autorepeat types like a press; a held key past the length limit rejects the line and memory stays bounded', () => {
    const key = (code: number, value = 1) => ({ type: 1, code, value });
    const d = decoder('us', 100, 16);
    expect(d.wedge.push([key(30), key(30, 2), key(30, 0), key(28)], 0)).toEqual([{ kind: 'line', text: 'aa' }]);
    const held = [key(30), ...Array.from({ length: 10_000 }, () => key(30, 2)), key(28)];
    expect(d.wedge.push(held, 0)).toEqual([{ kind: 'rejected', reason: 'longer than 16 characters', partial: 'a'.repeat(16) }]);
  });

  it('never throws on random bytes and never yields a line without an Enter record', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const d = decoder('us', 100, 32);
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 500) }, () => Math.floor(rand() * 256)));
      const events = d.parser.push(bytes);
      const frames = d.wedge.push(events, round);
      expect(d.parser.buffered).toBe(bytes.length % 24);
      const enter = events.some((e) => e.type === 1 && (e.code === 28 || e.code === 96) && e.value !== 0);
      if (!enter) expect(frames.filter((f) => f.kind === 'line')).toEqual([]);
      for (const f of frames) if (f.kind === 'line') expect(f.text.length).toBeLessThanOrEqual(32);
    }
  });
});

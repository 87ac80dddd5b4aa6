// Linux key codes (linux/input-event-codes.h) to characters, per keyboard layout. A keyboard-wedge scanner or
// gauge sends key codes for the layout the host is assumed to have, so a scanner set up for a German or French
// PC must be decoded with that layout or "Z" and "Y" (or "A" and "Q", and every digit) come out swapped.
// Dead keys (´ ` ^ on de, ^ ¨ on fr) are left out on purpose: they type nothing by themselves, so a code that
// uses one is refused rather than guessed. Pure data; no I/O.
import type { DeviceConfig } from '../../config/schema.js';

export const KEY_ENTER = 28;
export const KEY_KPENTER = 96;
export const KEY_LEFTSHIFT = 42;
export const KEY_RIGHTSHIFT = 54;
export const KEY_CAPSLOCK = 58;
export const KEY_RIGHTALT = 100; // AltGr on European layouts
/** Ctrl, left Alt and Meta: a character typed while one is held is a shortcut, not part of a code. */
export const CHORD_KEYS: ReadonlySet<number> = new Set([29, 97, 56, 125, 126]);

/** One key: the character unshifted, shifted, and with AltGr (undefined where that level types nothing). */
export type KeyLevels = readonly [normal: string | undefined, shift?: string, altgr?: string];
export type Layout = ReadonlyMap<number, KeyLevels>;

export type LayoutName = Extract<DeviceConfig, { kind: 'hid-scanner' }>['layout'];

// Rows by key code: 2-13 digit row, 16-27 top row, 30-41 home row, 43-53 bottom row; 86 is the ISO "<>" key.
const DIGIT_ROW = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const TOP_ROW = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const HOME_ROW = [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41];
const BOTTOM_ROW = [43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53];

/** Builds a layout from row strings, one character per key code; "\0" is a level that types nothing. */
function rows(spec: Array<[codes: number[], normal: string, shift: string]>, altgr: Record<number, string>, kpDot: string): Layout {
  const map = new Map<number, KeyLevels>();
  for (const [codes, normal, shift] of spec) {
    const n = [...normal];
    const s = [...shift];
    codes.forEach((code, i) => {
      const levels = [n[i], s[i]].map((c) => (c === '\0' ? undefined : c));
      if (levels[0] !== undefined || levels[1] !== undefined) map.set(code, [levels[0], levels[1]]);
    });
  }
  for (const [code, ch] of Object.entries(altgr)) {
    const levels = map.get(Number(code)) ?? [undefined];
    map.set(Number(code), [levels[0], levels[1], ch]);
  }
  map.set(57, [' ', ' ']);
  // The keypad types the same on every layout with NumLock on, except its decimal key.
  const keypad: Array<[number, string]> = [
    [71, '7'], [72, '8'], [73, '9'], [74, '-'], [75, '4'], [76, '5'], [77, '6'], [78, '+'],
    [79, '1'], [80, '2'], [81, '3'], [82, '0'], [83, kpDot], [55, '*'], [98, '/'],
  ];
  for (const [code, ch] of keypad) map.set(code, [ch]);
  return map;
}

// "\0" marks a key (or a level) that types nothing on that layout: dead keys, and keys absent on ANSI boards.
export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = {
  us: rows(
    [
      [DIGIT_ROW, '1234567890-=', '!@#$%^&*()_+'],
      [TOP_ROW, 'qwertyuiop[]', 'QWERTYUIOP{}'],
      [HOME_ROW, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
      [BOTTOM_ROW, '\\zxcvbnm,./', '|ZXCVBNM<>?'],
    ],
    {},
    '.',
  ),
  de: rows(
    [
      [DIGIT_ROW, '1234567890ß\0', '!"§$%&/()=?\0'],
      [TOP_ROW, 'qwertzuiopü+', 'QWERTZUIOPÜ*'],
      [HOME_ROW, 'asdfghjklöä\0', 'ASDFGHJKLÖÄ°'],
      [BOTTOM_ROW, "#yxcvbnm,.-", "'YXCVBNM;:_"],
      [[86], '<', '>'],
    ],
    { 3: '²', 4: '³', 8: '{', 9: '[', 10: ']', 11: '}', 12: '\\', 16: '@', 18: '€', 27: '~', 86: '|', 50: 'µ' },
    ',',
  ),
  fr: rows(
    [
      [DIGIT_ROW, '&é"\'(-è_çà)=', '1234567890°+'],
      [TOP_ROW, 'azertyuiop\0$', 'AZERTYUIOP\0£'],
      [HOME_ROW, 'qsdfghjklmù²', 'QSDFGHJKLM%\0'],
      [BOTTOM_ROW, '*wxcvbn,;:!', 'µWXCVBN?./§'],
      [[86], '<', '>'],
    ],
    { 4: '#', 5: '{', 6: '[', 7: '|', 9: '\\', 10: '^', 11: '@', 12: ']', 13: '}', 18: '€' },
    '.',
  ),
};

/**
 * The character key `code` types, or undefined if it types nothing printable on `layout`. CapsLock acts only on
 * letters (keys whose shifted level is the upper case of the normal one), as on Linux: on AZERTY it does not
 * turn the digit row into digits.
 */
export function keyChar(layout: Layout, code: number, mods: { shift: boolean; capsLock: boolean; altGr: boolean }): string | undefined {
  const levels = layout.get(code);
  if (!levels) return undefined;
  const [normal, shifted, altgr] = levels;
  if (mods.altGr) return altgr;
  const letter = normal !== undefined && shifted !== undefined && normal !== shifted && normal.toUpperCase() === shifted;
  const useShift = letter && mods.capsLock ? !mods.shift : mods.shift;
  return useShift ? (shifted ?? undefined) : normal;
}

// Fuzz for the per-line decoders: random bytes, grammar-alphabet soup, mutated and truncated valid frames,
// wrong-baud noise and 100 kB lines. Decoders must never throw, must return well-formed frames, and a reading's
// value must come from the line's own digits. Replay a failure with FUZZ_SEED=<printed seed>.
import { describe, expect, it } from 'vitest';
import { decodeAdeptMux } from '../../src/devices/adept/decode.js';
import { decodeAnd } from '../../src/devices/and/decode.js';
import type { Frame, LineDecoder } from '../../src/devices/decoded.js';
import { decodeGeneric } from '../../src/devices/generic/decode.js';
import { decodeHioki } from '../../src/devices/hioki/decode.js';
import { decodeMahr } from '../../src/devices/mahr/decode.js';
import { decodeMetroMux } from '../../src/devices/metro/decode.js';
import { decodeDigimatic } from '../../src/devices/mitutoyo/decode.js';
import { decodeMtSics } from '../../src/devices/mtsics/decode.js';
import { decodeOhaus } from '../../src/devices/ohaus/decode.js';
import { decodeRadwag } from '../../src/devices/radwag/decode.js';
import { decodeSartorius } from '../../src/devices/sartorius/decode.js';
import { decodeSylvac } from '../../src/devices/sylvac/decode.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
console.log(`decoder fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

const LINES = 20_000;

interface Family {
  name: string;
  decode: LineDecoder;
  valid: string[];
  /** Values are exponent-shifted, so the check looks at significant digits rather than the literal text. */
  exponent?: boolean;
}

const families: Family[] = [
  { name: 'sartorius', decode: (l) => decodeSartorius(l), valid: ['+     0.00 g  ', '-   12.345 mg ', 'N     +    0.006 g  ', 'N     +    0.031    ', 'Qnt +    253 pcs  ', 'Stat High', 'Err 101'] },
  { name: 'sartorius/model', decode: (l) => decodeSartorius(l, { expect: 'model' }), valid: ['MSE1203S-100-DR     ', 'N     +    0.006 g  '] },
  { name: 'sartorius/serial', decode: (l) => decodeSartorius(l, { expect: 'serial' }), valid: ['SerNo.    0031801165', '+     0.00 g  '] },
  { name: 'and', decode: decodeAnd, valid: ['ST,+00123.45  g', 'US,-00183.96  g', 'WT   +123.45  g', 'ST,+0000.1278,  g', 'QT,+00001234 PC', 'OL,+9999999E+19', 'EC,E01', '\x06ST,+00071.82  g'] },
  { name: 'ohaus', decode: decodeOhaus, valid: ['     192.21 g', '       0.01 g ?', 'ES', 'OK!'] },
  { name: 'mtsics/kern', decode: decodeMtSics, valid: ['S S      100.00 g', 'S D 1.234 g', 'S I', 'S +', 'ES', 'I4 A "B207696838"', 'S S     Error 10t'] },
  { name: 'digimatic', decode: (l) => decodeDigimatic(l), valid: ['01A+0000.123', '01A-001.2340', '03A+0012.500'] },
  { name: 'radwag', decode: decodeRadwag, valid: ['SI ?     0.1234 g  ', 'S        0.1234 g  ', 'SI ^   999.99 g  ', 'Z A', 'ES'] },
  { name: 'hioki', decode: (l) => decodeHioki(l), valid: ['  1.3600E-3, 3.70000E+0', ' 10.0000E+8, 3.70000E+0', '-   7.51E+0, 1.00000E+10', 'HIOKI,BT3562,0,V1.00'], exponent: true },
  { name: 'hioki/R', decode: (l) => decodeHioki(l, { mode: 'R' }), valid: ['    1.36E-3', ' 12.3456E+3'], exponent: true },
  { name: 'sylvac', decode: (l) => decodeSylvac(l), valid: ['+12.345', '-0.0020', ' 1.500', 'ERR3', 'SY289.01'] },
  { name: 'mahr', decode: decodeMahr, valid: ['012.345mm', '-000.012mm', 'MAHR GMBH,C1208 '] },
  { name: 'metro', decode: decodeMetroMux, valid: ['V2: mm       -00001.250000', 'N12:E3'] },
  { name: 'adept', decode: decodeAdeptMux, valid: ['1 MW+00013.67 mm'] },
  {
    name: 'generic',
    decode: (l) => decodeGeneric(l, { pattern: /^(?<stable>[SU]) (?<value>[+-]?\d+\.\d{1,6}) (?<unit>mm|in)$/, stableWhen: 'S', quantity: 'thickness' }),
    valid: ['S +0001.250 mm', 'U -0.5 in'],
  },
];

// mulberry32: small, seedable, good enough to spread inputs.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const GRAMMAR = ' 0123456789+-.,:?^v!EeSTUIDAOLQWKNHRCgmkPsco#"\x06';

function randomString(rand: () => number, alphabet: string | null, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1));
  let s = '';
  for (let i = 0; i < n; i++)
    s += alphabet === null ? String.fromCharCode(Math.floor(rand() * 256)) : alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function mutate(rand: () => number, line: string): string {
  const chars = [...line];
  const edits = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (chars.length + 1));
    const c = GRAMMAR[Math.floor(rand() * GRAMMAR.length)] ?? ' ';
    const op = rand();
    if (op < 0.34) chars.splice(at, 0, c);
    else if (op < 0.67) chars.splice(at, 1);
    else chars.splice(at, 1, c);
  }
  return chars.join('');
}

/** Wrong baud / parity: the frame's bytes with the high bit forced on some of them. */
function wrongBaud(rand: () => number, line: string): string {
  const chars = [...line].map((c) => (rand() < 0.5 ? String.fromCharCode(c.charCodeAt(0) | 0x80) : c));
  const at = Math.floor(rand() * chars.length);
  chars[at] = String.fromCharCode((chars[at]?.charCodeAt(0) ?? 0) | 0x80);
  return chars.join('');
}

function valueCameFromLine(value: string, line: string, exponent: boolean): boolean {
  if (value.startsWith('-') && !line.includes('-')) return false;
  const magnitude = value.replace(/^-/, '');
  if (exponent) {
    const significant = magnitude.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return line.replace(/[ .]/g, '').includes(significant);
  }
  return line.includes(magnitude) || (magnitude.startsWith('0.') && line.includes(magnitude.slice(1)));
}

function run(family: Family, line: string): Frame[] {
  let frames: Frame[];
  try {
    frames = family.decode(line);
  } catch (err) {
    throw new Error(`${family.name} threw on ${JSON.stringify(line)}: ${String(err)}`);
  }
  // Plain checks, not expect(): this runs over a million times and must stay well under the 10 s budget.
  if (frames.length === 0) throw new Error(`${family.name} returned no frame for ${JSON.stringify(line)}`);
  for (const f of frames) {
    if (f.kind !== 'reading') continue;
    const where = `${family.name}: ${JSON.stringify(line)} -> ${JSON.stringify(f)}`;
    if (!/^-?\d+(\.\d+)?$/.test(f.value) || f.quantity === '' || typeof f.stable !== 'boolean') throw new Error(`malformed ${where}`);
    if (!valueCameFromLine(f.value, line, family.exponent === true)) throw new Error(`value not from line ${where}`);
  }
  return frames;
}

const readings = (frames: Frame[]) => frames.filter((f) => f.kind === 'reading').length;

describe('decoder fuzz', () => {
  it.each(families.map((f) => [f.name, f] as const))('%s', (_name, family) => {
    const rand = prng(SEED ^ [...family.name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));

    // The valid vectors still decode to something other than garbage (guards the fuzz set itself).
    for (const line of family.valid) expect(run(family, line).some((f) => f.kind !== 'garbage'), line).toBe(true);

    let randomReadings = 0;
    let noiseReadings = 0;
    for (let i = 0; i < LINES; i++) {
      randomReadings += readings(run(family, randomString(rand, null, 6, 80)));
      const valid = family.valid[i % family.valid.length] ?? '';
      noiseReadings += readings(run(family, wrongBaud(rand, valid)));
      run(family, randomString(rand, GRAMMAR, 0, 30));
      run(family, mutate(rand, valid));
    }
    // Strict grammars: random bytes and high-bit noise never make a reading.
    expect(randomReadings).toBe(0);
    expect(noiseReadings).toBe(0);

    for (const line of family.valid)
      for (let n = 0; n < line.length; n++) {
        run(family, line.slice(0, n));
        run(family, line.slice(n));
      }

    for (const big of ['x'.repeat(100_000), '9'.repeat(100_000), `${' '.repeat(100_000)}${family.valid[0]}`, `${family.valid[0]}${'\x00'.repeat(100_000)}`])
      expect(run(family, big).map((f) => f.kind)).toEqual(['garbage']);
  });
});

// Fuzz for every decoder: the per-line decoders of the line families (random bytes, grammar-alphabet soup,
// mutated and truncated valid frames, wrong-baud noise and 100 kB lines), serial scanner lines, the byte-stream
// path the drivers use (LineFramer + the family decoder from families.ts: bounded buffer, resync), and the
// keyboard-wedge path (input_event records -> keymap -> scans and gauge readings). Decoders must never throw,
// must return well-formed frames, a reading's value must come from the input's own digits, and buffers stay
// bounded. Replay a failure with FUZZ_SEED=<printed seed>.
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
import { deviceSchema } from '../../src/config/schema.js';
import { LINE_KINDS, lineSpec, type LineDeviceConfig } from '../../src/devices/families.js';
import { LineFramer } from '../../src/devices/framing/line-framer.js';
import { decodeGaugeLine, EV_KEY, INPUT_EVENT_BYTES, InputEventParser, WedgeDecoder, type InputEvent } from '../../src/devices/hid/decode.js';
import { KEY_ENTER, KEY_KPENTER, LAYOUTS, type LayoutName } from '../../src/devices/hid/keymap.js';
import { encodeLine } from '../../src/devices/hid/simulator.js';
import { decodeScan } from '../../src/devices/scanner/decode.js';
import { createSimulator } from '../../src/devices/simulators.js';

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

describe('serial scanner line fuzz', () => {
  it('never throws; a code is trimmed printable ASCII; control characters and wrong-baud noise never make a code', () => {
    const rand = prng(SEED ^ 0x5ca9);
    const valid = ['CELL-0001', '0123456789012', 'LOT:A7/3.1 B'];
    const printable = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
    let noiseCodes = 0;
    for (let i = 0; i < LINES; i++) {
      const line = randomString(rand, null, 1, 80);
      const f = decodeScan(line, { bytes: true });
      // Random printable ASCII cannot be told from a label (the station's cell_pattern is the filter); anything else is refused.
      if (f.kind === 'code' && (!printable.test(f.code) || f.code !== line.trim())) throw new Error(`bad code from ${JSON.stringify(line)}`);
      if (f.kind === 'code' && /[^\x20-\x7e]/.test(line.trim())) throw new Error(`code from noise ${JSON.stringify(line)}`);
      const v = valid[i % valid.length] ?? '';
      if (decodeScan(wrongBaud(rand, v), { bytes: true }).kind === 'code') noiseCodes++;
      const cut = v.slice(0, Math.floor(rand() * v.length));
      const t = decodeScan(cut, { bytes: true });
      if (t.kind === 'code' ? t.code !== cut.trim() : cut.trim() !== '') throw new Error(`truncated ${JSON.stringify(cut)} -> ${JSON.stringify(t)}`);
    }
    expect(noiseCodes).toBe(0);
  });
});

/** Per kind: settings it needs beyond defaults (the generic example of docs/instruments.md). */
const EXTRA: Record<string, Record<string, unknown>> = {
  generic: { pattern: '^(?<stable>[SU]) (?<value>[+-]?\\d+\\.\\d+) (?<unit>mm|in)$', stable_when: 'S', quantity: 'thickness' },
};

/** The bytes the family's simulator sends for one PRINT/DATA press of `value`. */
function printed(kind: (typeof LINE_KINDS)[number], value: string): Buffer {
  const out: Buffer[] = [];
  const sim = createSimulator(kind, { write: (d) => out.push(Buffer.from(d)), on: () => undefined, off: () => undefined });
  sim.load(value, 0);
  sim.press();
  return Buffer.concat(out);
}

describe('byte-stream fuzz through the drivers\' framing (LineFramer + the family decoder)', () => {
  it.each([...LINE_KINDS])('%s', (kind) => {
    const rand = prng(SEED ^ [...kind].reduce((h, c) => Math.imul(h, 131) + c.charCodeAt(0), 11));
    const cfg = deviceSchema.parse({ kind, port: { path: '/dev/null' }, ...EXTRA[kind] }) as LineDeviceConfig;
    const { decode } = lineSpec(cfg);
    const max = cfg.max_line_bytes;
    const framer = new LineFramer({ maxLineBytes: max });
    const good = printed(kind, '1.250');
    const decodeAll = (lines: string[]) => lines.flatMap((l) => (l.length > max ? [] : decode(l)));

    // The simulator's own line decodes: guards the fuzz set itself.
    const isGood = (f: Frame) => f.kind === 'reading' && Number(f.value) === 1.25; // multiplexers pad to 6 decimals
    expect(decodeAll(framer.push(good)).some(isGood)).toBe(true);

    for (let round = 0; round < 2_000; round++) {
      // Random chunk sizes; every few rounds a long run with no terminator (wrong baud, a stuck line).
      const n = round % 50 === 0 ? 100_000 : 1 + Math.floor(rand() * 400);
      const chunk = Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
      const lines = framer.push(chunk);
      if (framer.buffered > max) throw new Error(`${kind}: framer holds ${framer.buffered} bytes > ${max}`);
      for (const line of lines) if (line.length > max) throw new Error(`${kind}: line of ${line.length} bytes`);
      for (const l of lines) if (decode(l).some((f) => f.kind === 'reading')) throw new Error(`${kind}: reading from noise ${JSON.stringify(l)}`);
      // Resync: after a terminator, the next good frame decodes, split at a random byte.
      if (round % 100 === 0) {
        const at = Math.floor(rand() * good.length);
        const back = [...framer.push(Buffer.from('\r\n')), ...framer.push(good.subarray(0, at)), ...framer.push(good.subarray(at))];
        expect(decodeAll(back).some(isGood), `${kind} resync`).toBe(true);
      }
    }
  });

  it('serial scanner: bounded, and a code after noise still arrives', () => {
    const rand = prng(SEED ^ 0x7e57);
    const max = 256;
    const framer = new LineFramer({ maxLineBytes: max });
    let noiseCodes = 0;
    for (let round = 0; round < 2_000; round++) {
      const n = round % 50 === 0 ? 100_000 : 1 + Math.floor(rand() * 400);
      // Wrong-baud noise: every byte has its high bit set, as 7-bit text read at the wrong rate mostly does.
      const lines = framer.push(Buffer.from(Array.from({ length: n }, () => 0x80 | Math.floor(rand() * 128))));
      expect(framer.buffered).toBeLessThanOrEqual(max);
      noiseCodes += lines.filter((l) => decodeScan(l, { bytes: true }).kind === 'code').length;
    }
    expect(noiseCodes).toBe(0);
    expect(framer.push(Buffer.from('\rCELL-0001\r\n')).map((l) => decodeScan(l, { bytes: true }))).toEqual([{ kind: 'code', code: 'CELL-0001' }]);
  });
});

describe('keyboard-wedge fuzz (input_event records -> layout -> scans and gauge readings)', () => {
  const MAX = 64;
  const wedge = (layout: LayoutName, timeout = 100) => {
    const parser = new InputEventParser();
    const decoder = new WedgeDecoder({ layout: LAYOUTS[layout], interKeyTimeoutMs: timeout, maxLineLength: MAX });
    return { parser, decoder };
  };

  it.each(['us', 'de', 'fr'] as const)('%s', (layout) => {
    const rand = prng(SEED ^ layout.charCodeAt(0) ^ 0x4b1d);
    const keys = [...LAYOUTS[layout].keys(), KEY_ENTER, KEY_KPENTER, 42, 54, 58, 100, 29, 56, 59];
    const gauge = (text: string) => decodeGaugeLine(text, { unit: 'mm' });
    const check = (frames: ReturnType<WedgeDecoder['push']>, typed: (text: string) => boolean) => {
      let readings = 0;
      for (const f of frames) {
        const text = f.kind === 'line' ? f.text : f.partial;
        if (text.length > MAX) throw new Error(`${layout}: ${text.length} characters kept`);
        if (f.kind !== 'line') continue;
        decodeScan(f.text);
        for (const r of gauge(f.text)) {
          if (r.kind !== 'reading') continue;
          readings++;
          if (!/^-?\d+(\.\d+)?$/.test(r.value) || !typed(r.value)) throw new Error(`${layout}: reading ${r.value} from ${JSON.stringify(f.text)}`);
        }
      }
      return readings;
    };

    // Random bytes in random chunks: the parser keeps less than one record, and no reading appears.
    {
      const { parser, decoder } = wedge(layout);
      let readings = 0;
      for (let i = 0; i < 2_000; i++) {
        const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256)));
        readings += check(decoder.push(parser.push(bytes), i), () => false);
        if (parser.buffered >= INPUT_EVENT_BYTES) throw new Error(`parser holds ${parser.buffered} bytes`);
      }
      expect(readings).toBe(0);
    }

    // Key soup: presses, releases and autorepeats of any key with modifiers: a reading is only ever a number typed.
    {
      const { parser, decoder } = wedge(layout);
      for (let i = 0; i < 20_000; i++) {
        const ev: InputEvent = { type: rand() < 0.9 ? EV_KEY : Math.floor(rand() * 5), code: keys[Math.floor(rand() * keys.length)] ?? 0, value: Math.floor(rand() * 3) };
        check(decoder.push([ev], i), (v) => /[\d]/.test(v));
      }
      expect(parser.buffered).toBe(0);
    }

    // Valid recordings, truncated anywhere: a line (and its reading) only when the Enter press is in.
    for (const text of ['12.345', '-0.120', '01A+0000.123', 'CELL-0001']) {
      const typedText = layout === 'us' || text.includes('A') ? text : text.replace('.', ',');
      let rec: Buffer;
      try {
        rec = encodeLine(typedText, LAYOUTS[layout]);
      } catch {
        continue; // a character this layout cannot type
      }
      const enterAt = rec.length - 4 * INPUT_EVENT_BYTES; // Enter press, SYN, release, SYN
      for (let cut = 0; cut <= rec.length; cut += 1 + Math.floor(rand() * 7)) {
        const { parser, decoder } = wedge(layout);
        const frames = decoder.push(parser.push(rec.subarray(0, cut)), 0);
        const lines = frames.filter((f) => f.kind === 'line');
        expect(lines.length, `${typedText} cut at ${cut}`).toBe(cut >= enterAt + INPUT_EVENT_BYTES ? 1 : 0);
        for (const l of lines) expect(l.text).toBe(typedText);
      }
      // One byte lost (a misaligned stream): never throws, never keeps more than a record or a line.
      const { parser, decoder } = wedge(layout);
      const drop = Math.floor(rand() * rec.length);
      check(decoder.push(parser.push(Buffer.concat([rec.subarray(0, drop), rec.subarray(drop + 1)])), 0), (v) => typedText.replace(',', '.').includes(v.replace(/^-/, '')));
      expect(parser.buffered).toBeLessThan(INPUT_EVENT_BYTES);
      // A pause longer than the inter-key timeout in the middle: the line is refused, not a shorter value.
      const late = wedge(layout, 100);
      const half = Math.floor(rec.length / INPUT_EVENT_BYTES / 2) * INPUT_EVENT_BYTES;
      const split = [...late.decoder.push(late.parser.push(rec.subarray(0, half)), 0), ...late.decoder.push(late.parser.push(rec.subarray(half)), 1_000)];
      expect(split.filter((f) => f.kind === 'line')).toEqual([]);
    }

    // A huge line (a key held down, a scanner stuck): refused at Enter, memory bounded.
    const { parser, decoder } = wedge(layout);
    const nine = LAYOUTS[layout].get(10)?.[0] === '9' ? 10 : 73; // digit row "9", or keypad 9 (AZERTY digits need Shift)
    const held = [{ type: EV_KEY, code: nine, value: 1 }, ...Array.from({ length: 100_000 }, () => ({ type: EV_KEY, code: nine, value: 2 })), { type: EV_KEY, code: KEY_ENTER, value: 1 }];
    expect(decoder.push(held, 0)).toEqual([{ kind: 'rejected', reason: `longer than ${MAX} characters`, partial: '9'.repeat(MAX) }]);
    expect(parser.buffered).toBe(0);
  });
});

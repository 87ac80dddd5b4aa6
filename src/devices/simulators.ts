// A simulated instrument per family, speaking the formats the decoders are tested against (instruments.md),
// for driver tests, the demo and `ionworks-edge simulate`. Layouts follow the documented columns; real devices
// may pad differently, which the whitespace-tolerant decoders accept.
import { convert } from './units.js';
import type { LineKind } from './families.js';
import { LineSimulator, signed, type SimProfile } from './line-simulator.js';
import { digimaticLine } from './mitutoyo/simulator.js';
import { MtSicsSimulator } from './mtsics/simulator.js';
import type { SimLink } from './sim-link.js';

const sign = (value: string, positive = '+') => (signed(value).negative ? '-' : positive);
const channels = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
/** "1.25" -> "00001.250000": fixed integer and fraction widths, as multiplexers print. */
const fixed = (abs: string, int: number, frac: number) => {
  const [i = '0', f = ''] = abs.split('.');
  return `${i.padStart(int, '0')}.${f.padEnd(frac, '0')}`;
};

export const SIM_PROFILES = {
  // SBI 16 characters: sign, blank, value in 8, blank, unit in 3 (blank while unstable) (2.2, 2.3).
  sartorius: {
    reads: ['\x1bP'],
    render: (v, stable) => `${sign(v)} ${signed(v).abs.padStart(8)} ${stable ? 'g  ' : '   '}`,
    replies: { '\x1bx1_': 'MSE1203S-100-DR     ', '\x1bx2_': 'SerNo.    0031801165' },
    eol: '\r\n',
    initial: '0.00',
  },
  // A&D standard format: header, polarity, zero-padded value, 3-character unit (3.1).
  and: {
    reads: ['Q', 'SI', 'S'],
    render: (v, stable) => `${stable ? 'ST' : 'US'},${sign(v)}${signed(v).abs.padStart(8, '0')}  g`,
    unknown: 'EC,E01',
    eol: '\r\n',
    initial: '0.00',
  },
  // Ohaus: right-justified weight, unit, "?" while unstable (3.2).
  ohaus: {
    reads: ['IP', 'P', 'SP'],
    render: (v, stable) => `${v.padStart(11)} g${stable ? '' : ' ?'}`,
    unknown: 'ES',
    eol: '\r\n',
    initial: '0.00',
  },
  // RADWAG: command, stability marker, sign, mass in 9, unit in 3 (3.4).
  radwag: {
    reads: ['SI', 'S'],
    render: (v, stable, cmd) => `${cmd} ${stable ? ' ' : '?'} ${sign(v, ' ')}${signed(v).abs.padStart(9)} g  `,
    replies: { Z: 'Z A', T: 'T A' },
    unknown: 'ES',
    eol: '\r\n',
    initial: '0.0000',
  },
  // Hioki RV reply, header off: resistance in the 300 mOhm range's E-3 form, then voltage (6.1). The value
  // loaded is the resistance in Ohm; the voltage stays at a charged cell's 3.7 V.
  hioki: {
    reads: [':FETCh?', ':FETC?', ':READ?'],
    render: (v) => `${sign(v, ' ')}${signed(convert(v, 'Ohm', 'mOhm')).abs.padStart(7)}E-3, 3.70000E+0`,
    replies: { '*IDN?': 'HIOKI,BT3562,0,V1.00' },
    eol: '\r\n',
    initial: '0.0013600',
  },
  // Sylvac Opto-RS duplex: "?" -> "+12.345" CR (4.4).
  sylvac: { reads: ['?'], render: (v) => `${sign(v)}${signed(v).abs}`, unknown: 'ERR1', eol: '\r', initial: '0.000' },
  // Mahr Millimar OPTORSD: "?" -> "xxx.xxx<unit>" (4.5).
  mahr: {
    reads: ['?'],
    render: (v) => `${signed(v).negative ? '-' : ''}${fixed(signed(v).abs, 3, 3)}mm`,
    replies: { 'ID?': 'MAHR GMBH,C1208 ', 'UNI?': 'mm ' },
    eol: '\r\n',
    initial: '0.000',
  },
  // Metro Mux: channel digit -> "V2: mm       -00001.250000" (4.6).
  metro: { reads: channels(8), render: (v, _s, ch) => `V${ch}: mm       ${sign(v)}${fixed(signed(v).abs, 5, 6)}`, charCommands: true, eol: '\r\n', initial: '0.000' },
  // Adept MUX: channel digit -> "1 MW+00013.67 mm" (4.6).
  adept: { reads: channels(4), render: (v, _s, ch) => `${ch} MW${sign(v)}${fixed(signed(v).abs, 5, 2)} mm`, charCommands: true, eol: '\r\n', initial: '0.00' },
  // Digimatic converters send a line when DATA is pressed; nothing is asked.
  mitutoyo: { reads: [], render: (v) => digimaticLine(v), eol: '\r', initial: '0.000' },
  // The example generic device of docs/instruments.md: "R" -> "S +1.250 mm" (S stable, U moving).
  generic: { reads: ['R'], render: (v, stable) => `${stable ? 'S' : 'U'} ${sign(v)}${signed(v).abs} mm`, eol: '\r\n', initial: '0.000' },
} satisfies Record<Exclude<LineKind, 'mtsics' | 'kern'>, SimProfile>;

/** What `simulate` and tests drive, whatever the family. */
export interface InstrumentSimulator {
  start(): void;
  stop(): void;
  /** Puts a value (decimal text; its decimals are the resolution) on the instrument, moving for `settleReplies` replies. */
  load(value: string, settleReplies?: number): void;
  /** Back to zero at the same resolution (a balance pan emptied). */
  unload(settleReplies?: number): void;
  /** The operator presses PRINT/DATA: one line, unasked. */
  press(): void;
  mute(on: boolean): void;
}

export function createSimulator(kind: LineKind, link: SimLink): InstrumentSimulator {
  // KERN KCP is MT-SICS-shaped (instruments.md 3.3): the MT-SICS balance simulator serves both.
  if (kind === 'mtsics' || kind === 'kern') return new MtSicsSimulator(link);
  return new LineSimulator(link, SIM_PROFILES[kind]);
}

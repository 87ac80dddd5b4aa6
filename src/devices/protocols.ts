// What the bench tools (decode, simulate, probe) need per protocol, on top of the drivers' own tables. Protocol
// names are device kinds: a tool builds a `kind: X` device config, validates it with the device schema (so
// family defaults such as 4800 7E2 for Sylvac apply) and then uses exactly what the daemon would use: the
// family's decoder from families.ts for decode, createDevice for probe. Only simulators and the framing of
// captured bytes live here.
import { deviceSchema, type DeviceConfig } from '../config/schema.js';
import { garbage, type Frame } from './decoded.js';
import { LINE_KINDS, lineSpec } from './families.js';
import { LineFramer } from './framing/line-framer.js';
import { decodeGaugeLine, InputEventParser, WedgeDecoder } from './hid/decode.js';
import { LAYOUTS, type Layout } from './hid/keymap.js';
import { HidKeyboardSimulator } from './hid/simulator.js';
import { DigimaticSimulator } from './mitutoyo/simulator.js';
import { MtSicsSimulator } from './mtsics/simulator.js';
import { decodeScan } from './scanner/decode.js';
import { ScannerSimulator } from './scanner/simulator.js';
import type { SimLink } from './sim-link.js';

export type ProtocolName = DeviceConfig['kind'];

export const PROTOCOL_NAMES: readonly ProtocolName[] = [...LINE_KINDS, 'scanner', 'hid-scanner', 'hid-gauge'];

export function isProtocol(name: string): name is ProtocolName {
  return (PROTOCOL_NAMES as readonly string[]).includes(name);
}

/** Keyboard-wedge kinds read an evdev node (path), the others a serial port (port.path + line settings). */
export function isHidKind(kind: ProtocolName): kind is 'hid-scanner' | 'hid-gauge' {
  return kind === 'hid-scanner' || kind === 'hid-gauge';
}

/**
 * A device config of kind `name` from command-line settings, validated by the device schema. `fields` holds
 * the kind-specific ones (unit, layout, channel, ...); unset ones take the family's defaults.
 */
export function deviceConfigFor(name: ProtocolName, path: string, port: Record<string, unknown>, fields: Record<string, unknown>) {
  const raw = isHidKind(name) ? { kind: name, path, ...fields } : { kind: name, port: { path, ...port }, ...fields };
  return deviceSchema.safeParse(raw);
}

/** One frame of a capture: the text it came from and what it decoded to (readings, errors and garbage alike). */
export interface DecodedRecord {
  raw: string;
  frame: Frame | { kind: 'code'; code: string };
}

/** Decodes a byte stream chunk by chunk; end() reports what was left incomplete. */
export interface StreamDecoder {
  push(chunk: Buffer): DecodedRecord[];
  end(): DecodedRecord[];
}

type LineDecode = (line: string) => Array<DecodedRecord['frame']>;

/** Captures may hold lines longer than any instrument sends: reported as garbage, never buffered unbounded. */
const CAPTURE_MAX_LINE = 4_096;

const scanFrames: LineDecode = (line) => {
  const f = decodeScan(line);
  return f.kind === 'code' ? [f] : garbage('not a printable code');
};

export function streamDecoder(cfg: DeviceConfig): StreamDecoder {
  switch (cfg.kind) {
    case 'scanner':
      return lineDecoder(scanFrames);
    case 'hid-scanner':
      return wedgeDecoder(LAYOUTS[cfg.layout], scanFrames);
    case 'hid-gauge':
      return wedgeDecoder(LAYOUTS[cfg.layout], (text) => decodeGaugeLine(text, { unit: cfg.unit }));
    default: {
      const spec = lineSpec(cfg);
      return lineDecoder((line) => spec.decode(line));
    }
  }
}

function lineDecoder(decode: LineDecode): StreamDecoder {
  const framer = new LineFramer({ maxLineBytes: CAPTURE_MAX_LINE });
  let discarded = 0;
  return {
    push(chunk) {
      const out: DecodedRecord[] = [];
      const lines = framer.push(chunk);
      for (; discarded < framer.discarded; discarded++) out.push(junk('', `line longer than ${CAPTURE_MAX_LINE} bytes, discarded`));
      for (const line of lines) for (const frame of decode(line)) out.push({ raw: line, frame });
      return out;
    },
    end: () => (framer.buffered > 0 ? [junk('', `${framer.buffered} bytes after the last line end (capture cut short?)`)] : []),
  };
}

function wedgeDecoder(layout: Layout, decode: LineDecode): StreamDecoder {
  const parser = new InputEventParser();
  // A capture file has no trustworthy arrival times, so no inter-key timeout is applied when decoding one.
  const wedge = new WedgeDecoder({ layout, interKeyTimeoutMs: Infinity, maxLineLength: CAPTURE_MAX_LINE });
  return {
    push(chunk) {
      const out: DecodedRecord[] = [];
      for (const f of wedge.push(parser.push(chunk), 0)) {
        if (f.kind === 'rejected') out.push(junk(f.partial, f.reason));
        else for (const frame of decode(f.text)) out.push({ raw: f.text, frame });
      }
      return out;
    },
    end() {
      const out: DecodedRecord[] = [];
      if (parser.buffered > 0) out.push(junk('', `${parser.buffered} bytes of an incomplete input_event record`));
      if (wedge.pending) out.push(junk('', 'typing not ended by Enter'));
      return out;
    },
  };
}

function junk(raw: string, reason: string): DecodedRecord {
  return { raw, frame: { kind: 'garbage', reason } };
}

/** A simulated instrument driven by one-line commands ("load 12.345", "scan CELL-1"). */
export interface SimulatorControl {
  /** Runs one command; returns a complaint for a command it does not understand. */
  command(line: string): string | undefined;
  stop(): void;
}

export interface SimulatorFactory {
  /** The commands, for help text. */
  commands: string;
  create(link: SimLink, cfg: DeviceConfig): SimulatorControl;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const CODE = /^[\x21-\x7e]+$/;

/** "<verb> <argument>" simulators: a gauge's DATA press, a scanner's trigger. */
function oneVerb(verb: string, arg: RegExp, example: string, act: (value: string) => void): SimulatorControl {
  return {
    command(line) {
      const [v, value, extra] = line.trim().split(/\s+/);
      if (v !== verb || value === undefined || extra !== undefined || !arg.test(value))
        return `not understood: "${line.trim()}" (try: ${verb} ${example})`;
      try {
        act(value);
      } catch (err) {
        return (err as Error).message; // e.g. a character the keyboard layout cannot type
      }
      return undefined;
    },
    stop: () => undefined,
  };
}

function balance(link: SimLink): SimulatorControl {
  const sim = new MtSicsSimulator(link);
  sim.start();
  return {
    command(line) {
      const [verb, arg, extra] = line.trim().split(/\s+/);
      if (extra === undefined && verb === 'load' && arg !== undefined && DECIMAL.test(arg)) return void sim.load(arg);
      if (arg === undefined && verb === 'unload') return void sim.unload();
      if (arg === undefined && (verb === 'mute' || verb === 'unmute')) return void sim.mute(verb === 'mute');
      return `not understood: "${line.trim()}" (try: load 12.345, unload, mute, unmute)`;
    },
    stop: () => sim.stop(),
  };
}

const wedgeLayout = (cfg: DeviceConfig): Layout => LAYOUTS['layout' in cfg ? cfg.layout : 'us'];

export const SIMULATORS: Partial<Record<ProtocolName, SimulatorFactory>> = {
  mtsics: { commands: 'load <grams> | unload | mute | unmute', create: balance },
  // KERN KCP speaks MT-SICS (instruments.md 3.3).
  kern: { commands: 'load <grams> | unload | mute | unmute', create: balance },
  mitutoyo: {
    commands: 'send <value>',
    create: (link) => {
      const sim = new DigimaticSimulator(link);
      return oneVerb('send', DECIMAL, '1.234', (v) => sim.send(v));
    },
  },
  scanner: {
    commands: 'scan <code>',
    create: (link) => {
      const sim = new ScannerSimulator(link);
      return oneVerb('scan', CODE, 'CELL-0001', (c) => sim.scan(c));
    },
  },
  'hid-scanner': {
    commands: 'scan <code>',
    create: (link, cfg) => {
      const sim = new HidKeyboardSimulator(link, wedgeLayout(cfg));
      return oneVerb('scan', CODE, 'CELL-0001', (c) => sim.typeLine(c));
    },
  },
  'hid-gauge': {
    commands: 'send <value>',
    create: (link, cfg) => {
      const sim = new HidKeyboardSimulator(link, wedgeLayout(cfg));
      return oneVerb('send', DECIMAL, '1.234', (v) => sim.typeLine(v));
    },
  },
};

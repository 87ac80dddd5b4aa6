// What the bench tools (decode, simulate, probe) need per protocol, on top of the drivers' own tables. Protocol
// names are device kinds: a tool builds a `kind: X` device config, validates it with the device schema (so
// family defaults such as 4800 7E2 for Sylvac apply) and then uses exactly what the daemon would use: the
// family's decoder from families.ts for decode, createDevice for probe. Only simulators and the framing of
// captured bytes live here.
import { deviceSchema, type DeviceConfig } from '../config/schema.js';
import { garbage, type Frame } from './decoded.js';
import { LINE_KINDS, lineSpec, type LineKind } from './families.js';
import { LineFramer } from './framing/line-framer.js';
import { decodeGaugeLine, InputEventParser, WedgeDecoder } from './hid/decode.js';
import { LAYOUTS, type Layout } from './hid/keymap.js';
import { HidKeyboardSimulator } from './hid/simulator.js';
import { decodeScan } from './scanner/decode.js';
import { ScannerSimulator } from './scanner/simulator.js';
import type { SimLink } from './sim-link.js';
import { createSimulator } from './simulators.js';

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

/** `bytes`: a serial scanner's line (printable ASCII only); without it, text typed through a keyboard layout. */
const scanFrames =
  (bytes: boolean): LineDecode =>
  (line) => {
    const f = decodeScan(line, { bytes });
    return f.kind === 'code' ? [f] : garbage('not a printable code');
  };

export function streamDecoder(cfg: DeviceConfig): StreamDecoder {
  switch (cfg.kind) {
    case 'scanner':
      return lineDecoder(scanFrames(true));
    case 'hid-scanner':
      return wedgeDecoder(LAYOUTS[cfg.layout], scanFrames(false));
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
  create(link: SimLink, opts: { layout: Layout }): SimulatorControl;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const CODE = /^[\x21-\x7e]+$/;

const INSTRUMENT_COMMANDS = 'load <value> | unload | send <value> | press | mute | unmute';

/**
 * Every line family's simulator (src/devices/simulators.ts) behind one command set: `load` puts a value on the
 * instrument (answered to polls after settling), `send` loads it and presses PRINT/DATA (stream mode), `press`
 * prints the current value, `mute` makes it stop answering.
 */
function instrument(kind: LineKind): SimulatorFactory {
  return {
    commands: INSTRUMENT_COMMANDS,
    create(link) {
      const sim = createSimulator(kind, link);
      sim.start();
      return {
        command(line) {
          const [verb, arg, extra] = line.trim().split(/\s+/);
          const value = arg !== undefined && extra === undefined && DECIMAL.test(arg) ? arg : undefined;
          const bare = arg === undefined;
          if (verb === 'load' && value) sim.load(value);
          else if (verb === 'send' && value) {
            sim.load(value, 0);
            sim.press();
          } else if (verb === 'unload' && bare) sim.unload();
          else if (verb === 'press' && bare) sim.press();
          else if ((verb === 'mute' || verb === 'unmute') && bare) sim.mute(verb === 'mute');
          else return `not understood: "${line.trim()}" (try: ${INSTRUMENT_COMMANDS})`;
          return undefined;
        },
        stop: () => sim.stop(),
      };
    },
  };
}

/** "<verb> <argument>" simulators: a scanner's trigger, a keyboard-wedge gauge's DATA press. */
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

/** One registry for `simulate`: every protocol has a simulator. */
export const SIMULATORS: Readonly<Record<ProtocolName, SimulatorFactory>> = {
  ...(Object.fromEntries(LINE_KINDS.map((kind) => [kind, instrument(kind)])) as Record<LineKind, SimulatorFactory>),
  scanner: {
    commands: 'scan <code>',
    create: (link) => {
      const sim = new ScannerSimulator(link);
      return oneVerb('scan', CODE, 'CELL-0001', (c) => sim.scan(c));
    },
  },
  'hid-scanner': {
    commands: 'scan <code>',
    create: (link, { layout }) => {
      const sim = new HidKeyboardSimulator(link, layout);
      return oneVerb('scan', CODE, 'CELL-0001', (c) => sim.typeLine(c));
    },
  },
  'hid-gauge': {
    commands: 'send <value>',
    create: (link, { layout }) => {
      const sim = new HidKeyboardSimulator(link, layout);
      return oneVerb('send', DECIMAL, '1.234', (v) => sim.typeLine(v));
    },
  },
};

// Flags shared by the bench tools (decode, probe, simulate): protocol choice and the device settings a config
// file would hold, turned into a device config that the device schema validates (family defaults apply).
import type { ParseArgsConfig } from 'node:util';
import { deviceConfigFor, isProtocol, PROTOCOL_NAMES, type ProtocolName } from '../devices/protocols.js';
import type { DeviceConfig } from '../config/schema.js';

export const EX_USAGE = 64;
export const EX_NOINPUT = 66;
export const EX_UNAVAILABLE = 69;
export const EX_TEMPFAIL = 75;

/** Device settings as flags; only the ones given are passed, so the family's defaults fill in the rest. */
export const deviceFlags = {
  protocol: { type: 'string' },
  baud: { type: 'string' },
  'data-bits': { type: 'string' },
  parity: { type: 'string' },
  'stop-bits': { type: 'string' },
  'flow-control': { type: 'string' },
  unit: { type: 'string' },
  layout: { type: 'string' },
  channel: { type: 'string' },
  mode: { type: 'string' },
  request: { type: 'string' },
  pattern: { type: 'string' },
  quantity: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type FlagValues = { [K in keyof typeof deviceFlags]?: string };

export const DEVICE_FLAGS_HELP =
  '[--baud N] [--data-bits 5-8] [--parity none|even|odd|mark|space] [--stop-bits 1|1.5|2] [--flow-control none|xonxoff|rtscts]\n' +
  '  [--unit mm|in] [--layout us|de|fr] [--channel N] [--mode poll|stream] [--request TEXT] [--pattern REGEX --quantity NAME]';

/** The protocol named by --protocol, or a printed complaint listing the known ones. */
export function protocolFlag(value: string | undefined, command: string, known: readonly string[] = PROTOCOL_NAMES): ProtocolName | undefined {
  if (value !== undefined && isProtocol(value) && known.includes(value)) return value;
  const what = value === undefined ? '--protocol is required' : `unknown protocol "${value}"`;
  process.stderr.write(`ionworks-edge ${command}: ${what}; known protocols: ${known.join(', ')}\n`);
  return undefined;
}

/** Validates flags into a device config, printing each problem (with the flag it came from) on failure. */
export function deviceConfigFromFlags(protocol: ProtocolName, path: string, v: FlagValues, command: string): DeviceConfig | undefined {
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const port = defined({
    baud_rate: num(v.baud),
    data_bits: num(v['data-bits']),
    parity: v.parity,
    stop_bits: num(v['stop-bits']),
    flow_control: v['flow-control'],
  });
  const fields = defined({ unit: v.unit, layout: v.layout, channel: v.channel, mode: v.mode, request: unescape(v.request), pattern: v.pattern, quantity: v.quantity });
  const parsed = deviceConfigFor(protocol, path, port, fields);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const at = issue.path.join('.');
    process.stderr.write(`ionworks-edge ${command}: ${at ? `${at}: ` : ''}${issue.message}\n`);
  }
  return undefined;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
}

/** "SI\r\n" typed on a shell arrives as backslash escapes; the instrument wants the bytes. */
function unescape(s: string | undefined): string | undefined {
  return s?.replace(/\\(r|n|e|t)/g, (_, c: string) => ({ r: '\r', n: '\n', e: '\x1b', t: '\t' })[c] ?? c);
}

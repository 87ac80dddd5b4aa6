// One zod schema drives validation, defaults and the types every layer uses.
import { z } from 'zod';
import { DEFAULT_NAME_TEMPLATE, nameTemplateProblem } from '../station/name-template.js';

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit');

const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(e as Error).message}` });
  }
});

const nameTemplate = z.string().superRefine((s, ctx) => {
  const problem = nameTemplateProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const usbId = z.string().regex(/^(0x)?[0-9a-fA-F]{4}$/, 'must be a 4-digit hex USB id such as "0403"');

/** A USB serial adapter named by its ids, found again at every (re)connect wherever it was plugged in. */
const usbPortSchema = z
  .object({
    vendor_id: usbId,
    product_id: usbId,
    /** The adapter's USB serial number (udev ID_SERIAL_SHORT): needed when two identical adapters are plugged in. */
    serial: z.string().min(1).optional(),
  })
  .strict();

interface LineSettings {
  baud_rate: number;
  data_bits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stop_bits: 1 | 1.5 | 2;
  flow_control: 'none' | 'xonxoff' | 'rtscts';
}

/** A serial port with an instrument family's factory line settings as defaults (docs/instruments.md). */
function serialPort(d: Partial<LineSettings> = {}) {
  return z
    .object({
      /** /dev/ttyUSB0, a /dev/serial/by-id/... link (survives replugging), or a PTY path. */
      path: z.string().min(1).optional(),
      usb: usbPortSchema.optional(),
      baud_rate: z.number().int().positive().default(d.baud_rate ?? 9600),
      data_bits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(d.data_bits ?? 8),
      parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default(d.parity ?? 'none'),
      stop_bits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(d.stop_bits ?? 1),
      flow_control: z.enum(['none', 'xonxoff', 'rtscts']).default(d.flow_control ?? 'none'),
    })
    .strict()
    .refine((p) => (p.path === undefined) !== (p.usb === undefined), 'give exactly one of "path" or "usb"');
}

export const serialPortSchema = serialPort();

const reconnect = z
  .object({
    initial_ms: z.number().int().positive().default(500),
    max_ms: z.number().int().positive().default(30_000),
  })
  .strict()
  .prefault({});

function deviceBase(port = serialPortSchema) {
  return {
    port,
    reconnect,
    /** Longest accepted line; longer input is discarded up to the next terminator. */
    max_line_bytes: z.number().int().min(16).max(65_536).default(256),
  };
}

export const scannerDeviceSchema = z
  .object({ kind: z.literal('scanner'), ...deviceBase() })
  .strict();

/** Software stability for instruments without a stability flag: `count` readings in a row within `tolerance`. */
const settleSchema = z
  .object({
    count: z.number().int().min(2).max(100),
    tolerance: z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal in quotes, e.g. "0.002"'),
  })
  .strict();

/** What every line instrument shares: how it is read (polled or print-key) and how a silent one is detected. */
function lineInstrument(port: ReturnType<typeof serialPort>, opts: { mode?: 'poll' | 'stream'; min_poll_ms?: number } = {}) {
  return {
    ...deviceBase(port),
    /** poll: send `request` every poll_ms, one in flight; stream: take the lines the instrument sends (PRINT key, autoprint). */
    mode: z.enum(['poll', 'stream']).default(opts.mode ?? 'poll'),
    /** Time between polls (and between any two commands); one command is in flight at a time. */
    poll_ms: z.number().int().min(opts.min_poll_ms ?? 50).default(250),
    /** A reply slower than this counts as no answer. */
    reply_timeout_ms: z.number().int().min(50).default(2_000),
    /** After this many unanswered polls in a row the port is recreated. */
    max_missed_replies: z.number().int().min(1).default(5),
    settle: settleSchema.optional(),
  };
}

/** Poll request, written as-is (terminator included; in YAML double quotes "\e" is ESC, "\r\n" CR LF). */
const request = (d: string) => z.string().min(1).max(64).default(d);
const optionalRequest = z.string().min(1).max(64).optional();
// Families whose request has no documented default: polling needs one, and a request is only sent when polling.
const pollNeedsRequest = [
  (c: { mode: string; request?: string }) => (c.mode === 'poll') === (c.request !== undefined),
  'mode "poll" needs a request, and a request is only sent in mode "poll"',
] as const;

export const mtsicsDeviceSchema = z
  .object({
    kind: z.literal('mtsics'),
    // AT balances' factory "Host" profile (instruments.md 1.1).
    ...lineInstrument(serialPort({ flow_control: 'xonxoff' })),
    request: request('SI\r\n'),
  })
  .strict();

export const mitutoyoDeviceSchema = z
  .object({
    kind: z.literal('mitutoyo'),
    // QM-Height USB data output (instruments.md 4.1); the gauge sends a line when DATA is pressed.
    ...lineInstrument(serialPort(), { mode: 'stream' }),
    request: optionalRequest,
    /** Digimatic lines carry no unit: say which one the gauge is set to. */
    unit: z.enum(['mm', 'in']).default('mm'),
  })
  .strict()
  .refine(...pollNeedsRequest);

export const sartoriusDeviceSchema = z
  .object({
    kind: z.literal('sartorius'),
    // CP series factory setting (instruments.md 2.4); newer models differ: check the balance's menu.
    ...lineInstrument(serialPort({ baud_rate: 1200, data_bits: 7, parity: 'odd', flow_control: 'rtscts' })),
    request: request('\x1bP\r\n'),
  })
  .strict();

export const andDeviceSchema = z
  .object({
    kind: z.literal('and'),
    // A&D factory defaults were not found (instruments.md 3.1): 2400 7E1 is a guess from one hardware script.
    ...lineInstrument(serialPort({ baud_rate: 2400, data_bits: 7, parity: 'even' })),
    request: request('Q\r\n'),
  })
  .strict();

export const ohausDeviceSchema = z
  .object({
    kind: z.literal('ohaus'),
    // Ohaus defaults not found (instruments.md 3.2): 9600 8N1 is a guess.
    ...lineInstrument(serialPort()),
    request: request('IP\r\n'),
  })
  .strict();

export const kernDeviceSchema = z
  .object({
    kind: z.literal('kern'),
    // KCP defaults not found (instruments.md 3.3): 9600 8N1 is a guess. The manual wants > 100 ms between polls.
    ...lineInstrument(serialPort(), { min_poll_ms: 101 }),
    request: request('SI\r\n'),
  })
  .strict();

export const radwagDeviceSchema = z
  .object({
    kind: z.literal('radwag'),
    // RADWAG defaults not in the reference: 9600 8N1 is a guess.
    ...lineInstrument(serialPort()),
    request: request('SI\r\n'),
  })
  .strict();

export const hiokiDeviceSchema = z
  .object({
    kind: z.literal('hioki'),
    // BT3562 RS-232C framing not found (instruments.md 6.1): 9600 8N1 is a guess.
    ...lineInstrument(serialPort()),
    request: request(':FETCh?\r\n'),
    /** The tester's measurement mode: which values a reply carries (RV = resistance, voltage). */
    measure: z.enum(['RV', 'R', 'V']).default('RV'),
  })
  .strict();

export const sylvacDeviceSchema = z
  .object({
    kind: z.literal('sylvac'),
    // Opto-RS cable (instruments.md 4.4).
    ...lineInstrument(serialPort({ baud_rate: 4800, data_bits: 7, parity: 'even', stop_bits: 2 })),
    request: request('?\r'),
    unit: z.enum(['mm', 'in']).default('mm'),
    /**
     * The Opto-RS cable is powered from the handshake lines as two rails of opposite sign (instruments.md 4.4):
     * duplex cable DTR high = +supply, RTS low = -supply. "Sets those lines" therefore means DTR on, RTS off;
     * Linux raises both at open, so the driver must lower RTS after every open or the cable has no -supply.
     */
    lines: z.object({ dtr: z.boolean().default(true), rts: z.boolean().default(false) }).strict().prefault({}),
  })
  .strict()
  // With hardware flow control the serial driver drives RTS itself, which would fight the cable's supply rail.
  .refine((c) => c.port.flow_control !== 'rtscts', { path: ['port', 'flow_control'], message: 'the Sylvac cable is powered from RTS: use flow_control none' });

export const mahrDeviceSchema = z
  .object({
    kind: z.literal('mahr'),
    // Millimar C1202 duplex (instruments.md 4.5).
    ...lineInstrument(serialPort({ data_bits: 7, parity: 'even', stop_bits: 2 })),
    request: request('?\r'),
  })
  .strict();

const muxChannel = (max: number) =>
  z.string().regex(new RegExp(`^[1-${max}]$`), `must be a channel number from "1" to "${max}"`).default('1');

export const metroDeviceSchema = z
  .object({
    kind: z.literal('metro'),
    // Metro Mux serial settings not found (instruments.md 4.6): 9600 8N1 is a guess.
    ...lineInstrument(serialPort()),
    /** Input the gauge is plugged into; polled with that digit, other inputs' lines are dropped. */
    channel: muxChannel(8),
  })
  .strict();

export const adeptDeviceSchema = z
  .object({
    kind: z.literal('adept'),
    // Adept MUX-2/4 (instruments.md 4.6).
    ...lineInstrument(serialPort()),
    channel: muxChannel(4),
  })
  .strict();

export const genericDeviceSchema = z
  .object({
    kind: z.literal('generic'),
    ...lineInstrument(serialPort(), { mode: 'stream' }),
    request: optionalRequest,
    /** Regular expression with a named group `value`, optionally `unit` and `stable`. */
    pattern: regex.refine((s) => s.includes('(?<value>'), 'needs a named group (?<value>...)'),
    /** What the device measures: "thickness", "mass", "resistance", ... */
    quantity: z.string().regex(/^[a-z][a-z_]{0,31}$/, 'must be a lower-case word such as "thickness"'),
    /** Unit when the line has none (no `unit` group). */
    unit: z.string().min(1).max(16).optional(),
    /** A line is stable only when the `stable` group captured exactly this; without it every line is stable. */
    stable_when: z.string().optional(),
  })
  .strict()
  .refine(...pollNeedsRequest);

/** Balance families: a property fed by one needs min_load (see the station rules below). */
export const BALANCE_KINDS: ReadonlySet<string> = new Set(['mtsics', 'sartorius', 'and', 'ohaus', 'kern', 'radwag']);

/** The quantities a device's readings carry (what a property's `quantity` may select). Defensive: `dev` may be partial. */
export function deviceQuantities(dev: DeviceConfig): readonly string[] {
  switch (dev.kind) {
    case 'scanner':
    case 'hid-scanner':
      return [];
    case 'hioki':
      return dev.measure === 'R' ? ['resistance'] : dev.measure === 'V' ? ['voltage'] : ['resistance', 'voltage'];
    case 'generic':
      return typeof dev.quantity === 'string' ? [dev.quantity] : [];
    default:
      // Balances weigh, or count pieces in counting mode (decoded.ts balanceQuantity); the rest are gauges.
      return BALANCE_KINDS.has(dev.kind) ? ['mass', 'count'] : ['thickness'];
  }
}

/** A Hioki in RV mode answers resistance and voltage in one reply (instruments.md 6.1); every other device one value. */
function sendsSeveralAtOnce(dev: DeviceConfig): boolean {
  return dev.kind === 'hioki' && dev.measure !== 'R' && dev.measure !== 'V';
}

// Keyboard-wedge scanners and gauges (HID), read from their evdev node, not a serial port.
const hidDeviceBase = {
  /** /dev/input/by-id/<...>-event-kbd */
  path: z.string().min(1),
  /** Keyboard layout the device types for (set on the scanner/cable to match the PC). */
  layout: z.enum(['us', 'de', 'fr']).default('us'),
  /** Take the device exclusively (EVIOCGRAB) so its keystrokes do not also type into the desktop. */
  grab: z.boolean().default(true),
  /** A longer gap between keys abandons the line being typed. */
  inter_key_timeout_ms: z.number().int().min(5).max(10_000).default(100),
  max_line_length: z.number().int().min(16).max(4_096).default(256),
  reconnect,
};

export const hidScannerDeviceSchema = z.object({ kind: z.literal('hid-scanner'), ...hidDeviceBase }).strict();

export const hidGaugeDeviceSchema = z
  .object({
    kind: z.literal('hid-gauge'),
    ...hidDeviceBase,
    /** The typed line is a bare number: say which unit the gauge is set to. */
    unit: z.enum(['mm', 'in']).default('mm'),
  })
  .strict();

export const deviceSchema = z.discriminatedUnion('kind', [
  scannerDeviceSchema,
  mtsicsDeviceSchema,
  mitutoyoDeviceSchema,
  sartoriusDeviceSchema,
  andDeviceSchema,
  ohausDeviceSchema,
  kernDeviceSchema,
  radwagDeviceSchema,
  hiokiDeviceSchema,
  sylvacDeviceSchema,
  mahrDeviceSchema,
  metroDeviceSchema,
  adeptDeviceSchema,
  genericDeviceSchema,
  hidScannerDeviceSchema,
  hidGaugeDeviceSchema,
]);

export const propertySourceSchema = z
  .object({
    /** Device id (a key of `devices`) that supplies this property. */
    device: id,
    /** Unit sent to the API; readings in another unit of the same dimension are converted exactly (src/devices/units.ts). */
    unit: z.string().min(1).max(32),
    /**
     * Capture rule: a reading counts only when at or above this value, and the next capture on the same
     * device waits until a reading has fallen below it again (a balance pan unloaded). Required for balances.
     */
    min_load: z.number().nonnegative().optional(),
    /** Ionworks property name sent in the body; defaults to the key. */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'property names are letters, digits and "_"').optional(),
    /** false: the measurement may be saved without it (see on_new_scan and idle_timeout_s). */
    required: z.boolean().default(true),
    /** Plausibility limits (inclusive, in `unit`): a value outside is shown to the operator and not taken. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Readings per cell: the value is their mean; min, max, std and each point are sent as <name>_min etc. */
    points: z.number().int().min(1).max(20).default(1),
    /**
     * Take only readings of this quantity from the device. Required for a device that sends several at once
     * (a Hioki BT3562/3 in RV mode: "resistance" and "voltage"), which may then feed one property per quantity.
     */
    quantity: z.string().regex(/^[a-z][a-z_]{0,31}$/, 'must be a lower-case word such as "voltage"').optional(),
  })
  .strict()
  .refine((p) => p.min === undefined || p.max === undefined || p.min <= p.max, { message: 'min is above max', path: ['min'] });

export const stationSchema = z
  .object({
    /** Device id of this bench's barcode scanner. */
    scanner: id,
    /** A scanned code must match this to become the active cell (the cell instance id). */
    cell_pattern: regex.default('^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$'),
    /** Ionworks property name -> where its value comes from. */
    properties: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'property names are letters, digits and "_"'), propertySourceSchema).refine(
      (p) => Object.keys(p).length > 0,
      'a station needs at least one property',
    ),
    notes: z.string().max(2_000).optional(),
    /** Sent as the body's `protocol` object (e.g. name, ambient_temperature_degc). */
    protocol: z.record(z.string(), z.unknown()).optional(),
    /** Measurement name; placeholders {station} {cell} {time} {seq} {uuid}, see src/station/name-template.ts. */
    name_template: nameTemplate.default(DEFAULT_NAME_TEMPLATE),
    /** The active cell is dropped (or saved, see on_new_scan) after this long without a scan or reading; 0 = never. */
    idle_timeout_s: z.number().int().min(0).default(600),
    /** A cell left incomplete by a new scan or the idle timeout: save it if its required properties are in, or discard it. */
    on_new_scan: z.enum(['save_partial', 'discard']).default('discard'),
    /** Barcodes that act on the bench instead of naming a cell. */
    control_codes: z
      .object({ cancel: z.string().min(1).default('#CANCEL'), redo: z.string().min(1).default('#REDO'), void: z.string().min(1).default('#VOID') })
      .strict()
      .refine((c) => new Set([c.cancel, c.redo, c.void]).size === 3, 'control codes must differ')
      .prefault({}),
    /** A scan starting with this sets test_setup.operator to the rest (an operator badge). */
    operator_prefix: z.string().min(1).default('OP:'),
    /** How a scanned code names the cell: `id` (the cell instance id) or `name` (its serial number, resolved via the API). */
    cell_id: z
      .object({
        mode: z.enum(['id', 'name']).default('id'),
        /** Names are resolved within this specification; without it, by an exact match in GET /search. */
        cell_specification_id: z.string().min(1).optional(),
        /** Ask the API whether the cell exists while the operator is at the bench (when online). */
        verify_online: z.boolean().default(true),
        /** How long "unknown cell" is remembered before asking the API again. */
        negative_cache_s: z.number().int().min(0).default(60),
      })
      .strict()
      .prefault({}),
    /** Raw instrument frames behind each measurement are kept locally this long. */
    raw_retention_days: z.number().int().min(0).default(90),
  })
  .strict();

export const configSchema = z
  .object({
    /** Lab name written into every measurement's test_setup. */
    lab: z.string().min(1).max(128),
    /** Where the outbox and lock live. */
    state_dir: z.string().min(1).default('/var/lib/ionworks-edge'),
    api: z
      .object({
        base_url: z.url({ protocol: /^https?$/ }).default('https://api.ionworks.com'),
        /** File holding the API key; IONWORKS_API_KEY in the environment wins. Never put the key here. */
        key_file: z.string().min(1).optional(),
        timeout_ms: z.number().int().min(100).default(10_000),
        retry: z
          .object({
            base_ms: z.number().int().min(1).default(1_000),
            cap_ms: z.number().int().min(1).default(300_000),
            /** Longest Retry-After honoured (a floor under the backoff); larger or absurd values are clamped to it. */
            max_retry_after_ms: z.number().int().min(0).default(900_000),
          })
          .strict()
          .prefault({}),
        concurrency: z.number().int().min(1).max(8).default(1),
        /** On SIGTERM, uploads in flight get this long to finish; the rest stay pending for the next start. */
        shutdown_grace_ms: z.number().int().min(0).max(30_000).default(10_000),
        /** This many rows in a row rejected the same way halt the uploader instead of filling the dead letters. */
        halt_after_same_failures: z.number().int().min(2).default(3),
        /** While the key is refused, GET /users/me this often (and on SIGHUP) to notice it works again. */
        auth_recheck_ms: z.number().int().min(1_000).default(300_000),
        /** While the API is unreachable, GET /healthz on a backoff capped at this. */
        probe_cap_ms: z.number().int().min(100).default(60_000),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8787),
        /** Required when `host` is not loopback: a bench tablet opens the status page with ?token=<this> once. */
        access_token: z.string().min(16).optional(),
      })
      .strict()
      .refine((h) => isLoopbackHost(h.host) || h.access_token !== undefined, {
        path: ['access_token'],
        message: 'a non-loopback http.host needs http.access_token (at least 16 characters), or the status page is open to the network',
      })
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .strict()
      .prefault({}),
    queue: z
      .object({
        /** Delivered rows are pruned this long after delivery. */
        retention_days: z.number().positive().default(30),
        /** Cap on pending + dead rows; at the cap new scans are refused (nothing saved is dropped). */
        max_rows: z.number().int().min(1).default(100_000),
        /** Optional cap on the body bytes of pending + dead rows, checked like max_rows. */
        max_bytes: z.number().int().min(1).optional(),
        /** How often retention pruning and the storage check run. */
        housekeeping_interval_ms: z.number().int().min(1_000).default(3_600_000),
      })
      .strict()
      .prefault({}),
    devices: z.record(id, deviceSchema),
    stations: z.record(id, stationSchema),
  })
  .strict()
  // Cross-references run even when other keys have errors (`when`), so one `config check` lists every problem.
  // The parsed value may then be partial, hence the defensive reads.
  .superRefine(
    (c, ctx) => {
      const devices: Partial<Config['devices']> = isObject(c.devices) ? c.devices : {};
      for (const [sid, st] of Object.entries(isObject(c.stations) ? c.stations : {})) {
        if (!isObject(st)) continue;
        const scanner = typeof st.scanner === 'string' ? devices[st.scanner] : undefined;
        if (typeof st.scanner === 'string' && !scanner)
          ctx.addIssue({ code: 'custom', path: ['stations', sid, 'scanner'], message: `no device "${st.scanner}" in devices` });
        else if (scanner && scanner.kind !== 'scanner' && scanner.kind !== 'hid-scanner')
          ctx.addIssue({ code: 'custom', path: ['stations', sid, 'scanner'], message: `device "${st.scanner}" is a ${scanner.kind}, not a scanner` });
        const feeds = new Map<string, Array<{ prop: string; quantity: string | undefined }>>();
        for (const [prop, src] of Object.entries(isObject(st.properties) ? st.properties : {})) {
          if (!isObject(src) || typeof src.device !== 'string') continue;
          const dev = devices[src.device];
          const at = ['stations', sid, 'properties', prop, 'device'];
          if (!dev) ctx.addIssue({ code: 'custom', path: at, message: `no device "${src.device}" in devices` });
          else if (dev.kind === 'scanner' || dev.kind === 'hid-scanner') ctx.addIssue({ code: 'custom', path: at, message: `device "${src.device}" is a scanner` });
          else if (BALANCE_KINDS.has(dev.kind) && src.min_load === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['stations', sid, 'properties', prop, 'min_load'],
              message: 'a balance property needs min_load, so a weight is never attached to the wrong cell',
            });
          const quantity = typeof src.quantity === 'string' ? src.quantity : undefined;
          const gives = dev ? deviceQuantities(dev) : [];
          const qAt = ['stations', sid, 'properties', prop, 'quantity'];
          if (dev && quantity !== undefined && !gives.includes(quantity))
            ctx.addIssue({ code: 'custom', path: qAt, message: `device "${src.device}" gives ${gives.map((g) => `"${g}"`).join(' or ') || 'no readings'}, not "${quantity}"` });
          const several = dev !== undefined && sendsSeveralAtOnce(dev);
          if (several && quantity === undefined)
            ctx.addIssue({ code: 'custom', path: qAt, message: `device "${src.device}" sends ${gives.join(' and ')} in one reply: set quantity to the one this property takes` });
          // The station routes a reading by its device (and the property's quantity): one device feeds one property
          // per station, except a device that sends several quantities at once, one property per quantity.
          const others = feeds.get(src.device) ?? [];
          const clash = others.find((o) => !several || o.quantity === undefined || o.quantity === quantity);
          if (clash) ctx.addIssue({ code: 'custom', path: at, message: `device "${src.device}" already feeds property "${clash.prop}"` });
          feeds.set(src.device, [...others, { prop, quantity }]);
        }
      }
    },
    { when: (payload) => isObject(payload.value) },
  );

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type SerialPortConfig = z.infer<typeof serialPortSchema>;
export type StationConfig = z.infer<typeof stationSchema>;
export type PropertySource = z.infer<typeof propertySourceSchema>;

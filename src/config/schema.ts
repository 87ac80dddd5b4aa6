// One zod schema drives validation, defaults and the types every layer uses.
import { z } from 'zod';

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

export const serialPortSchema = z
  .object({
    /** /dev/ttyUSB0, /dev/serial/by-id/..., or a PTY path. */
    path: z.string().min(1),
    baud_rate: z.number().int().positive().default(9600),
    data_bits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    stop_bits: z.union([z.literal(1), z.literal(1.5), z.literal(2)]).default(1),
    flow_control: z.enum(['none', 'xonxoff', 'rtscts']).default('none'),
  })
  .strict();

const reconnect = z
  .object({
    initial_ms: z.number().int().positive().default(500),
    max_ms: z.number().int().positive().default(30_000),
  })
  .strict()
  .prefault({});

const deviceBase = {
  port: serialPortSchema,
  reconnect,
  /** Longest accepted line; longer input is discarded up to the next terminator. */
  max_line_bytes: z.number().int().min(16).max(65_536).default(256),
};

export const scannerDeviceSchema = z
  .object({ kind: z.literal('scanner'), ...deviceBase })
  .strict();

export const mtsicsDeviceSchema = z
  .object({
    kind: z.literal('mtsics'),
    ...deviceBase,
    /** Time between SI polls; one command is in flight at a time. */
    poll_ms: z.number().int().min(50).default(250),
    /** A reply slower than this counts as no answer. */
    reply_timeout_ms: z.number().int().min(50).default(2_000),
    /** After this many unanswered polls in a row the port is recreated. */
    max_missed_replies: z.number().int().min(1).default(5),
  })
  .strict();

export const mitutoyoDeviceSchema = z
  .object({
    kind: z.literal('mitutoyo'),
    ...deviceBase,
    /** Digimatic lines carry no unit: say which one the gauge is set to. */
    unit: z.enum(['mm', 'in']).default('mm'),
  })
  .strict();

export const deviceSchema = z.discriminatedUnion('kind', [
  scannerDeviceSchema,
  mtsicsDeviceSchema,
  mitutoyoDeviceSchema,
]);

export const propertySourceSchema = z
  .object({
    /** Device id (a key of `devices`) that supplies this property. */
    device: id,
    /** Unit sent to the API; must be the unit the instrument reports. */
    unit: z.string().min(1).max(32),
    /**
     * Capture rule: a reading counts only when at or above this value, and the next capture on the same
     * device waits until a reading has fallen below it again (a balance pan unloaded). Required for balances.
     */
    min_load: z.number().nonnegative().optional(),
  })
  .strict();

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
          })
          .strict()
          .prefault({}),
        concurrency: z.number().int().min(1).max(8).default(1),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8787),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
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
        else if (scanner && scanner.kind !== 'scanner')
          ctx.addIssue({ code: 'custom', path: ['stations', sid, 'scanner'], message: `device "${st.scanner}" is a ${scanner.kind}, not a scanner` });
        const feeds = new Map<string, string>();
        for (const [prop, src] of Object.entries(isObject(st.properties) ? st.properties : {})) {
          if (!isObject(src) || typeof src.device !== 'string') continue;
          const dev = devices[src.device];
          const at = ['stations', sid, 'properties', prop, 'device'];
          if (!dev) ctx.addIssue({ code: 'custom', path: at, message: `no device "${src.device}" in devices` });
          else if (dev.kind === 'scanner') ctx.addIssue({ code: 'custom', path: at, message: `device "${src.device}" is a scanner` });
          else if (dev.kind === 'mtsics' && src.min_load === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['stations', sid, 'properties', prop, 'min_load'],
              message: 'a balance property needs min_load, so a weight is never attached to the wrong cell',
            });
          // The station routes a reading by its device, so one device feeds one property per station.
          const other = feeds.get(src.device);
          if (other) ctx.addIssue({ code: 'custom', path: at, message: `device "${src.device}" already feeds property "${other}"` });
          else feeds.set(src.device, prop);
        }
      }
    },
    { when: (payload) => isObject(payload.value) },
  );

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type SerialPortConfig = z.infer<typeof serialPortSchema>;
export type StationConfig = z.infer<typeof stationSchema>;
export type PropertySource = z.infer<typeof propertySourceSchema>;

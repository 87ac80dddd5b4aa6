// Shapes that cross layer boundaries: devices -> station -> queue -> uploader.

/** One decoded value from an instrument. `value` keeps the instrument's decimal text (resolution). */
export interface Reading {
  /** Configured device id, e.g. "balance1". */
  device: string;
  /** What was measured: "mass", "thickness", "voltage", "resistance", ... */
  quantity: string;
  /** Decimal text exactly as the instrument sent it, normalised ("+0000.123" -> "0.123"). */
  value: string;
  unit: string;
  stable: boolean;
  /** The frame it came from, for logs and traceability. */
  raw: string;
  /** Milliseconds since the epoch, from the injected clock. */
  at: number;
}

/** A barcode read by a scanner device. */
export interface Scan {
  device: string;
  code: string;
  at: number;
}

export type DeviceState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

// What every device driver looks like from the outside. Drivers know nothing of stations.
import type { EventEmitter } from 'node:events';
import type { DeviceState, Reading, Scan } from '../core/types.js';

export interface DeviceStatus {
  id: string;
  kind: string;
  state: DeviceState;
  /** When `state` last changed (ms since epoch). */
  since: number;
  /** Last problem in plain words, e.g. "port /dev/ttyUSB0 disappeared (unplugged?)". */
  lastError?: string;
  /** Time of the last decoded reading or scan. */
  lastDataAt?: number;
  /** Model/serial where the protocol reports them (MT-SICS I4, *IDN?). */
  identity?: { model?: string; serial?: string };
}

export interface DeviceEvents {
  reading: [Reading];
  scan: [Scan];
  status: [DeviceStatus];
}

export interface Device extends EventEmitter<DeviceEvents> {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): DeviceStatus;
}

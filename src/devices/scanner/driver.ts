// Barcode scanner in serial mode (USB CDC-ACM or RS-232): streams one code per line.
import type { DeviceConfig } from '../../config/schema.js';
import { SerialDevice, type DeviceDeps } from '../serial-device.js';
import { decodeScan } from './decode.js';

export type ScannerConfig = Extract<DeviceConfig, { kind: 'scanner' }>;

export class SerialScanner extends SerialDevice {
  constructor(id: string, cfg: ScannerConfig, deps: DeviceDeps) {
    super(id, 'scanner', cfg, deps);
  }

  protected onLine(line: string): void {
    const frame = decodeScan(line, { bytes: true });
    if (frame.kind === 'garbage') return this.dropped(line, 'not a printable code');
    this.emitScan(frame.code);
  }
}

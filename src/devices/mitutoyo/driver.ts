// Mitutoyo Digimatic-format gauge: streams a line when the operator presses DATA, so nothing is polled and
// every reading is stable. The unit comes from config because the line carries none.
import type { DeviceConfig } from '../../config/schema.js';
import { SerialDevice, type DeviceDeps } from '../serial-device.js';
import { decodeDigimatic } from './decode.js';

export type MitutoyoConfig = Extract<DeviceConfig, { kind: 'mitutoyo' }>;

export class DigimaticGauge extends SerialDevice {
  constructor(
    id: string,
    private readonly cfg: MitutoyoConfig,
    deps: DeviceDeps,
  ) {
    super(id, 'mitutoyo', cfg, deps);
  }

  protected onLine(line: string): void {
    const frame = decodeDigimatic(line);
    if (frame.kind === 'garbage') return this.dropped(line, 'not a Digimatic-format line');
    this.emitReading('thickness', frame.value, this.cfg.unit, true, line);
  }
}

// One entry point from config to a running driver.
import type { DeviceConfig } from '../config/schema.js';
import type { Device } from './device.js';
import { HidGauge, HidScanner } from './hid/driver.js';
import { lineSpec } from './families.js';
import { LineInstrument } from './line-instrument.js';
import { SerialScanner } from './scanner/driver.js';
import type { DeviceDeps } from './serial-device.js';

export type { DeviceDeps } from './serial-device.js';
export type { BindingInterface } from '@serialport/bindings-cpp';
export { convert, canConvert } from './units.js';
export { LINE_KINDS, lineSpec, type LineDeviceConfig, type LineKind } from './families.js';

export function createDevice(id: string, cfg: DeviceConfig, deps: DeviceDeps): Device {
  switch (cfg.kind) {
    case 'scanner':
      return new SerialScanner(id, cfg, deps);
    case 'hid-scanner':
      return new HidScanner(id, cfg, deps);
    case 'hid-gauge':
      return new HidGauge(id, cfg, deps);
    default:
      // Balances, gauges, testers, multiplexers and generic devices: one driver, parameterised by family.
      return new LineInstrument(id, cfg, lineSpec(cfg), deps);
  }
}

// One entry point from config to a running driver.
import type { DeviceConfig } from '../config/schema.js';
import type { Device } from './device.js';
import { DigimaticGauge } from './mitutoyo/driver.js';
import { MtSicsBalance } from './mtsics/driver.js';
import { SerialScanner } from './scanner/driver.js';
import type { DeviceDeps } from './serial-device.js';

export type { DeviceDeps } from './serial-device.js';
export type { BindingInterface } from '@serialport/bindings-cpp';

export function createDevice(id: string, cfg: DeviceConfig, deps: DeviceDeps): Device {
  switch (cfg.kind) {
    case 'mtsics':
      return new MtSicsBalance(id, cfg, deps);
    case 'mitutoyo':
      return new DigimaticGauge(id, cfg, deps);
    case 'scanner':
      return new SerialScanner(id, cfg, deps);
  }
}

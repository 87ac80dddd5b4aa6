// Which device node a configured port means right now. A path (or /dev/serial/by-id link) is opened as given;
// USB ids are looked up in the binding's list() at every (re)connect, because a replugged adapter can come
// back as another ttyUSBn. Exactly one port must match: guessing between two would read the wrong instrument.
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { SerialPortConfig } from '../../config/schema.js';

type UsbSpec = NonNullable<SerialPortConfig['usb']>;

/** How the port is named in logs and status: its path, or "usb 0403:6001 serial DM003456". */
export function portLabel(port: Pick<SerialPortConfig, 'path' | 'usb'>): string {
  if (port.path !== undefined) return port.path;
  const usb = port.usb;
  if (usb === undefined) return '<no port>';
  return `usb ${hex(usb.vendor_id)}:${hex(usb.product_id)}${usb.serial === undefined ? '' : ` serial ${usb.serial}`}`;
}

export async function resolvePortPath(port: Pick<SerialPortConfig, 'path' | 'usb'>, binding: BindingInterface): Promise<string> {
  if (port.path !== undefined) return port.path;
  const usb = port.usb;
  if (usb === undefined) throw new Error('no path or usb ids configured');
  const listed = await binding.list();
  const matches = listed.filter((p) => matchesUsb(p, usb));
  const [only] = matches;
  if (matches.length === 1 && only) return only.path;
  if (matches.length === 0) {
    const seen = listed.filter((p) => p.vendorId !== undefined).map((p) => `${p.path} (${hex(p.vendorId ?? '')}:${hex(p.productId ?? '')} serial ${p.serialNumber ?? '-'})`);
    throw new Error(`no serial port matches ${portLabel(port)}; USB ports present: ${seen.join(', ') || 'none'}`);
  }
  const paths = matches.map((p) => `${p.path} (serial ${p.serialNumber ?? '-'})`).join(', ');
  throw new Error(`${matches.length} serial ports match ${portLabel(port)}: ${paths}; add usb.serial to choose one`);
}

function matchesUsb(p: { vendorId?: string; productId?: string; serialNumber?: string }, usb: UsbSpec): boolean {
  return (
    hex(p.vendorId ?? '') === hex(usb.vendor_id) &&
    hex(p.productId ?? '') === hex(usb.product_id) &&
    (usb.serial === undefined || p.serialNumber === usb.serial)
  );
}

/** "0x0403", "0403" and "403" are one id; list() reports lower-case hex without prefix. */
function hex(id: string): string {
  return id.toLowerCase().replace(/^0x/, '').padStart(4, '0');
}

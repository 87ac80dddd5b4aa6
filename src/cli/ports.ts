// ports: what is plugged in, named the way a config file can name it: serial ports with their
// /dev/serial/by-id link (udev ID_SERIAL via serialport's pnpId) and USB ids, and keyboard-wedge devices
// under /dev/input/by-id. PTYs (simulators, socat) never appear: udev does not list them (instruments.md 8).
import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autoDetect, type PortInfo } from '@serialport/bindings-cpp';
import type { Command } from './commands.js';
import { EX_UNAVAILABLE, EX_USAGE } from './bench-options.js';

export interface SerialPortRow {
  path: string;
  by_id?: string;
  vendor_id?: string;
  product_id?: string;
  serial_number?: string;
  manufacturer?: string;
}

export interface InputDeviceRow {
  /** The stable name to put in a hid-scanner / hid-gauge config. */
  path: string;
  /** The /dev/input/eventN it points at now. */
  target?: string;
}

export function serialRow(p: PortInfo): SerialPortRow {
  return {
    path: p.path,
    by_id: p.pnpId ? `/dev/serial/by-id/${p.pnpId}` : undefined,
    vendor_id: p.vendorId,
    product_id: p.productId,
    serial_number: p.serialNumber,
    manufacturer: p.manufacturer,
  };
}

/** Keyboard interfaces udev named under `dir` (60-persistent-input.rules: ...-event-kbd, ...-ifNN-event-kbd). */
export function listInputKeyboards(dir = '/dev/input/by-id'): InputDeviceRow[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no input devices at all (a headless box): nothing to list, not an error
  }
  return names
    .filter((n) => n.endsWith('-event-kbd'))
    .sort()
    .map((n) => {
      const path = join(dir, n);
      try {
        return { path, target: realpathSync(path) };
      } catch {
        return { path }; // a dangling link: the device left while we looked
      }
    });
}

export const portsCommand: Command = {
  summary: 'list serial ports (by-id names, USB ids) and keyboard-wedge input devices: ports [--json]',
  async run(args) {
    let json = false;
    try {
      json = parseArgs({ args, options: { json: { type: 'boolean' } } }).values.json === true;
    } catch (err) {
      process.stderr.write(`ionworks-edge ports: ${(err as Error).message}\nusage: ionworks-edge ports [--json]\n`);
      return EX_USAGE;
    }
    let serial: SerialPortRow[] = [];
    let serialError: string | undefined;
    try {
      serial = (await autoDetect().list()).map(serialRow);
    } catch (err) {
      serialError = `cannot list serial ports: ${(err as Error).message}`;
      process.stderr.write(`ionworks-edge ports: ${serialError}\n`);
    }
    const hid = listInputKeyboards();
    if (json) process.stdout.write(`${JSON.stringify({ serial, serial_error: serialError, hid }, null, 2)}\n`);
    else process.stdout.write(render(serial, hid));
    return serialError ? EX_UNAVAILABLE : 0;
  },
};

function render(serial: SerialPortRow[], hid: InputDeviceRow[]): string {
  const out: string[] = ['serial ports:'];
  if (serial.length === 0) out.push('  (none; PTYs from simulators are not listed, open them by path)');
  for (const p of serial) {
    out.push(`  ${p.by_id ?? p.path}`);
    const ids = p.vendor_id ? `usb ${p.vendor_id}:${p.product_id ?? '?'}` : 'not USB';
    out.push(`    ${p.path}  ${ids}${p.serial_number ? `  serial ${p.serial_number}` : ''}${p.manufacturer ? `  ${p.manufacturer}` : ''}`);
  }
  out.push('keyboard-wedge devices (hid-scanner / hid-gauge):');
  if (hid.length === 0) out.push('  (none)');
  for (const k of hid) out.push(`  ${k.path}${k.target ? ` -> ${k.target}` : ''}`);
  return `${out.join('\n')}\n`;
}

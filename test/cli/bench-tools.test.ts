// The bench tools through the real CLI entry (node dist/cli/main.js; `npm test` builds first): decode on
// captured files, simulate and probe talking over a real PTY (and a FIFO for keyboard wedges), ports.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS } from '../../src/devices/hid/keymap.js';
import { encodeLine } from '../../src/devices/hid/simulator.js';
import { listInputKeyboards } from '../../src/cli/ports.js';
import { withTempDir } from '../devices/helpers.js';

const MAIN = resolve('dist/cli/main.js');

beforeAll(() => {
  expect(existsSync(resolve('dist/cli/decode.js')), 'run `npm run build` first').toBe(true);
});

function cli(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', timeout: 15_000 });
  const json = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

describe('ionworks-edge decode', () => {
  it('MT-SICS capture file: one JSON line per frame, readings and errors alike, exit 0', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'balance.cap');
      await writeFile(
        file,
        Buffer.concat([
          Buffer.from('I4 A "B207696838"\r\n'), // identity answer
          Buffer.from('S D     99.98 g\r\n'), // dynamic (unstable) weight
          Buffer.from('S S      100.00 g\r\n'), // stable weight, manual's padding
          Buffer.from('S +\r\n'), // overload
          Buffer.from('ES\r\n'), // syntax error
          Buffer.from([0x53, 0x20, 0x53, 0x20, 0xff, 0xfe, 0x0d, 0x0a]), // wrong-baud noise inside a line
          Buffer.from('S S   12'), // capture cut off mid-line
        ]),
      );
      const r = cli(['decode', '--protocol', 'mtsics', file]);
      expect(r.code).toBe(0);
      expect(r.json).toEqual([
        { kind: 'identity', serial: 'B207696838', raw: 'I4 A "B207696838"' },
        { kind: 'reading', quantity: 'mass', value: '99.98', unit: 'g', stable: false, raw: 'S D     99.98 g' },
        { kind: 'reading', quantity: 'mass', value: '100.00', unit: 'g', stable: true, raw: 'S S      100.00 g' },
        expect.objectContaining({ kind: 'error', code: '+', raw: 'S +' }),
        expect.objectContaining({ kind: 'error', code: 'ES', raw: 'ES' }),
        expect.objectContaining({ kind: 'garbage' }),
        { kind: 'garbage', reason: '8 bytes after the last line end (capture cut short?)', raw: '' },
      ]);
    });
  });

  it('Digimatic capture on stdin, CR-terminated, in the unit given', () => {
    const r = cli(['decode', '--protocol', 'mitutoyo', '--unit', 'in'], '01A+000.1234\r02A-001.2340\r01A+00\r');
    expect(r.code).toBe(0);
    expect(r.json).toEqual([
      expect.objectContaining({ kind: 'reading', value: '0.1234', unit: 'in', channel: '1', raw: '01A+000.1234' }),
      expect.objectContaining({ kind: 'reading', value: '-1.2340', unit: 'in', channel: '2' }),
      expect.objectContaining({ kind: 'garbage', raw: '01A+00' }),
    ]);
  });

  it('pure garbage is still input it could read: exit 0, every line JSON, no reading', () => {
    let seed = 7;
    const noise = Buffer.from(Array.from({ length: 20_000 }, () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 256));
    for (const protocol of ['mtsics', 'mitutoyo']) {
      const r = cli(['decode', '--protocol', protocol], noise);
      expect(r.code).toBe(0);
      expect(r.json.length).toBeGreaterThan(0);
      expect(r.json.filter((f) => f.kind === 'reading')).toEqual([]);
    }
  });

  it('keyboard-wedge capture (raw input_event records, e.g. from `cat /dev/input/by-id/...-event-kbd`)', () => {
    const capture = Buffer.concat([encodeLine('CELL-0042', LAYOUTS.de), encodeLine('ZELLE', LAYOUTS.de).subarray(0, 4 * 24 + 6)]); // Shift, Z, then a cut record
    const r = cli(['decode', '--protocol', 'hid-scanner', '--layout', 'de'], capture);
    expect(r.code).toBe(0);
    expect(r.json).toEqual([
      { kind: 'code', code: 'CELL-0042', raw: 'CELL-0042' },
      { kind: 'garbage', reason: '6 bytes of an incomplete input_event record', raw: '' },
      { kind: 'garbage', reason: 'typing not ended by Enter', raw: '' },
    ]);
  });

  it('exit 64 listing the known protocols for an unknown one; 66 for an unreadable file', () => {
    const unknown = cli(['decode', '--protocol', 'nope', '/dev/null']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/unknown protocol "nope"; known protocols: .*mtsics.*mitutoyo.*hid-scanner/);
    const missing = cli(['decode', '--protocol', 'mtsics', '/nonexistent/capture.bin']);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/cannot read \/nonexistent\/capture.bin/);
    expect(cli(['decode', '--protocol', 'mtsics', '/']).code).toBe(66); // a directory
  });
});

/** A CLI process whose stdout lines can be awaited (bounded). */
class Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [MAIN, ...args]);
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters) w();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** The first stdout line (JSON-parsed unless `raw`) accepted by `accept`, within `ms`. */
  line<T = Record<string, unknown>>(what: string, accept: (l: T) => boolean, raw = false, ms = 8_000): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        for (const l of this.lines) {
          const v = (raw ? l : JSON.parse(l)) as T;
          if (accept(v)) {
            clearTimeout(timer);
            this.waiters = this.waiters.filter((w) => w !== check);
            resolvePromise(v);
            return;
          }
        }
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)), ms);
      this.waiters.push(check);
      check();
    });
  }

  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}

describe('ionworks-edge simulate + probe over a real PTY', () => {
  it('MT-SICS: probe sees the simulated balance settle on a loaded weight; a second probe is told the port is held', async () => {
    const sim = new Running(['simulate', '--protocol', 'mtsics']);
    const probes: Running[] = [];
    try {
      const path = await sim.line<string>('the PTY path', (l) => l.startsWith('/dev/pts/'), true);
      const probe = new Running(['probe', '--port', path, '--protocol', 'mtsics']);
      probes.push(probe);
      await probe.line('identity from I4', (l) => l.event === 'status' && (l.identity as { serial?: string } | undefined)?.serial === 'B207696838');
      sim.child.stdin.write('load 12.345\n');
      const reading = await probe.line('stable 12.345 g', (l) => l.event === 'reading' && l.stable === true && l.value === '12.345');
      expect(reading).toMatchObject({ device: 'probe', quantity: 'mass', unit: 'g', raw: 'S S     12.345 g' });

      const second = new Running(['probe', '--port', path, '--protocol', 'mtsics']);
      probes.push(second);
      expect(await second.exited).toBe(75);
      expect(second.stderr).toMatch(/is held by another program \(most likely the ionworks-edge daemon/);
      expect(second.stderr).toMatch(/Cannot lock port/);

      sim.child.stdin.write('weigh it\n');
      await expect.poll(() => sim.stderr).toMatch(/not understood: "weigh it"/);
      expect(await probe.interrupt()).toBe(0);
    } finally {
      for (const p of probes) p.child.kill('SIGKILL');
      expect(await sim.interrupt()).toBe(0);
    }
  });

  it('Digimatic gauge: `send 1.234` arrives as a stable thickness reading', async () => {
    const sim = new Running(['simulate', '--protocol', 'mitutoyo']);
    let probe: Running | undefined;
    try {
      const path = await sim.line<string>('the PTY path', (l) => l.startsWith('/dev/pts/'), true);
      probe = new Running(['probe', '--port', path, '--protocol', 'mitutoyo', '--unit', 'mm']);
      await probe.line('connected', (l) => l.event === 'status' && l.state === 'connected');
      sim.child.stdin.write('send 1.234\n');
      expect(await probe.line('a reading', (l) => l.event === 'reading')).toMatchObject({ value: '1.234', unit: 'mm', stable: true, quantity: 'thickness' });
      expect(await probe.interrupt()).toBe(0);
    } finally {
      probe?.child.kill('SIGKILL');
      expect(await sim.interrupt()).toBe(0);
    }
  });

  it('Sartorius SBI (any line family, one registry): probe reads the model and serial, then the loaded weight', async () => {
    const sim = new Running(['simulate', '--protocol', 'sartorius']);
    let probe: Running | undefined;
    try {
      const path = await sim.line<string>('the PTY path', (l) => l.startsWith('/dev/pts/'), true);
      probe = new Running(['probe', '--port', path, '--protocol', 'sartorius']);
      await probe.line('identity from ESC x1_ / x2_', (l) => l.event === 'status' && (l.identity as { serial?: string } | undefined)?.serial === '0031801165');
      sim.child.stdin.write('load 12.34\n');
      expect(await probe.line('stable 12.34 g', (l) => l.event === 'reading' && l.stable === true && l.value === '12.34')).toMatchObject({ quantity: 'mass', unit: 'g' });
      expect(await probe.interrupt()).toBe(0);
    } finally {
      probe?.child.kill('SIGKILL');
      expect(await sim.interrupt()).toBe(0);
    }
  });

  it('keyboard-wedge scanner: simulate on a FIFO, probe reads it through the python3 helper (AZERTY)', async () => {
    await withTempDir(async (dir) => {
      const link = join(dir, 'usb-Sim_Scanner-event-kbd');
      const sim = new Running(['simulate', '--protocol', 'hid-scanner', '--layout', 'fr', '--link', link]);
      let probe: Running | undefined;
      try {
        expect(await sim.line<string>('the FIFO path', (l) => l === link, true)).toBe(link);
        probe = new Running(['probe', '--port', link, '--protocol', 'hid-scanner', '--layout', 'fr']);
        await probe.line('connected', (l) => l.event === 'status' && l.state === 'connected');
        sim.child.stdin.write('scan CELL-0007/A\n');
        expect(await probe.line('a scan', (l) => l.event === 'scan')).toMatchObject({ device: 'probe', code: 'CELL-0007/A' });
        expect(probe.stderr).toMatch(/hid.grab_failed/); // a FIFO cannot be grabbed: said, and reading goes on
        expect(await probe.interrupt()).toBe(0);
      } finally {
        probe?.child.kill('SIGKILL');
        expect(await sim.interrupt()).toBe(0);
      }
      expect(existsSync(link)).toBe(false);
    });
  });
});

describe('ionworks-edge ports', () => {
  it('prints valid JSON with serial ports and keyboard-wedge devices', () => {
    const r = spawnSync(process.execPath, [MAIN, 'ports', '--json'], { encoding: 'utf8', timeout: 15_000 });
    const out = JSON.parse(r.stdout) as { serial: Array<Record<string, unknown>>; serial_error?: string; hid: unknown[] };
    // 69 only when udev cannot be asked; then the error is in the output, not only on stderr.
    expect(r.status === 0 ? out.serial_error : r.status).toBe(r.status === 0 ? undefined : 69);
    expect(Array.isArray(out.serial) && Array.isArray(out.hid)).toBe(true);
    for (const p of out.serial) expect(p.path).toMatch(/^\/dev\//);
  });

  it('lists -event-kbd links with their targets, skipping other input nodes', async () => {
    await withTempDir(async (dir) => {
      const byId = join(dir, 'by-id');
      await mkdir(byId);
      await writeFile(join(dir, 'event7'), '');
      await symlink('../event7', join(byId, 'usb-Newland_NLS-if00-event-kbd'));
      await symlink('../event8', join(byId, 'usb-Gone-event-kbd')); // dangling: unplugged while listing
      await symlink('../event7', join(byId, 'usb-Newland_NLS-event-mouse'));
      expect(listInputKeyboards(byId)).toEqual([
        { path: join(byId, 'usb-Gone-event-kbd') },
        { path: join(byId, 'usb-Newland_NLS-if00-event-kbd'), target: join(dir, 'event7') },
      ]);
      expect(listInputKeyboards(join(dir, 'absent'))).toEqual([]);
    });
  });
});

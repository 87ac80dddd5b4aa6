// A simulated bench on real pseudo-terminals: scanner, MT-SICS balance and Digimatic gauge, plus the stand-in
// API. The demo, the end-to-end tests and the crash test all build their world from this one place.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openPty, type PtyPair } from '../devices/pty.js';
import { ScannerSimulator } from '../devices/scanner/simulator.js';
import { MtSicsSimulator } from '../devices/mtsics/simulator.js';
import { DigimaticSimulator } from '../devices/mitutoyo/simulator.js';
import { startStandin, type Standin, type StandinCell } from './standin/server.js';
import type { ConfigInput } from '../config/schema.js';

/** The cell instances the stand-in knows: ids CELL-0001..CELL-9999, names (serial numbers) SN0001..SN9999. */
export const DEMO_CELLS: StandinCell[] = Array.from({ length: 9_999 }, (_, i) => {
  const n = String(i + 1).padStart(4, '0');
  return { id: `CELL-${n}`, name: `SN${n}`, cell_specification_id: 'spec-demo-21700' };
});

/**
 * The smallest bench: a scanner and a Digimatic gauge measuring thickness, cell ids taken as scanned (no lookup).
 * The crash test and the latency benchmark run on it.
 */
export function gaugeOnlyBench(scannerPath: string, gaugePath: string): Pick<ConfigInput, 'devices' | 'stations'> {
  return {
    devices: {
      scanner1: { kind: 'scanner', port: { path: scannerPath } },
      gauge1: { kind: 'mitutoyo', port: { path: gaugePath }, unit: 'mm' },
    },
    stations: {
      bench1: {
        scanner: 'scanner1',
        cell_pattern: '^CELL-[0-9]{4}$',
        properties: { thickness: { device: 'gauge1', unit: 'mm' } },
        cell_id: { mode: 'id', verify_online: false },
      },
    },
  };
}

export interface BenchRig {
  dir: string;
  apiKey: string;
  standin: Standin;
  ptys: PtyPair[];
  scanner: ScannerSimulator;
  balance: MtSicsSimulator;
  gauge: DigimaticSimulator;
  /** A config for one bench wired to these simulators and the stand-in. */
  config(overrides?: Partial<ConfigInput>): ConfigInput;
  close(): Promise<void>;
}

export async function startBenchRig(opts: { dir?: string; standinPort?: number } = {}): Promise<BenchRig> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'ionworks-edge-')));
  const apiKey = `iwk_demo_${randomBytes(8).toString('hex')}`;
  const standin = await startStandin({ apiKey, port: opts.standinPort ?? 0, statePath: join(dir, 'standin.json'), cells: DEMO_CELLS });
  const [scannerPty, balancePty, gaugePty] = await Promise.all([
    openPty({ link: join(dir, 'scanner.tty') }),
    openPty({ link: join(dir, 'balance.tty') }),
    openPty({ link: join(dir, 'gauge.tty') }),
  ]);
  const balance = new MtSicsSimulator(balancePty, { serial: 'B207696838' });
  balance.start();
  const rig: BenchRig = {
    dir,
    apiKey,
    standin,
    ptys: [scannerPty, balancePty, gaugePty],
    scanner: new ScannerSimulator(scannerPty),
    balance,
    gauge: new DigimaticSimulator(gaugePty),
    config: (overrides = {}) => ({
      lab: 'Demo lab',
      state_dir: join(dir, 'state'),
      api: { base_url: standin.url, timeout_ms: 5_000, retry: { base_ms: 200, cap_ms: 2_000 } },
      http: { host: '127.0.0.1', port: 0 },
      devices: {
        scanner1: { kind: 'scanner', port: { path: scannerPty.path } },
        balance1: { kind: 'mtsics', port: { path: balancePty.path }, poll_ms: 100, reply_timeout_ms: 1_000 },
        gauge1: { kind: 'mitutoyo', port: { path: gaugePty.path }, unit: 'mm' },
      },
      stations: {
        bench1: {
          scanner: 'scanner1',
          cell_pattern: '^CELL-[0-9]{4}$',
          properties: {
            mass: { device: 'balance1', unit: 'g', min_load: 0.5 },
            thickness: { device: 'gauge1', unit: 'mm' },
          },
        },
      },
      ...overrides,
    }),
    close: async () => {
      balance.stop();
      await Promise.all(rig.ptys.map((p) => p.close()));
      await standin.close();
      if (!opts.dir) await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

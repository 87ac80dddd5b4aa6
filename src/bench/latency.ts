// Scan-to-saved latency: from writing the last byte of the completing reading (the gauge's DATA line) into its PTY
// to the station's "saved" (emitted right after the outbox commit returns), with the real Daemon in this process,
// real serialport on real PTYs, and uploads running against the stand-in in another process (an upload's own
// commits can delay a save: that is what "2 fsyncs" in the goal allows for).
// The PTY is fed through a small relay (src/devices/pty.ts); its own delivery time is measured the same way, on a
// port this process opens itself, and reported beside the result.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialPortStream } from '@serialport/stream';
import { configSchema } from '../config/schema.js';
import { Daemon } from '../daemon.js';
import { openPty, type PtyPair } from '../devices/pty.js';
import { ScannerSimulator } from '../devices/scanner/simulator.js';
import { DigimaticSimulator } from '../devices/mitutoyo/simulator.js';
import { silentLogger } from '../ops/logger.js';
import type { Station, StationSnapshot } from '../station/station.js';
import { waitFor, pause } from '../demo/wait.js';
import { spawnStandin } from './fixtures.js';
import { percentile } from './stats.js';

export interface Distribution {
  p50: number;
  p99: number;
  samples: number;
}

export interface LatencyResult {
  /** From the PTY write of the gauge line to the committed row. */
  scanToSaved: Distribution;
  /** The daemon's share: from the gauge device emitting the decoded reading to the committed row. */
  readingToSaved: Distribution;
  /** The rig's share: the PTY relay's delivery of a line to a port opened in this process. */
  relay: Distribution;
}

const distribution = (ms: number[]): Distribution => ({ p50: percentile(ms, 50), p99: percentile(ms, 99), samples: ms.length });

/** Resolves with performance.now() at the first snapshot `match` accepts. */
function when(station: Station, match: (s: StationSnapshot) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const on = (s: StationSnapshot) => {
      if (!match(s)) return;
      const at = performance.now();
      station.off('changed', on);
      resolve(at);
    };
    station.on('changed', on);
  });
}

export async function benchLatency(dir: string, opts: { samples: number }): Promise<LatencyResult> {
  const apiKey = 'iwk_bench_latency_key';
  const standin = await spawnStandin(apiKey);
  const ptys: PtyPair[] = [];
  let daemon: Daemon | undefined;
  try {
    const [scannerPty, gaugePty, probePty] = await Promise.all([openPty(), openPty(), openPty()]);
    ptys.push(scannerPty!, gaugePty!, probePty!);
    const relay = await relayLatency(probePty!, opts.samples);

    const stateDir = join(dir, 'latency-state');
    mkdirSync(stateDir, { recursive: true });
    const config = configSchema.parse({
      lab: 'Bench lab',
      state_dir: stateDir,
      api: { base_url: standin.url, concurrency: 2 },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'error' },
      devices: {
        scanner1: { kind: 'scanner', port: { path: scannerPty!.path } },
        gauge1: { kind: 'mitutoyo', port: { path: gaugePty!.path }, unit: 'mm' },
      },
      stations: {
        bench1: {
          scanner: 'scanner1',
          cell_pattern: '^CELL-[0-9]{4}$',
          properties: { thickness: { device: 'gauge1', unit: 'mm' } },
          cell_id: { mode: 'id', verify_online: false },
        },
      },
    });
    daemon = new Daemon({ config, configPath: '(bench)', apiKey, logger: silentLogger() });
    await daemon.start();
    const d = daemon;
    await waitFor('devices to connect', () => d.status().devices.every((x) => x.state === 'connected'));
    const station = d.stations.get('bench1')!;
    const scanner = new ScannerSimulator(scannerPty!);
    const gauge = new DigimaticSimulator(gaugePty!);
    const gaugeDevice = d.devices.get('gauge1')!;

    const ms: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < opts.samples; i++) {
      const code = `CELL-${String(i + 1).padStart(4, '0')}`;
      const active = when(station, (s) => s.activeCell?.id === code);
      scanner.scan(code);
      await active;
      const saved = when(station, (s) => s.lastSaved?.cell === code);
      // Ahead of the station's own listener, which saves synchronously when the reading completes the cell.
      const reading = new Promise<number>((resolve) => gaugeDevice.prependOnceListener('reading', () => resolve(performance.now())));
      const start = performance.now();
      gauge.send(`5.${String(500 + (i % 400))}`);
      const savedAt = await saved;
      ms.push(savedAt - start);
      inside.push(savedAt - (await reading));
      // An operator's pause; the uploader sends the row meanwhile, sometimes while the next reading arrives.
      await pause(5 + (i % 7) * 3);
    }
    await waitFor('uploads to finish', () => d.outbox.counts().pending === 0, 30_000);
    return { scanToSaved: distribution(ms), readingToSaved: distribution(inside), relay };
  } finally {
    await daemon?.stop();
    await Promise.all(ptys.map((p) => p.close()));
    await standin.stop();
  }
}

/** Write one short line into the PTY, time its arrival on a serialport this process opened: the rig's own share. */
async function relayLatency(pty: PtyPair, samples: number): Promise<Distribution> {
  const port = new SerialPortStream({ binding: autoDetect(), path: pty.path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const ms: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      // Until the terminator: the time of the last byte, as for the gauge line.
      const arrived = new Promise<number>((resolve) => {
        const on = (chunk: Buffer) => {
          if (!chunk.includes(0x0d)) return;
          port.off('data', on);
          resolve(performance.now());
        };
        port.on('data', on);
      });
      const start = performance.now();
      pty.write('01A+0005.523\r');
      ms.push((await arrived) - start);
      await pause(2);
    }
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
  return distribution(ms);
}

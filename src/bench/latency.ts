// Scan-to-saved latency: from writing the last byte of the completing reading (the gauge's DATA line) into its PTY
// to the station's "saved" (emitted right after the outbox commit returns), with the real Daemon in this process,
// real serialport on real PTYs, and uploads running against the stand-in in another process (an upload's own
// commits can delay a save: that is what "2 fsyncs" in the goal allows for).
// The PTY is fed through a small relay (src/devices/pty.ts); its own delivery time is measured the same way, on a
// port this process opens itself, once after every sample (so under the same load), and reported beside the result.
// The first WARMUP scans (JIT, first connections) are not counted.
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

/** Scans made before the measured ones and not counted: the first ones pay for JIT compilation and first connections. */
export const WARMUP = 20;

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
  let probe: RelayProbe | undefined;
  try {
    const [scannerPty, gaugePty, probePty] = await Promise.all([openPty(), openPty(), openPty()]);
    ptys.push(scannerPty!, gaugePty!, probePty!);
    probe = await openRelayProbe(probePty!);

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
    const relay: number[] = [];
    for (let i = -WARMUP; i < opts.samples; i++) {
      const code = `CELL-${String(i + WARMUP + 1).padStart(4, '0')}`;
      const active = when(station, (s) => s.activeCell?.id === code);
      scanner.scan(code);
      await active;
      const saved = when(station, (s) => s.lastSaved?.cell === code);
      // Ahead of the station's own listener, which saves synchronously when the reading completes the cell.
      const reading = new Promise<number>((resolve) => gaugeDevice.prependOnceListener('reading', () => resolve(performance.now())));
      const start = performance.now();
      gauge.send(`5.${String(500 + (i % 400))}`);
      const savedAt = await saved;
      const readAt = await reading;
      // An operator's pause; the uploader sends the row meanwhile, sometimes while the next reading arrives.
      await pause(5 + ((i + WARMUP) % 7) * 3);
      if (i < 0) continue;
      ms.push(savedAt - start);
      inside.push(savedAt - readAt);
      relay.push(await probe.once());
    }
    await waitFor('uploads to finish', () => d.outbox.counts().pending === 0, 30_000);
    return { scanToSaved: distribution(ms), readingToSaved: distribution(inside), relay: distribution(relay) };
  } finally {
    await probe?.close();
    await daemon?.stop();
    await Promise.all(ptys.map((p) => p.close()));
    await standin.stop();
  }
}

interface RelayProbe {
  /** Writes one short line into the PTY and resolves with the time until its last byte arrived on the port. */
  once(): Promise<number>;
  close(): Promise<void>;
}

/** A serialport this process opens on the probe PTY: the rig's own share of the latency, without the daemon. */
async function openRelayProbe(pty: PtyPair): Promise<RelayProbe> {
  const port = new SerialPortStream({ binding: autoDetect(), path: pty.path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    async once() {
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
      return (await arrived) - start;
    },
    close: () => new Promise<void>((resolve) => port.close(() => resolve())),
  };
}

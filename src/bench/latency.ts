// Scan-to-saved latency: from the last byte of the completing reading (the gauge's DATA line) on the wire to the
// station's "saved" (emitted right after the outbox commit returns), with the real Daemon in this process, real
// serialport on real PTYs, and uploads running against the stand-in in another process (an upload's own commits
// can delay a save: that is what "2 fsyncs" in the goal allows for).
// "On the wire" is the moment the PTY relay (src/devices/pty.ts) finished writing the line into the PTY master, as
// the relay reports it on CLOCK_MONOTONIC, the clock of process.hrtime: from there on the bytes are in the kernel's
// tty, as they would be in a USB-serial adapter's. Also reported: from our write into the relay's pipe (the
// relay's own hop included: a property of the rig, not of the daemon), and from the decoded reading (the
// daemon's share after framing). The first WARMUP scans (JIT, first connections) are not counted.
// Baseline: the floor this rig and disk allow, measured after the daemon's samples in the same way: the same line
// through another relay into a serialport this process opens with the daemon's binding (nativeBinding), committed
// as one row on a bare openDatabase connection in the same directory (no framing, no station, no uploads).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import { configSchema } from '../config/schema.js';
import { Daemon } from '../daemon.js';
import { openPty, type PtyPair } from '../devices/pty.js';
import { nativeBinding } from '../devices/transport/loop-read-binding.js';
import { ScannerSimulator } from '../devices/scanner/simulator.js';
import { DigimaticSimulator, digimaticLine } from '../devices/mitutoyo/simulator.js';
import { silentLogger } from '../ops/logger.js';
import { openDatabase } from '../queue/db.js';
import type { Station, StationSnapshot } from '../station/station.js';
import { gaugeOnlyBench } from '../demo/bench-rig.js';
import { waitFor, pause } from '../demo/wait.js';
import { spawnStandin } from './fixtures.js';
import { distribution, type Distribution } from './stats.js';

export interface LatencyResult {
  /** From the last byte of the gauge line on the wire (written into the PTY master) to the committed row. */
  scanToSaved: Distribution;
  /** From our write of the gauge line into the relay's pipe: the relay's hop included. */
  writeToSaved: Distribution;
  /** The daemon's share after framing: from the gauge device emitting the decoded reading to the committed row. */
  readingToSaved: Distribution;
  /** Baseline: wire to a bare one-row commit, through serialport on the same kind of PTY, no daemon. */
  barePipeline: Distribution;
}

/** Scans made before the measured ones and not counted: the first ones pay for JIT compilation and first connections. */
export const WARMUP = 20;

const now = (): bigint => process.hrtime.bigint();
/** The bench's operator pause after sample i: 5 to 23 ms, so saves meet the uploader at every phase of its cycle. */
const operatorPause = (i: number): Promise<void> => pause(5 + ((i + WARMUP) % 7) * 3);
const msBetween = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/** Resolves with the time (process.hrtime) of the first snapshot `match` accepts. */
function when(station: Station, match: (s: StationSnapshot) => boolean): Promise<bigint> {
  return new Promise((resolve) => {
    const on = (s: StationSnapshot) => {
      if (!match(s)) return;
      const at = now();
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
    const [scannerPty, gaugePty] = await Promise.all([openPty(), openPty({ writeTimes: true })]);
    ptys.push(scannerPty!, gaugePty!);

    const stateDir = join(dir, 'latency-state');
    mkdirSync(stateDir, { recursive: true });
    const config = configSchema.parse({
      lab: 'Bench lab',
      state_dir: stateDir,
      api: { base_url: standin.url, concurrency: 2 },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'error' },
      ...gaugeOnlyBench(scannerPty!.path, gaugePty!.path),
    });
    daemon = new Daemon({ config, configPath: '(bench)', apiKey, logger: silentLogger() });
    await daemon.start();
    const d = daemon;
    await waitFor('devices to connect', () => d.status().devices.every((x) => x.state === 'connected'));
    const station = d.stations.get('bench1')!;
    const scanner = new ScannerSimulator(scannerPty!);
    const gauge = new DigimaticSimulator(gaugePty!);
    const gaugeDevice = d.devices.get('gauge1')!;

    const wire: number[] = [];
    const written: number[] = [];
    const inside: number[] = [];
    for (let i = -WARMUP; i < opts.samples; i++) {
      const code = `CELL-${String(i + WARMUP + 1).padStart(4, '0')}`;
      const active = when(station, (s) => s.activeCell?.id === code);
      scanner.scan(code);
      await active;
      const saved = when(station, (s) => s.lastSaved?.cell === code);
      // Ahead of the station's own listener, which saves synchronously when the reading completes the cell.
      const reading = new Promise<bigint>((resolve) => gaugeDevice.prependOnceListener('reading', () => resolve(now())));
      // The line is one short write; if the relay ever split it, this would be its first part (a longer figure).
      const onWire = new Promise<bigint>((resolve) => gaugePty!.once('wrote', resolve));
      const start = now();
      gauge.send(`5.${String(500 + (i % 400))}`);
      const savedAt = await saved;
      const readAt = await reading;
      const wireAt = await onWire;
      // An operator's pause; the uploader sends the row meanwhile, sometimes while the next reading arrives.
      await operatorPause(i);
      if (i < 0) continue;
      wire.push(msBetween(wireAt, savedAt));
      written.push(msBetween(start, savedAt));
      inside.push(msBetween(readAt, savedAt));
    }
    await waitFor('uploads to finish', () => d.outbox.counts().pending === 0, 30_000);
    const barePipeline = await benchBarePipeline(dir, opts.samples);
    return { scanToSaved: distribution(wire), writeToSaved: distribution(written), readingToSaved: distribution(inside), barePipeline };
  } finally {
    await daemon?.stop();
    await Promise.all(ptys.map((p) => p.close()));
    await standin.stop();
  }
}

/** The baseline: PTY relay -> serialport -> one-row commit on a bare connection, timed from the wire like the daemon. */
async function benchBarePipeline(dir: string, samples: number): Promise<Distribution> {
  const pty = await openPty({ writeTimes: true });
  const port = new SerialPortStream({ binding: nativeBinding(), path: pty.path, baudRate: 9600, autoOpen: false });
  const db = openDatabase(join(dir, 'latency-bare.db'));
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
    const ms: number[] = [];
    for (let i = -WARMUP; i < samples; i++) {
      const line = `${digimaticLine(`5.${String(500 + (i % 400))}`)}\r`;
      let received = '';
      const committed = new Promise<bigint>((resolve) => {
        const onData = (chunk: Buffer) => {
          received += chunk.toString('latin1');
          if (!received.includes('\r')) return;
          port.off('data', onData);
          insert.run(received);
          resolve(now());
        };
        port.on('data', onData);
      });
      const onWire = new Promise<bigint>((resolve) => pty.once('wrote', resolve));
      pty.write(line);
      const [wireAt, committedAt] = await Promise.all([onWire, committed]);
      await operatorPause(i);
      if (i >= 0) ms.push(msBetween(wireAt, committedAt));
    }
    return distribution(ms);
  } finally {
    db.close();
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await pty.close();
  }
}

// End-to-end harness: the real Daemon on a simulated bench (real PTYs, real serialport, real SQLite file,
// the stand-in API on 127.0.0.1). The clock is a FakeClock used only as a clock, so names and start_time are
// fixed and the bodies can be compared with hand-written fixtures; timers and I/O are real.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { FakeClock } from '../../src/core/fake-clock.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import type { BenchRig } from '../../src/demo/bench-rig.js';
import type { Station } from '../../src/station/station.js';
import { waitFor } from '../../src/demo/wait.js';

export { waitFor };

export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

export async function startDaemon(
  rig: BenchRig,
  clock: FakeClock,
  opts: { overrides?: Partial<ConfigInput>; logger?: Logger } = {},
): Promise<Daemon> {
  const config = configSchema.parse(rig.config(opts.overrides));
  const daemon = new Daemon({
    config,
    configPath: '(test)',
    apiKey: rig.apiKey,
    logger: opts.logger ?? capturingLogger().logger,
    clock,
  });
  await daemon.start();
  await waitFor('devices to connect', () => daemon.status().devices.every((d) => d.state === 'connected'));
  // The capture rule will not trust a pan it has never seen empty; a real bench has been polled for a while.
  await emptyPanSeen(daemon);
  return daemon;
}

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'spine', `${name}.json`), 'utf8'));
}

/** The operator's motions for one cell, with the clock set to the moment each happens. */
export async function measure(
  rig: BenchRig,
  station: Station,
  clock: FakeClock,
  cell: { id: string; at: number; mass: string; thickness: string },
): Promise<void> {
  setClock(clock, cell.at);
  rig.scanner.scan(cell.id);
  await waitFor(`${cell.id} active`, () => station.snapshot().activeCell?.id === cell.id);
  setClock(clock, cell.at + 2_000);
  rig.balance.load(cell.mass);
  await waitFor(`mass of ${cell.id}`, () => station.snapshot().readings.mass !== undefined);
  setClock(clock, cell.at + 5_000);
  rig.gauge.send(cell.thickness);
  await waitFor(`${cell.id} saved`, () => station.snapshot().lastSaved?.cell === cell.id);
}

/** Lifts the cell off and waits until the balance has said so. */
export async function liftOff(rig: BenchRig, daemon: Daemon): Promise<void> {
  const seen = emptyPanSeen(daemon);
  rig.balance.unload();
  await seen;
}

/** Resolves once the balance has reported a stable empty pan (below `below` grams). */
export function emptyPanSeen(daemon: Daemon, below = 0.5, timeoutMs = 10_000): Promise<void> {
  const balance = daemon.devices.get('balance1')!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      balance.off('reading', onReading);
      reject(new Error(`no stable reading below ${below} g within ${timeoutMs} ms: is the pan still loaded?`));
    }, timeoutMs);
    const onReading = (r: { stable: boolean; value: string }) => {
      if (r.stable && Number(r.value) < below) {
        clearTimeout(timer);
        balance.off('reading', onReading);
        resolve();
      }
    };
    balance.on('reading', onReading);
  });
}

function setClock(clock: FakeClock, at: number): void {
  void clock.advance(at - clock.now());
}

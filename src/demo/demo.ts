// `npm run demo`: the whole daemon on simulated instruments (real PTYs) and a local stand-in API. A scripted
// operator scans cells, loads the balance, presses the gauge's DATA button and lifts each cell off. At the end
// the outbox file is reconciled against what the stand-in received.
import { join } from 'node:path';
import { configSchema } from '../config/schema.js';
import { Daemon } from '../daemon.js';
import { createLogger, type Logger } from '../ops/logger.js';
import { Outbox } from '../queue/outbox.js';
import { outboxPath } from '../queue/db.js';
import { startBenchRig, type BenchRig } from './bench-rig.js';
import { readStandinState } from './standin/server.js';
import { formatReconciliation, isClean, reconcile } from './reconcile.js';
import { pause, waitFor } from './wait.js';
import { systemClock } from '../core/clock.js';

const CELLS = [
  { id: 'CELL-0001', mass: '45.112', thickness: '5.523' },
  { id: 'CELL-0002', mass: '45.087', thickness: '5.519' },
  { id: 'CELL-0003', mass: '44.960', thickness: '5.531' },
];

export async function runDemo(opts: { logger?: Logger; pretty?: boolean } = {}): Promise<number> {
  // Readable lines at a terminal, JSON when piped (as the daemon itself does with --log-format auto).
  const logger = opts.logger ?? createLogger({ level: 'info', pretty: opts.pretty ?? process.stdout.isTTY === true });
  const say = (msg: string) => logger.info({ event: 'demo.operator' }, msg);
  const rig = await startBenchRig();
  const config = configSchema.parse(rig.config());
  const daemon = new Daemon({ config, configPath: '(generated demo config)', apiKey: rig.apiKey, logger });
  try {
    await daemon.start();
    const station = daemon.stations.get('bench1')!;
    await waitFor('devices to connect', () => daemon.status().devices.every((d) => d.state === 'connected'));

    say('scanning a label that is not a cell id (the station should reject it)');
    rig.scanner.scan('HELLO WORLD');
    await pause(300);
    for (const cell of CELLS) await measureCell(rig, station, cell, say);

    say('waiting for every saved measurement to be uploaded');
    await waitFor('uploads to drain', () => daemon.outbox.counts().pending === 0, 20_000);
  } finally {
    await daemon.stop();
  }
  const outbox = new Outbox({ path: outboxPath(config.state_dir), clock: systemClock, logger, readonly: true });
  outbox.open();
  const result = reconcile(outbox, readStandinState(join(rig.dir, 'standin.json')));
  outbox.close();
  await rig.close();
  const line = `demo: ${formatReconciliation(result)}`;
  const ok = isClean(result) && result.saved === CELLS.length && result.uploaded === CELLS.length;
  logger.info({ event: 'demo.summary', ...result, ok }, line);
  process.stdout.write(`${line}\n`);
  return ok ? 0 : 1;
}

async function measureCell(
  rig: BenchRig,
  station: NonNullable<ReturnType<Daemon['stations']['get']>>,
  cell: (typeof CELLS)[number],
  say: (msg: string) => void,
): Promise<void> {
  say(`scanning ${cell.id}`);
  rig.scanner.scan(cell.id);
  await waitFor(`${cell.id} to become active`, () => station.snapshot().activeCell?.id === cell.id);
  say(`putting ${cell.id} on the balance (${cell.mass} g)`);
  rig.balance.load(cell.mass);
  await waitFor(`mass of ${cell.id}`, () => station.snapshot().readings.mass !== undefined);
  say(`pressing DATA on the thickness gauge (${cell.thickness} mm)`);
  rig.gauge.send(cell.thickness);
  await waitFor(`${cell.id} to be saved`, () => station.snapshot().lastSaved?.cell === cell.id);
  say(`lifting ${cell.id} off the balance`);
  rig.balance.unload();
  await waitFor(`the pan of ${cell.id} to be empty`, () =>
    station.snapshot().missing.every((m) => m.waitingFor !== 'unload'),
  );
  await pause(400);
}

// Save rate: measurements committed per second through Outbox.save (one fsync'd transaction each) against a bare
// better-sqlite3 loop of single-row inserts on a connection with the same pragmas (openDatabase), in the same
// directory: the disk's fsync limit. Rounds alternate between the two so drift in the disk hits both alike.
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../ops/logger.js';
import { openDatabase } from '../queue/db.js';
import { Outbox } from '../queue/outbox.js';
import { benchMeasurement } from './fixtures.js';
import { median, since } from './stats.js';

export interface SaveRateResult {
  outboxPerSec: number;
  barePerSec: number;
  rounds: number;
}

function outboxRound(path: string, ms: number): number {
  const outbox = new Outbox({ path, clock: systemClock, logger: silentLogger() });
  outbox.open();
  const start = performance.now();
  let n = 0;
  while (since(start) < ms) outbox.save(benchMeasurement(n++));
  const rate = n / (since(start) / 1000);
  outbox.close();
  return rate;
}

function bareRound(path: string, ms: number): number {
  const db = openDatabase(path);
  db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
  const start = performance.now();
  let n = 0;
  while (since(start) < ms) insert.run(benchMeasurement(n++).body);
  const rate = n / (since(start) / 1000);
  db.close();
  return rate;
}

export function benchSaveRate(dir: string, opts: { rounds: number; roundMs: number }): SaveRateResult {
  const outbox: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    bare.push(bareRound(join(dir, `save-bare-${r}.db`), opts.roundMs));
    outbox.push(outboxRound(join(dir, `save-outbox-${r}.db`), opts.roundMs));
  }
  return { outboxPerSec: median(outbox), barePerSec: median(bare), rounds: opts.rounds };
}

// Drain rate: a backlog of pending rows uploaded by the real Uploader (outbox due -> commit attempt -> POST ->
// record) against a bare loop of the same fetch (undici with the daemon's dispatcher) at the same concurrency, each
// against a fresh stand-in process. The difference is the cost of the outbox bookkeeping and the loop's pacing.
// Rounds alternate between the two (medians reported), so drift in the machine hits both alike.
import { join } from 'node:path';
import { systemClock, systemTimers } from '../core/clock.js';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../ops/logger.js';
import { Outbox } from '../queue/outbox.js';
import { defaultFetch, measurementPath } from '../uploader/http.js';
import { Uploader } from '../uploader/uploader.js';
import { pause } from '../demo/wait.js';
import { benchMeasurement, spawnStandin } from './fixtures.js';
import { median, since } from './stats.js';

export interface DrainResult {
  uploaderPerSec: number;
  barePerSec: number;
  rows: number;
  concurrency: number;
  rounds: number;
}

const API_KEY = 'iwk_bench_drain_key';

async function uploaderRun(path: string, rows: number, concurrency: number): Promise<number> {
  const standin = await spawnStandin(API_KEY);
  const outbox = new Outbox({ path, clock: systemClock, logger: silentLogger() });
  const fetch = defaultFetch();
  try {
    outbox.open();
    // Filled in one transaction: the save rate is another benchmark.
    outbox.connection().transaction(() => {
      for (let i = 0; i < rows; i++) outbox.save(benchMeasurement(i));
    })();
    const api = configSchema.parse({ lab: 'Bench lab', devices: {}, stations: {}, api: { base_url: standin.url, concurrency } }).api;
    const uploader = new Uploader({ outbox, fetch, clock: systemClock, timers: systemTimers, logger: silentLogger(), getApiKey: () => API_KEY, config: api });
    const start = performance.now();
    await uploader.start();
    while (outbox.oldestPendingAt() !== null) await pause(5);
    const ms = since(start);
    await uploader.stop(1_000);
    const counts = outbox.counts();
    if (counts.delivered !== rows) throw new Error(`drain: ${counts.delivered} of ${rows} rows delivered (${JSON.stringify(counts)})`);
    return rows / (ms / 1000);
  } finally {
    outbox.close();
    await fetch.close();
    await standin.stop();
  }
}

async function bareRun(rows: number, concurrency: number): Promise<number> {
  const standin = await spawnStandin(API_KEY);
  const fetch = defaultFetch();
  try {
    const bodies = Array.from({ length: rows }, (_, i) => benchMeasurement(i));
    const headers = { Accept: 'application/json', 'X-API-Key': API_KEY, 'Content-Type': 'application/json' };
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < rows) {
          const m = bodies[next++]!;
          const res = await fetch(`${standin.url}${measurementPath(m.cellInstanceId)}`, {
            method: 'POST',
            headers,
            body: m.body,
            // As the uploader does (src/uploader/http.ts): a deadline per request.
            signal: AbortSignal.timeout(10_000),
            redirect: 'manual',
          });
          await res.text();
          if (res.status !== 201) throw new Error(`bare drain: HTTP ${res.status}`);
        }
      }),
    );
    return rows / (since(start) / 1000);
  } finally {
    await fetch.close();
    await standin.stop();
  }
}

export async function benchDrain(dir: string, opts: { rows: number; concurrency: number; rounds: number }): Promise<DrainResult> {
  const bare: number[] = [];
  const uploader: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    bare.push(await bareRun(opts.rows, opts.concurrency));
    uploader.push(await uploaderRun(join(dir, `drain-${opts.rows}x${opts.concurrency}-${r}.db`), opts.rows, opts.concurrency));
  }
  return { uploaderPerSec: median(uploader), barePerSec: median(bare), ...opts };
}

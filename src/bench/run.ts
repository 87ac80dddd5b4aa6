// `npm run bench`: every benchmark in one run, each beside its baseline measured in the same run, reported as
// ratios against the goals of issue 3. Prints a table and writes bench/results.md.
//   node dist/bench/run.js [--dir <directory on the disk to measure>] [--quick] [--repeat <n>]
// --repeat n runs everything n times and reports the medians (a shared or noisy machine needs it).
// Only 127.0.0.1 is ever contacted (the stand-in API runs locally).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSaveRate, type SaveRateResult } from './save-rate.js';
import { benchFsync, type FsyncResult } from './fsync.js';
import { benchLatency, WARMUP, type LatencyResult } from './latency.js';
import { benchDrain, type DrainResult } from './drain.js';
import { benchBacklog, type BacklogResult } from './backlog.js';
import { markdown, textTable, type Row } from './report.js';
import { median } from './stats.js';

const RESULTS = fileURLToPath(new URL('../../bench/results.md', import.meta.url));

const FULL = { saveRounds: 3, saveRoundMs: 1_500, fsyncs: 1_000, latencySamples: 1_000, drainRows: 10_000, drainRounds: 3, concurrencies: [1, 2], backlogRows: 100_000, backlogRuns: 3, holdMs: 3_000, coldRestart: true };
/** A smoke run of the harness (figures not meaningful; results.md is not written). */
const QUICK = { saveRounds: 1, saveRoundMs: 300, fsyncs: 50, latencySamples: 30, drainRows: 500, drainRounds: 1, concurrencies: [1, 2], backlogRows: 5_000, backlogRuns: 1, holdMs: 500, coldRestart: false };

const fmt = (n: number, digits = 0) => n.toFixed(digits);
/** A ratio shown rounded against the goal (down for "at least", up for "at most"), so 0.797 never reads 0.80. */
const atLeast = (n: number) => `${(Math.floor(n * 100) / 100).toFixed(2)}`;
const atMost = (n: number) => `${(Math.ceil(n * 100) / 100).toFixed(2)}`;
const ms = (n: number) => `${n.toFixed(2)} ms`;
const signed = (n: number, digits: number) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
/** MiB (what /proc reports, in KiB) to MB (the goal's unit). */
const mb = (mib: number) => mib * 1.048576;

interface Figures {
  save: SaveRateResult;
  fsync: FsyncResult;
  latency: LatencyResult;
  drains: DrainResult[];
  backlog: BacklogResult;
}

/** Every benchmark once, in the same order each time. */
async function measure(dir: string, p: typeof FULL, round: string): Promise<Figures> {
  const step = (what: string) => process.stderr.write(`bench${round}: ${what}...\n`);
  step('save rate');
  const save = benchSaveRate(dir, { rounds: p.saveRounds, roundMs: p.saveRoundMs });
  step('fsync');
  const fsync = await benchFsync(dir, p.fsyncs);
  step('scan-to-saved latency');
  const latency = await benchLatency(dir, { samples: p.latencySamples });
  step('drain rate');
  const drains = [];
  for (const concurrency of p.concurrencies) drains.push(await benchDrain(dir, { rows: p.drainRows, concurrency, rounds: p.drainRounds }));
  step('memory and restart with a backlog');
  const backlog = await benchBacklog(dir, { rows: p.backlogRows, runs: p.backlogRuns, holdMs: p.holdMs, coldRestart: p.coldRestart });
  return { save, fsync, latency, drains, backlog };
}

/** The table from one or more repeats: each figure (and each ratio, taken within its own repeat) is the median. */
function table(runs: Figures[]): Row[] {
  const m = (f: (r: Figures) => number) => median(runs.map(f));
  const bound = (r: Figures) => 2 * r.fsync.commit.p99 + 1;
  const latencyRatio = m((r) => r.latency.scanToSaved.p99 / bound(r));
  const saveRatio = m((r) => r.save.outboxPerSec / r.save.barePerSec);
  const memHeld = m((r) => mb(r.backlog.heldMiB - r.backlog.emptyMiB));
  const memDraining = m((r) => mb(r.backlog.drainingMiB - r.backlog.drainingSmallMiB));
  const { rows, concurrencies } = { rows: runs[0]!.drains[0]!.rows, concurrencies: runs[0]!.drains.map((d) => d.concurrency) };
  const lat = (k: 'scanToSaved' | 'writeToSaved' | 'readingToSaved' | 'barePipeline', q: 'p50' | 'p99') => ms(m((r) => r.latency[k][q]));
  const fs = (k: 'commit' | 'fdatasync' | 'spacedCommit', q: 'p50' | 'p99') => ms(m((r) => r.fsync[k][q]));
  const backlogRows = runs[0]!.backlog.rows;
  return [
    {
      name: 'Save rate',
      result: `${fmt(m((r) => r.save.outboxPerSec))} saves/s (Outbox.save)`,
      baseline: `${fmt(m((r) => r.save.barePerSec))} inserts/s (bare better-sqlite3, same pragmas)`,
      ratio: `${atLeast(saveRatio)}x`,
      goal: '>= 0.8x',
      met: saveRatio >= 0.8,
    },
    {
      name: 'Scan-to-saved latency',
      result:
        `p50 ${lat('scanToSaved', 'p50')}, p99 ${lat('scanToSaved', 'p99')} from the last byte on the wire (${runs[0]!.latency.scanToSaved.samples} scans); ` +
        `with the test relay's hop: p50 ${lat('writeToSaved', 'p50')}, p99 ${lat('writeToSaved', 'p99')}; from the decoded reading: p50 ${lat('readingToSaved', 'p50')}, p99 ${lat('readingToSaved', 'p99')}`,
      baseline: `bare commit p50 ${fs('commit', 'p50')}, p99 ${fs('commit', 'p99')} (after a 10 ms pause: p50 ${fs('spacedCommit', 'p50')}, p99 ${fs('spacedCommit', 'p99')}); raw fdatasync p50 ${fs('fdatasync', 'p50')}, p99 ${fs('fdatasync', 'p99')}; bare pipeline on the same rig (wire -> serialport -> one-row commit, no daemon): p50 ${lat('barePipeline', 'p50')}, p99 ${lat('barePipeline', 'p99')}`,
      ratio: `p99 / (2 x commit p99 + 1 ms) = ${atMost(latencyRatio)}`,
      goal: 'p99 <= 2 fsyncs + 1 ms',
      met: latencyRatio <= 1,
    },
    ...concurrencies.map((concurrency, i) => {
      const ratio = m((r) => r.drains[i]!.uploaderPerSec / r.drains[i]!.barePerSec);
      return {
        name: `Drain rate, concurrency ${concurrency}`,
        result: `${fmt(m((r) => r.drains[i]!.uploaderPerSec))} rows/s (Uploader, ${rows} rows)`,
        baseline: `${fmt(m((r) => r.drains[i]!.barePerSec))} POST/s (bare fetch loop, ${concurrency} in flight)`,
        ratio: `${atLeast(ratio)}x`,
        goal: '>= 0.8x',
        met: ratio >= 0.8,
      };
    }),
    {
      name: 'Memory, backlog held',
      result: `${fmt(m((r) => r.backlog.heldMiB), 1)} MiB peak RSS (${backlogRows} pending, API unreachable)`,
      baseline: `${fmt(m((r) => r.backlog.emptyMiB), 1)} MiB (empty outbox, API unreachable)`,
      ratio: `${signed(memHeld, 1)} MB`,
      goal: '<= +20 MB',
      met: memHeld <= 20,
    },
    {
      name: 'Memory, draining',
      result: `${fmt(m((r) => r.backlog.drainingMiB), 1)} MiB peak RSS (${backlogRows} pending, uploading)`,
      baseline: `${fmt(m((r) => r.backlog.drainingSmallMiB), 1)} MiB (${backlogRows / 10} pending, uploading); idle empty ${fmt(m((r) => r.backlog.emptyMiB), 1)} MiB`,
      ratio: `${signed(memDraining, 1)} MB`,
      goal: '<= +20 MB',
      met: memDraining <= 20,
    },
    {
      name: 'Restart',
      result: `${fmt(m((r) => r.backlog.restartMs))} ms to first POST (${backlogRows} pending)`,
      baseline: `${fmt(m((r) => r.backlog.restartOneMs))} ms (1 pending)`,
      ratio: `${signed(m((r) => r.backlog.restartMs - r.backlog.restartOneMs), 0)} ms for the backlog`,
      goal: '< 1 s',
      met: m((r) => r.backlog.restartMs) < 1_000,
    },
    coldRestartRow(runs),
  ];
}

/** After a reboot: only when this process could drop the page cache (root); otherwise the row says why not. */
function coldRestartRow(runs: Figures[]): Row {
  const cold = runs.map((r) => r.backlog.restartCold);
  const skipped = cold.find((c) => typeof c !== 'number');
  if (skipped !== undefined && typeof skipped !== 'number')
    return { name: 'Restart, cold page cache', result: `not measured: ${skipped.skipped}`, baseline: '-', ratio: '-', goal: '< 1 s', met: null };
  const ms = median(cold as number[]);
  const warm = median(runs.map((r) => r.backlog.restartMs));
  return {
    name: 'Restart, cold page cache',
    result: `${fmt(ms)} ms to first POST (${runs[0]!.backlog.rows} pending; page cache dropped before each start, start-up quick_check included)`,
    baseline: `${fmt(warm)} ms with the cache warm (row above)`,
    ratio: `${signed(ms - warm, 0)} ms for the cold cache`,
    goal: '< 1 s',
    met: ms < 1_000,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, quick: { type: 'boolean', default: false }, repeat: { type: 'string', default: '1' } } });
  const p = values.quick ? QUICK : FULL;
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat ${values.repeat}: expected a whole number >= 1`);
  const base = values.dir ?? tmpdir();
  const began = performance.now();
  const runs: Figures[] = [];
  for (let i = 1; i <= repeat; i++) {
    // A fresh directory per repeat: each starts from empty files, as the first did.
    const dir = mkdtempSync(join(base, 'ionworks-bench-'));
    try {
      runs.push(await measure(dir, p, repeat > 1 ? ` ${i}/${repeat}` : ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const rows = table(runs);
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`\n${textTable(rows)}\n\n(${seconds.toFixed(0)} s; files in ${base})\n`);
  if (!values.quick) {
    const notes = [
      `${repeat > 1 ? `Medians of ${repeat} whole runs: each figure, and each ratio taken within its own run. ` : ''}` +
        `Within a run: medians of ${p.saveRounds} alternating rounds (save rate) and of ${p.backlogRuns} child processes per figure (memory, restart); drain ${p.drainRounds} alternating rounds per concurrency; memory held ${p.holdMs} ms after ready.`,
      `Latency is timed from the moment the PTY relay's write of the gauge line into the PTY master returned (reported by the relay on CLOCK_MONOTONIC, the clock of process.hrtime): the bytes are then in the kernel's tty, as on a real serial line. "With the test relay's hop" times from our write into the relay's pipe instead. The first ${WARMUP} scans are not counted.`,
    ];
    const command = repeat > 1 ? `npm run bench -- --repeat ${repeat}` : 'npm run bench';
    writeFileSync(RESULTS, markdown(rows, { command, dir: base, seconds, notes }));
    process.stdout.write(`written to ${RESULTS}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

// `npm run bench`: every benchmark in one run, each beside its baseline measured in the same run, reported as
// ratios against the goals of issue 3. Prints a table and writes bench/results.md.
//   node dist/bench/run.js [--dir <directory on the disk to measure>] [--quick]
// Only 127.0.0.1 is ever contacted (the stand-in API runs locally).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchSaveRate } from './save-rate.js';
import { benchFsync } from './fsync.js';
import { benchLatency } from './latency.js';
import { benchDrain } from './drain.js';
import { benchBacklog } from './backlog.js';
import { markdown, textTable, type Row } from './report.js';

const RESULTS = fileURLToPath(new URL('../../bench/results.md', import.meta.url));

const FULL = { saveRounds: 3, saveRoundMs: 1_500, fsyncs: 1_000, latencySamples: 300, drainRows: 10_000, concurrencies: [1, 2], backlogRows: 100_000, backlogRuns: 3, holdMs: 3_000 };
/** A smoke run of the harness (figures not meaningful; results.md is not written). */
const QUICK = { saveRounds: 1, saveRoundMs: 300, fsyncs: 50, latencySamples: 30, drainRows: 500, concurrencies: [1, 2], backlogRows: 5_000, backlogRuns: 1, holdMs: 500 };

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const ms = (n: number) => `${n.toFixed(2)} ms`;
const signed = (n: number, digits: number) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
/** MiB (what /proc reports, in KiB) to MB (the goal's unit). */
const mb = (mib: number) => mib * 1.048576;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const p = values.quick ? QUICK : FULL;
  const base = values.dir ?? tmpdir();
  const dir = mkdtempSync(join(base, 'ionworks-bench-'));
  const began = performance.now();
  const step = (what: string) => process.stderr.write(`bench: ${what}...\n`);
  try {
    step('save rate');
    const save = benchSaveRate(dir, { rounds: p.saveRounds, roundMs: p.saveRoundMs });
    step('fsync');
    const fsync = benchFsync(dir, p.fsyncs);
    step('scan-to-saved latency');
    const latency = await benchLatency(dir, { samples: p.latencySamples });
    step('drain rate');
    const drains = [];
    for (const concurrency of p.concurrencies) drains.push(await benchDrain(dir, { rows: p.drainRows, concurrency }));
    step('memory and restart with a backlog');
    const backlog = await benchBacklog(dir, { rows: p.backlogRows, runs: p.backlogRuns, holdMs: p.holdMs });

    const latencyBound = 2 * fsync.commit.p99 + 1;
    const rows: Row[] = [
      {
        name: 'Save rate',
        result: `${fmt(save.outboxPerSec)} saves/s (Outbox.save)`,
        baseline: `${fmt(save.barePerSec)} inserts/s (bare better-sqlite3, same pragmas)`,
        ratio: `${fmt(save.outboxPerSec / save.barePerSec, 2)}x`,
        goal: '>= 0.8x',
        met: save.outboxPerSec / save.barePerSec >= 0.8,
      },
      {
        name: 'Scan-to-saved latency',
        result: `p50 ${ms(latency.scanToSaved.p50)}, p99 ${ms(latency.scanToSaved.p99)} (${latency.scanToSaved.samples} scans; reading to saved p50 ${ms(latency.readingToSaved.p50)}, p99 ${ms(latency.readingToSaved.p99)})`,
        baseline: `bare commit p50 ${ms(fsync.commit.p50)}, p99 ${ms(fsync.commit.p99)}; raw fdatasync p50 ${ms(fsync.fdatasync.p50)}, p99 ${ms(fsync.fdatasync.p99)}; PTY relay alone p50 ${ms(latency.relay.p50)}, p99 ${ms(latency.relay.p99)}`,
        ratio: `p99 / (2 x commit p99 + 1 ms) = ${fmt(latency.scanToSaved.p99 / latencyBound, 2)}`,
        goal: 'p99 <= 2 fsyncs + 1 ms',
        met: latency.scanToSaved.p99 <= latencyBound,
      },
      ...drains.map((drain) => ({
        name: `Drain rate, concurrency ${drain.concurrency}`,
        result: `${fmt(drain.uploaderPerSec)} rows/s (Uploader, ${drain.rows} rows)`,
        baseline: `${fmt(drain.barePerSec)} POST/s (bare fetch loop, ${drain.concurrency} in flight)`,
        ratio: `${fmt(drain.uploaderPerSec / drain.barePerSec, 2)}x`,
        goal: '>= 0.8x',
        met: drain.uploaderPerSec / drain.barePerSec >= 0.8,
      })),
      {
        name: 'Memory, backlog held',
        result: `${fmt(backlog.heldMiB, 1)} MiB peak RSS (${backlog.rows} pending, API unreachable)`,
        baseline: `${fmt(backlog.emptyMiB, 1)} MiB (empty outbox, API unreachable)`,
        ratio: `${signed(mb(backlog.heldMiB - backlog.emptyMiB), 1)} MB`,
        goal: '<= +20 MB',
        met: mb(backlog.heldMiB - backlog.emptyMiB) <= 20,
      },
      {
        name: 'Memory, draining',
        result: `${fmt(backlog.drainingMiB, 1)} MiB peak RSS (${backlog.rows} pending, uploading)`,
        baseline: `${fmt(backlog.drainingSmallMiB, 1)} MiB (${backlog.rows / 10} pending, uploading); idle empty ${fmt(backlog.emptyMiB, 1)} MiB`,
        ratio: `${signed(mb(backlog.drainingMiB - backlog.drainingSmallMiB), 1)} MB`,
        goal: '<= +20 MB',
        met: mb(backlog.drainingMiB - backlog.drainingSmallMiB) <= 20,
      },
      {
        name: 'Restart',
        result: `${fmt(backlog.restartMs)} ms to first POST (${backlog.rows} pending)`,
        baseline: `${fmt(backlog.restartOneMs)} ms (1 pending)`,
        ratio: `${signed(backlog.restartMs - backlog.restartOneMs, 0)} ms for the backlog`,
        goal: '< 1 s',
        met: backlog.restartMs < 1_000,
      },
    ];
    const seconds = (performance.now() - began) / 1000;
    process.stdout.write(`\n${textTable(rows)}\n\n(${seconds.toFixed(0)} s; files in ${base})\n`);
    if (!values.quick) {
      const notes = [
        `Medians of ${p.saveRounds} alternating rounds (save rate) and of ${p.backlogRuns} child processes per figure (memory, restart); drain one run each per concurrency; memory held ${p.holdMs} ms after ready.`,
        'Latency is timed from the PtyPair.write of the gauge line, so it includes the PTY relay (its own delivery time is the "PTY relay" figure).',
      ];
      writeFileSync(RESULTS, markdown(rows, { command: 'npm run bench', dir: base, seconds, notes }));
      process.stdout.write(`written to ${RESULTS}\n`);
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

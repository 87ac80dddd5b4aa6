// Memory and restart with a large backlog, each figure from fresh child processes running the real daemon
// (`node dist/cli/main.js run`, no instruments) on a copy of a prepared outbox file:
//  - memory, backlog held: peak resident set (VmHWM) with N pending rows vs an empty outbox, the API unreachable
//    (a closed 127.0.0.1 port), so both processes do the same (nothing but probing): the cost of the rows;
//  - memory, draining: N pending vs N/10 pending, both uploading to the stand-in for the whole window, so both do
//    the same work: what the backlog's size adds while it is streamed out;
//  - restart: from spawning the process to the stand-in receiving the first POST, N pending rows vs one; also with
//    the page cache dropped first (as after a reboot: node, its modules and the outbox read from disk, the start-up
//    quick_check included), when this process may do that (root).
// The stand-in runs in this process, which only waits. Linux only (/proc/<pid>/status).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../ops/logger.js';
import { Outbox } from '../queue/outbox.js';
import { outboxPath } from '../queue/db.js';
import { startStandin } from '../demo/standin/server.js';
import { pause } from '../demo/wait.js';
import { benchMeasurement, CLI_MAIN, stopChild } from './fixtures.js';
import { median } from './stats.js';

export interface BacklogResult {
  rows: number;
  /** Peak RSS in MiB, API unreachable. */
  heldMiB: number;
  emptyMiB: number;
  /** Peak RSS in MiB while uploading, `rows` and `rows / 10` pending. */
  drainingMiB: number;
  drainingSmallMiB: number;
  /** Spawn to first POST received, ms. */
  restartMs: number;
  restartOneMs: number;
  /** The same with the page cache dropped just before each spawn, or why it was not measured. */
  restartCold: number | { skipped: string };
  runs: number;
}

/** Writes dirty pages out and drops the page cache; false if not allowed (not root) or not Linux. */
function dropPageCache(): boolean {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

interface ChildRun {
  firstPostMs: number | null;
  peakRssMiB: number;
}

const API_KEY = 'iwk_bench_backlog_key';

/** An outbox file with `rows` pending rows (closed, so the WAL is checkpointed into it and it can be copied). */
function makeOutbox(path: string, rows: number): string {
  const outbox = new Outbox({ path, clock: systemClock, logger: silentLogger() });
  outbox.open();
  outbox.connection().transaction(() => {
    for (let i = 0; i < rows; i++) outbox.save(benchMeasurement(i));
  })();
  outbox.close();
  return path;
}

function peakRssMiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no VmHWM`);
  return Number(m[1]) / 1024;
}

/** A 127.0.0.1 port nobody listens on: connections are refused at once. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** One daemon process on a copy of `template` (null: empty state dir), run for `holdMs` after it is ready. */
async function runDaemon(
  dir: string,
  template: string | null,
  api: 'standin' | 'unreachable',
  holdMs: number,
  beforeSpawn: () => void = () => undefined,
): Promise<ChildRun> {
  const standin = api === 'standin' ? await startStandin({ apiKey: API_KEY }) : null;
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true });
  if (template) copyFileSync(template, outboxPath(stateDir));
  const configPath = join(dir, 'config.yaml');
  const baseUrl = standin?.url ?? (await closedPortUrl());
  const config = { lab: 'Bench lab', state_dir: stateDir, api: { base_url: baseUrl, concurrency: 2 }, http: { host: '127.0.0.1', port: 0 }, devices: {}, stations: {} };
  writeFileSync(configPath, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, IONWORKS_API_KEY: API_KEY, NO_PROXY: '127.0.0.1,localhost' };
  beforeSpawn();
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [CLI_MAIN, 'run', '--config', configPath, '--log-format', 'json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('"daemon.ready"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before it was ready`)));
    });
    await pause(holdMs);
    const peak = peakRssMiB(child.pid!);
    const firstPost = standin?.requests().find((r) => r.method === 'POST');
    return { firstPostMs: firstPost ? firstPost.at - spawnedAt : null, peakRssMiB: peak };
  } finally {
    await stopChild(child);
    await standin?.close();
  }
}

export async function benchBacklog(
  dir: string,
  opts: { rows: number; runs: number; holdMs: number; coldRestart: boolean },
): Promise<BacklogResult> {
  const full = makeOutbox(join(dir, 'backlog-full.db'), opts.rows);
  const small = makeOutbox(join(dir, 'backlog-small.db'), Math.ceil(opts.rows / 10));
  const one = makeOutbox(join(dir, 'backlog-one.db'), 1);
  const runs: Record<'held' | 'empty' | 'draining' | 'small' | 'one', ChildRun[]> = { held: [], empty: [], draining: [], small: [], one: [] };
  for (let r = 0; r < opts.runs; r++) {
    runs.held.push(await runDaemon(join(dir, `held-${r}`), full, 'unreachable', opts.holdMs));
    runs.empty.push(await runDaemon(join(dir, `empty-${r}`), null, 'unreachable', opts.holdMs));
    runs.draining.push(await runDaemon(join(dir, `draining-${r}`), full, 'standin', opts.holdMs));
    runs.small.push(await runDaemon(join(dir, `small-${r}`), small, 'standin', opts.holdMs));
    runs.one.push(await runDaemon(join(dir, `one-${r}`), one, 'standin', 300));
  }
  // Last: every later read starts cold too.
  const cold: ChildRun[] = [];
  const coldAllowed = opts.coldRestart && dropPageCache();
  if (coldAllowed)
    for (let r = 0; r < opts.runs; r++) cold.push(await runDaemon(join(dir, `cold-${r}`), full, 'standin', 300, dropPageCache));
  const rss = (list: ChildRun[]) => median(list.map((x) => x.peakRssMiB));
  const firstPost = (list: ChildRun[], what: string) =>
    median(
      list.map((x) => {
        if (x.firstPostMs === null) throw new Error(`${what}: no POST reached the stand-in`);
        return x.firstPostMs;
      }),
    );
  return {
    rows: opts.rows,
    heldMiB: rss(runs.held),
    emptyMiB: rss(runs.empty),
    drainingMiB: rss(runs.draining),
    drainingSmallMiB: rss(runs.small),
    restartMs: firstPost(runs.draining, 'restart with the backlog'),
    restartOneMs: firstPost(runs.one, 'restart with one row'),
    restartCold: coldAllowed
      ? firstPost(cold, 'restart with the backlog, page cache dropped')
      : { skipped: opts.coldRestart ? 'dropping the page cache needs root' : 'not in a --quick run' },
    runs: opts.runs,
  };
}

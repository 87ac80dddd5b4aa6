// The crash test (issue 3, "Proof"): the daemon runs as a child process over real PTYs against the faulty stand-in
// API and is killed with SIGKILL again and again: at fixed points (after the save commit, after the POST is on the
// wire, after the 2xx before the row is finished; src/ops/crash-points.ts) and at random moments, start-up
// included. A scripted operator measures the cells. At the end every saved measurement is on the stand-in exactly
// once and the dead letters are exactly the bodies the stand-in rejected. A backlog saved before the first start is
// drained through the same kills.
//   Replay a run:  IONWORKS_CRASH_SEED=<seed> npx vitest run test/crash   (after `npm run build`)
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { benchMeasurement } from '../../src/bench/fixtures.js';
import { reconcile } from '../../src/demo/reconcile.js';
import { pause } from '../../src/demo/wait.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Outbox } from '../../src/queue/outbox.js';
import { SchemaVersionError } from '../../src/queue/migrations.js';
import type { OutboxRecord } from '../../src/queue/types.js';
import { scenario, seedFromEnv, SEED_ENV, type Cell, type LifeKind, type Scenario } from './scenario.js';
import { DaemonProcess, startWorld, type World } from './world.js';

const SIZE = { cells: 40, lives: 20, rejected: 4 };
/**
 * Rows already pending at the first start (measured while the API was out of reach): the first lives drain them at
 * full speed, with many attempts committed ahead of their requests, while the crash points and random kills land.
 */
const BACKLOG = 120;
/** A life whose crash point is not reached by then (no more saves or uploads to make) is ended by the test. */
const LIFE_MAX_MS = 4_000;
/** Bounds on waits for the daemon; generous, the machine runs other test files at the same time. */
const STEP_MS = 15_000;
const DRAIN_MS = 90_000;

type KillCounts = Record<LifeKind | 'overdue', number>;

describe('crash test: SIGKILL at fixed points and random moments, against a faulty API', () => {
  it('delivers every saved measurement exactly once and dead-letters exactly what the API rejected', { timeout: 300_000 }, async () => {
    const s = scenario(seedFromEnv(), SIZE);
    console.log(`crash test: seed ${s.seed} (replay: ${SEED_ENV}=${s.seed} npx vitest run test/crash), rejected ${s.rejected.join(', ')}`);
    const world = await startWorld(s);
    const backlogCells = fillBacklog(world, BACKLOG);
    const kills: KillCounts = { after_save: 0, after_post_sent: 0, after_2xx: 0, random: 0, overdue: 0 };
    const op = { next: 0 };
    /** Rows the daemon finished by finding its earlier copy on the API instead of sending again. */
    let foundExisting = 0;
    const countFound = (d: DaemonProcess) => (foundExisting += d.lines.filter((l) => l.event === 'upload.found_existing').length);
    /** The daemon of the current life: killed in `finally` if a failed wait leaves it running. */
    let current: DaemonProcess | undefined;
    try {
      for (const [i, life] of s.lives.entries()) {
        // Half the lives with a server that refuses a second measurement of the same name (409), half without.
        world.standin.setEnforceUniqueNames(i >= s.lives.length / 2);
        // With every cell measured there is no save left to crash at: kill at a random moment instead.
        const kind: LifeKind = life.kind === 'after_save' && op.next >= s.cells.length ? 'random' : life.kind;
        const d = (current = DaemonProcess.spawn(world, kind === 'random' ? null : `${kind}:${life.nth}`));
        const killer = setTimeout(() => d.kill(), kind === 'random' ? life.killAfterMs : LIFE_MAX_MS);
        if (life.authWindowMs > 0) world.standin.setAuthFailing(true);
        const authEnd = setTimeout(() => world.standin.setAuthFailing(false), life.authWindowMs);
        try {
          if (await devicesReady(d)) await operate(d, world, s, op);
          const end = await d.closed;
          if (end.signal !== 'SIGKILL')
            throw new Error(`life ${i} (${kind}): the daemon exited by itself (code ${end.code}, signal ${end.signal})\n${d.tail()}`);
          if (!d.killedByTest) kills[kind]++;
          else kills[kind === 'random' ? 'random' : 'overdue']++;
          countFound(d);
        } finally {
          clearTimeout(killer);
          clearTimeout(authEnd);
          world.standin.setAuthFailing(false);
        }
        // The operator looks at the outbox (the status page): a cell whose save made it before the kill is done.
        const cell = s.cells[op.next];
        if (cell && rowsOf(world).some((r) => r.cellInstanceId === cell.id)) op.next++;
      }

      // The last life: no crash; measure what is left and let the backlog drain through the faults.
      const d = (current = DaemonProcess.spawn(world, null));
      expect(await devicesReady(d), d.tail()).toBe(true);
      await operate(d, world, s, op);
      expect(op.next).toBe(s.cells.length);
      await drained(world, d);
      d.kill('SIGTERM');
      expect(await d.closed, d.tail()).toEqual({ code: 0, signal: null });
      countFound(d);

      const rows = rowsOf(world);
      const received = world.standin.received();
      const r = reconcile({ list: (state, limit, offset = 0) => rows.filter((x) => x.state === state).slice(offset, offset + limit) }, received);
      const rejectedBodies = [
        ...new Set(world.standin.requests().filter((q) => q.method === 'POST' && q.status === 422).map((q) => q.rawBody)),
      ].sort();
      const deadBodies = rows.filter((x) => x.state === 'dead').map((x) => x.body).sort();
      const delivered = rows.filter((x) => x.state === 'delivered').length;
      const totalKills = Object.values(kills).reduce((a, b) => a + b, 0);
      console.log(
        `crash test: seed ${s.seed}: saved ${r.saved}, delivered ${delivered}, dead ${r.dead}, duplicates ${r.duplicates}, lost ${r.lost}, ` +
          `invented ${r.invented}, altered ${r.altered}, kills ${totalKills} ${JSON.stringify(kills)}, found on the API after a crash or lost answer ${foundExisting}, ` +
          `stand-in ${JSON.stringify(world.standin.counters())}`,
      );

      expect(r).toMatchObject({ lost: 0, duplicates: 0, invented: 0, altered: 0, pending: 0 });
      expect(delivered).toBe(received.length);
      expect(deadBodies).toEqual(rejectedBodies);
      // Every cell the operator measured is in the outbox (some twice, if a kill hid a save the PTY then replayed).
      expect(new Set(rows.map((x) => x.cellInstanceId))).toEqual(new Set([...s.cells.map((c) => c.id), ...backlogCells]));
      for (const id of s.rejected) expect(rows.filter((x) => x.cellInstanceId === id).every((x) => x.state === 'dead')).toBe(true);
      // "No duplicates" means something only if some rows were on the API before their outcome was recorded.
      expect(foundExisting).toBeGreaterThan(0);
      // Each kind of kill happened, so no crash point can rot unnoticed.
      for (const kind of ['after_save', 'after_post_sent', 'after_2xx', 'random'] as const) expect(kills[kind], kind).toBeGreaterThan(0);
    } finally {
      current?.kill();
      await current?.closed;
      await world.close();
    }
  });
});

/** Both instruments are open in this life; false if the daemon died first. */
async function devicesReady(d: DaemonProcess): Promise<boolean> {
  for (const device of ['scanner1', 'gauge1'])
    if (!(await d.waitFor((l) => l.event === 'device.connected' && l.device === device, `${device} to connect`, STEP_MS))) return false;
  return true;
}

/** The operator measures the remaining cells one by one until done or the daemon dies. */
async function operate(d: DaemonProcess, world: World, s: Scenario, op: { next: number }): Promise<void> {
  while (op.next < s.cells.length && d.alive) {
    const cell: Cell = s.cells[op.next]!;
    const from = d.lines.length;
    world.scanner.scan(cell.id);
    // A scan left in the PTY by a killed run may have made the cell active already: scanning it again restarts it.
    const active = (l: { event?: string; cell?: unknown }) => (l.event === 'scan.accepted' || l.event === 'cell.restarted') && l.cell === cell.id;
    if (!(await d.waitFor(active, `${cell.id} to become active`, STEP_MS, from))) return;
    world.gauge.send(cell.thickness);
    if (!(await d.waitFor((l) => l.event === 'measurement.saved' && l.cell === cell.id, `${cell.id} to be saved`, STEP_MS, from))) return;
    op.next++;
    // The operator's pace, so saves spread over many lives.
    await pause(100 + Math.floor(s.random() * 400));
  }
}

/** Saves `n` measurements into the world's outbox before any daemon runs; returns their cell ids. */
function fillBacklog(world: World, n: number): string[] {
  const outbox = new Outbox({ path: world.outboxFile, clock: systemClock, logger: silentLogger() });
  outbox.open();
  try {
    // Cells CELL-5000 and up: none of the operator's cells, none of the names the stand-in rejects.
    const rows = Array.from({ length: n }, (_, i) => benchMeasurement(5_000 + i, 'backlog'));
    outbox.connection().transaction(() => rows.forEach((m) => outbox.save(m)))();
    return rows.map((m) => m.cellInstanceId);
  } finally {
    outbox.close();
  }
}

/** Every row of the outbox, read through a read-only connection beside the daemon's. */
function rowsOf(world: World): OutboxRecord[] {
  if (!existsSync(world.outboxFile)) return [];
  const outbox = new Outbox({ path: world.outboxFile, clock: systemClock, logger: silentLogger(), readonly: true });
  try {
    outbox.open();
  } catch (err) {
    // Killed before its first migration committed: no schema, so no rows yet.
    if (err instanceof SchemaVersionError && err.found === 0) return [];
    throw err;
  }
  try {
    return (['pending', 'delivered', 'dead'] as const).flatMap((state) => outbox.list(state, 10_000));
  } finally {
    outbox.close();
  }
}

async function drained(world: World, d: DaemonProcess): Promise<void> {
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    if (rowsOf(world).every((r) => r.state !== 'pending')) return;
    if (!d.alive) throw new Error(`the daemon died while draining\n${d.tail()}`);
    if (Date.now() > deadline) throw new Error(`rows still pending after ${DRAIN_MS} ms\n${d.tail()}`);
    await pause(200);
  }
}

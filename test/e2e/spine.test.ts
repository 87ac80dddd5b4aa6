// The spine end to end: scans, loads and unloads on real PTYs -> station -> SQLite outbox -> stand-in API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { startBenchRig, type BenchRig } from '../../src/demo/bench-rig.js';
import type { Daemon } from '../../src/daemon.js';
import { join } from 'node:path';
import { openDatabase } from '../../src/queue/db.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from '../../src/queue/migrations.js';
import { capturingLogger, fixture, liftOff, measure, startDaemon, waitFor } from './helpers.js';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const CELL1 = { id: 'CELL-0001', at: T0, mass: '45.112', thickness: '5.523' };
const CELL2 = { id: 'CELL-0002', at: T0 + 60_000, mass: '44.960', thickness: '5.500' };

let rig: BenchRig;
let daemon: Daemon | undefined;
let clock: FakeClock;

beforeEach(async () => {
  rig = await startBenchRig();
  clock = new FakeClock(T0 - 10_000);
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rig.close();
});

const bodies = () => rig.standin.received().map((r) => r.body);

describe('spine end to end over real PTYs, a real SQLite file and the stand-in API', { timeout: 60_000 }, () => {
  it('delivers each measurement once, with exactly the hand-written bodies', async () => {
    daemon = await startDaemon(rig, clock);
    const station = daemon.stations.get('bench1')!;
    await measure(rig, station, clock, CELL1);
    await liftOff(rig, daemon);
    await measure(rig, station, clock, CELL2);
    await waitFor('both uploaded', () => daemon!.outbox.counts().delivered === 2);

    expect(bodies()).toEqual([fixture('CELL-0001'), fixture('CELL-0002')]);
    expect(rig.standin.received().map((r) => r.cellInstanceId)).toEqual(['CELL-0001', 'CELL-0002']);
    // Each row records the server's id from the 201.
    const delivered = daemon.outbox.list('delivered', 10);
    expect(delivered.map((r) => r.serverId)).toEqual(rig.standin.received().map((r) => r.measurement.id));
  });

  it('never attaches the weight still on the pan to the next cell', async () => {
    daemon = await startDaemon(rig, clock);
    const station = daemon.stations.get('bench1')!;
    await measure(rig, station, clock, CELL1);
    // Nobody lifts CELL-0001 off; CELL-0002 is scanned while 45.112 g still sits on the pan.
    rig.scanner.scan(CELL2.id);
    await waitFor('CELL-0002 active', () => station.snapshot().activeCell?.id === CELL2.id);
    rig.gauge.send(CELL2.thickness);
    await waitFor('thickness taken', () => station.snapshot().readings.thickness !== undefined);
    // Several polls of the loaded pan go by: the mass must stay missing, waiting for an unload.
    const polls = countReadings(daemon, 6);
    await polls;
    expect(station.snapshot().readings.mass).toBeUndefined();
    expect(station.snapshot().missing).toMatchObject([{ property: 'mass', device: 'balance1', waitingFor: 'unload' }]);

    await liftOff(rig, daemon);
    rig.balance.load(CELL2.mass);
    await waitFor('CELL-0002 saved', () => station.snapshot().lastSaved?.cell === CELL2.id);
    await waitFor('both uploaded', () => daemon!.outbox.counts().delivered === 2);
    const masses = bodies().map((b) => (b as { properties: { mass: { value: number } } }).properties.mass.value);
    expect(masses).toEqual([45.112, 44.96]);
  });

  it('dead-letters a row the API rejects with 422, keeps the detail, and delivers the next rows', async () => {
    rig.standin.reject422((_body, cell) => cell === CELL1.id);
    const { logger, lines } = capturingLogger();
    daemon = await startDaemon(rig, clock, { logger });
    const station = daemon.stations.get('bench1')!;
    await measure(rig, station, clock, CELL1);
    await liftOff(rig, daemon);
    await measure(rig, station, clock, CELL2);
    await waitFor('one delivered, one dead', () => {
      const c = daemon!.outbox.counts();
      return c.delivered === 1 && c.dead === 1;
    });

    expect(bodies()).toEqual([fixture('CELL-0002')]);
    const [dead] = daemon.outbox.list('dead', 10);
    expect(dead?.name).toBe((fixture('CELL-0001') as { name: string }).name);
    expect(dead?.lastStatus).toBe(422);
    const detail = JSON.parse(daemon.outbox.get(dead!.id)!.attemptLog.at(-1)!.detail!) as { detail: unknown[] };
    expect(Array.isArray(detail.detail) && detail.detail.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.event === 'upload.dead' && l.row === dead!.id)).toBe(true);
    // Never retried by itself: exactly one POST for the rejected body.
    const posts = rig.standin.requests().filter((r) => r.method === 'POST' && r.path.includes(CELL1.id));
    expect(posts).toHaveLength(1);
  });

  it('after a restart with the API back, delivers every row saved while it was down, none twice', async () => {
    rig.standin.setDown(true);
    daemon = await startDaemon(rig, clock);
    let station = daemon.stations.get('bench1')!;
    await measure(rig, station, clock, CELL1);
    await liftOff(rig, daemon);
    await measure(rig, station, clock, CELL2);
    await liftOff(rig, daemon);
    await waitFor('a failed attempt', () => rig.standin.requests().some((r) => r.status === null));
    expect(daemon.outbox.counts()).toMatchObject({ pending: 2, delivered: 0 });
    await daemon.stop();
    daemon = undefined;

    rig.standin.setDown(false);
    await clock.advance(3_600_000); // an hour later, every backoff has run out
    daemon = await startDaemon(rig, clock);
    station = daemon.stations.get('bench1')!;
    await waitFor('both uploaded', () => daemon!.outbox.counts().delivered === 2, 15_000);
    expect(bodies()).toEqual([fixture('CELL-0001'), fixture('CELL-0002')]);
    void station;
  });
});

describe('an outbox written by the previous schema version', { timeout: 60_000 }, () => {
  it('is migrated at start and its pending rows are delivered, byte for byte', async () => {
    // A v1 database as the first release wrote it, with two pending rows (one already tried once).
    const config = rig.config();
    const path = join(config.state_dir!, 'outbox.db');
    const db = openDatabase(path);
    migrate(db, MIGRATIONS.slice(0, 1));
    const insert = db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, attempts, last_error)
       VALUES (?, ?, ?, 'bench1', ?, ?, ?, ?)`,
    );
    const old = [fixture('CELL-0001'), fixture('CELL-0002')] as Array<{ name: string }>;
    insert.run('CELL-0001', old[0]!.name, JSON.stringify(old[0]), T0, T0, 0, null);
    insert.run('CELL-0002', old[1]!.name, JSON.stringify(old[1]), T0 + 1, T0, 1, 'HTTP 503');
    db.close();

    clock = new FakeClock(T0 + 60_000);
    daemon = await startDaemon(rig, clock);
    await waitFor('both old rows delivered', () => daemon!.outbox.counts().delivered === 2);
    expect(rig.standin.received().map((r) => r.rawBody)).toEqual(old.map((b) => JSON.stringify(b)));
    expect(schemaVersion(daemon.outbox.connection())).toBe(SCHEMA_VERSION);
  });
});

function countReadings(daemon: Daemon, n: number): Promise<void> {
  const balance = daemon.devices.get('balance1')!;
  let seen = 0;
  return new Promise((resolve) => {
    const on = () => {
      if (++seen >= n) {
        balance.off('reading', on);
        resolve();
      }
    };
    balance.on('reading', on);
  });
}

// ionworks-edge as a process, the way systemd runs it (`node dist/cli/main.js run --config <file>`; `npm test`
// builds first): the version, the start-up line, one daemon per state directory (a second one exits 75 naming the
// pid that holds the lock), and SIGTERM with an upload on the wire: exit 0, `daemon.stopped`, and a database that
// is whole (integrity_check ok), closed (no -wal left) and holds no half row (every body is what the API got, every
// attempt has its outcome). Real PTYs, the stand-in API on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { waitFor } from '../../src/demo/wait.js';
import { silentLogger } from '../../src/ops/logger.js';
import { openDatabase } from '../../src/queue/db.js';
import { LOCK_FILE } from '../../src/queue/lock.js';
import { Outbox } from '../../src/queue/outbox.js';
import { DaemonProcess, MAIN, startWorld, type LogLine, type World } from '../crash/world.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
const STEP_MS = 15_000;

let world: World;
beforeAll(async () => {
  world = await startWorld({ faults: {} });
});
afterAll(async () => {
  await world?.close();
});

const event = (name: string) => (l: LogLine) => l.event === name;

describe('ionworks-edge --version', () => {
  it('prints the package version and exits 0', () => {
    const r = spawnSync(process.execPath, [MAIN, '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });
});

describe('ionworks-edge run as a process', () => {
  it('logs its start, refuses a second daemon on the state directory, and stops cleanly on SIGTERM mid-upload', { timeout: 60_000 }, async () => {
    const d1 = DaemonProcess.spawn(world, null);
    try {
      const starting = await d1.waitFor(event('daemon.starting'), 'daemon.starting', STEP_MS);
      expect(starting).toMatchObject({ version: pkg.version, config: world.configPath, stateDir: world.stateDir });
      expect(starting!.msg).toBe(`ionworks-edge ${pkg.version} starting (config ${world.configPath}, state ${world.stateDir})`);
      await d1.waitFor(event('daemon.ready'), 'daemon.ready', STEP_MS);
      await waitFor('both devices', () => d1.lines.filter(event('device.connected')).length === 2, STEP_MS);

      // A second daemon on the same state directory: told who holds it, exit 75 (EX_TEMPFAIL), the first untouched.
      const d2 = DaemonProcess.spawn(world, null);
      expect(await d2.closed, d2.tail()).toEqual({ code: 75, signal: null });
      const locked = d2.lines.find(event('daemon.locked'));
      expect(locked, d2.tail()).toBeDefined();
      expect(locked!.msg).toContain(`state directory ${world.stateDir} is in use by pid ${d1.pid} on host `);
      expect(d2.lines.some(event('outbox.opened')) || d2.lines.some(event('device.connected'))).toBe(false);
      expect(d1.alive).toBe(true);
      expect(JSON.parse(readFileSync(join(world.stateDir, LOCK_FILE), 'utf8')).pid).toBe(d1.pid);

      // One measurement delivered...
      world.scanner.scan('CELL-0001');
      await d1.waitFor(event('scan.accepted'), 'scan.accepted', STEP_MS);
      world.gauge.send('5.523');
      await d1.waitFor(event('upload.ok'), 'upload.ok', STEP_MS);

      // ...and one whose POST the stand-in stores and then sits on: SIGTERM arrives while it is on the wire.
      world.standin.setFaults({ slow: 1, slowMs: 3_000 });
      world.scanner.scan('CELL-0002');
      await d1.waitFor((l) => l.event === 'scan.accepted' && l.cell === 'CELL-0002', 'the second scan', STEP_MS);
      world.gauge.send('5.519');
      await waitFor('the second POST to arrive', () => world.standin.received().length === 2, STEP_MS);
      d1.kill('SIGTERM');
      expect(await d1.closed, d1.tail()).toEqual({ code: 0, signal: null });
    } finally {
      d1.kill();
      world.standin.setFaults({ slow: 0 });
    }
    // The key went out in every request's X-API-Key header, and never into the log.
    expect(JSON.stringify(d1.lines)).not.toContain(world.apiKey);
    expect(world.standin.requests().filter((r) => r.method === 'POST').every((r) => r.apiKey === world.apiKey)).toBe(true);
    const events = d1.lines.map((l) => l.event);
    expect(events.filter((e) => e === 'daemon.stopped')).toHaveLength(1);
    expect(events.at(-1)).toBe('daemon.stopped');
    // The second upload really was on the wire at SIGTERM: its outcome (a timeout, or cut short) came after it.
    const stopping = events.indexOf('daemon.stopping');
    const outcome = d1.lines.findIndex((l) => (l.event === 'upload.retry' || l.event === 'upload.interrupted') && l.cellInstanceId === 'CELL-0002');
    expect(stopping, d1.tail()).toBeGreaterThan(0);
    expect(outcome, d1.tail()).toBeGreaterThan(stopping);
    expect(outcome).toBeLessThan(events.indexOf('daemon.stopped'));

    // Closed: SQLite removes the write-ahead log when the last connection closes cleanly; the lock is released.
    expect(existsSync(`${world.outboxFile}-wal`)).toBe(false);
    expect(existsSync(join(world.stateDir, LOCK_FILE))).toBe(false);
    const db = openDatabase(world.outboxFile, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const outbox = new Outbox({ path: world.outboxFile, clock: systemClock, logger: silentLogger(), readonly: true });
    outbox.open();
    try {
      const rows = [...outbox.list('delivered', 10), ...outbox.list('pending', 10)];
      expect(rows.map((r) => [r.cellInstanceId, r.state])).toEqual([
        ['CELL-0001', 'delivered'],
        ['CELL-0002', 'pending'],
      ]);
      const received = new Map(world.standin.received().map((m) => [(m.body as { name: string }).name, m.rawBody]));
      for (const row of rows) {
        // Whole rows: the stored body is exactly what reached the API, and no attempt is left without its outcome.
        expect(received.get(row.name), row.name).toBe(row.body);
        const attempts = outbox.get(row.id)!.attemptLog;
        expect(attempts.length, row.name).toBeGreaterThan(0);
        for (const a of attempts) expect(a.finishedAt, `${row.name} attempt ${a.attempt}`).not.toBeNull();
        expect(row.outcomeUnknown).toBe(false);
      }
    } finally {
      outbox.close();
    }
  });
});

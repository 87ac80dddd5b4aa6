import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { acquireStateLock, LOCK_FILE, pidIsAlive, StateLockedError } from '../../src/queue/lock.js';
import { tempDir } from './helpers.js';

const clock = new FakeClock(Date.UTC(2026, 0, 1, 8, 30));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(pidIsAlive(child.pid)).toBe(false);
  return child.pid;
}

describe('state directory lock', () => {
  it('writes pid, host and start time, and release removes it', () => {
    const dir = join(tempDir(), 'state');
    const lock = acquireStateLock(dir, { pid: process.pid, clock });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual({
      pid: process.pid,
      host: hostname(),
      startedAt: '2026-01-01T08:30:00.000Z',
    });
    expect(lock.tookOverFrom).toBeNull();
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
    lock.release(); // idempotent
  });

  it('refuses a second acquire while the holder is alive, naming the pid, host and start time', () => {
    const dir = tempDir();
    const first = acquireStateLock(dir, { pid: process.pid, clock });
    let caught: unknown;
    try {
      acquireStateLock(dir, { pid: process.pid, clock });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StateLockedError);
    expect((caught as Error).message).toBe(
      `state directory ${dir} is in use by pid ${process.pid} on host ${hostname()} since 2026-01-01T08:30:00.000Z ` +
        `(lock file ${join(dir, LOCK_FILE)})`,
    );
    expect((caught as StateLockedError).holder?.pid).toBe(process.pid);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    first.release();
    acquireStateLock(dir, { pid: process.pid, clock }).release();
  });

  it('takes over a stale lock left by a dead pid and reports whose it was', () => {
    const dir = tempDir();
    const stale = { pid: deadPid(), host: hostname(), startedAt: '2025-12-31T23:00:00.000Z' };
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify(stale)}\n`);
    const lock = acquireStateLock(dir, { pid: process.pid, clock });
    expect(lock.tookOverFrom).toEqual(stale);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
  });

  it('refuses a lock held from another host, whose pid it cannot check', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'other-pc', startedAt: 'x' }));
    expect(() => acquireStateLock(dir, { pid: process.pid, clock, isAlive: () => false })).toThrow(
      /in use by pid 1 on host other-pc since x \(another host/,
    );
  });

  it('refuses an unreadable lock file rather than guessing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    expect(() => acquireStateLock(dir, { pid: process.pid, clock })).toThrow(/unreadable lock file/);
  });

  it('release leaves alone a lock that another process has since taken', () => {
    const dir = tempDir();
    const lock = acquireStateLock(dir, { pid: process.pid, clock });
    const other = JSON.stringify({ pid: 4242, host: hostname(), startedAt: 'later' });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(other);
  });
});

// One daemon per state directory: two writers would both upload the same rows and fight over the outbox.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';

export const LOCK_FILE = 'daemon.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
}

export interface StateLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Set when a lock left by a dead process was taken over: worth a log line. */
  readonly tookOverFrom: LockHolder | null;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

export class StateLockedError extends Error {
  override name = 'StateLockedError';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
    detail: string,
  ) {
    super(`state directory ${dir} is in use ${detail} (lock file ${join(dir, LOCK_FILE)})`);
  }
}

export interface AcquireOptions {
  pid: number;
  clock: Clock;
  hostname?: string;
  /** Whether a pid on this host is running; injected for tests. */
  isAlive?: (pid: number) => boolean;
}

export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string') {
      return { pid: v.pid, host: v.host, startedAt: v.startedAt };
    }
  } catch {
    // fall through: not a lock we wrote
  }
  return null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The lock is written to a private file and hard-linked into place: link() fails with EEXIST like O_EXCL, and the
 * lock is never visible half-written, so a reader never mistakes a starting daemon for a corrupt lock.
 */
function tryCreate(lockPath: string, content: string, pid: number): boolean {
  const tmp = `${lockPath}.${pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lockPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Puts back a live lock moved aside by mistake, unless yet another daemon has taken the place meanwhile. */
function restore(aside: string, lockPath: string): void {
  try {
    linkSync(aside, lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  unlinkSync(aside);
}

export function acquireStateLock(dir: string, opts: AcquireOptions): StateLock {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE);
  const host = opts.hostname ?? osHostname();
  const isAlive = opts.isAlive ?? pidIsAlive;
  const holder: LockHolder = { pid: opts.pid, host, startedAt: new Date(opts.clock.now()).toISOString() };
  const content = `${JSON.stringify(holder)}\n`;
  let tookOverFrom: LockHolder | null = null;

  // Two rounds at most: the second follows the removal of a stale lock.
  for (let round = 0; round < 2; round++) {
    if (tryCreate(lockPath, content, opts.pid)) {
      return {
        path: lockPath,
        holder,
        tookOverFrom,
        release() {
          if (readText(lockPath) === content) unlinkSync(lockPath);
        },
      };
    }
    const existingText = readText(lockPath);
    if (existingText === null) continue; // released between our attempt and the read
    const existing = parseHolder(existingText);
    if (!existing) {
      throw new StateLockedError(dir, null, 'by an unknown process (unreadable lock file; delete it if no daemon runs)');
    }
    const who = `by pid ${existing.pid} on host ${existing.host} since ${existing.startedAt}`;
    if (existing.host !== host) {
      throw new StateLockedError(dir, existing, `${who} (another host: delete the lock if it no longer runs there)`);
    }
    if (isAlive(existing.pid)) throw new StateLockedError(dir, existing, who);
    // Stale. Move it aside, then check we moved the file we judged: a racing daemon may have replaced it.
    const aside = `${lockPath}.stale.${opts.pid}`;
    try {
      renameSync(lockPath, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (readText(aside) !== existingText) {
      restore(aside, lockPath);
      throw new StateLockedError(dir, null, 'by a daemon that started at the same moment');
    }
    unlinkSync(aside);
    tookOverFrom = existing;
  }
  throw new StateLockedError(dir, null, 'by another process that keeps taking the lock');
}

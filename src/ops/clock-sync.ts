// Is the system clock NTP-synchronised? Every measurement's start_time comes from it, so an unsynchronised
// clock is logged at start and re-checked periodically.
import { access } from 'node:fs/promises';
import type { Timers, TimerHandle } from '../core/clock.js';
import type { Logger } from './logger.js';
import { runCommand, type CommandRunner } from './command.js';

export type ClockSyncState = 'synchronised' | 'unsynchronised' | 'unknown';

/** Created by systemd-timesyncd once it has synchronised the clock; removed again on loss of sync. */
export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';

export interface ClockSyncDeps {
  run?: CommandRunner;
  /** Resolves whether a path exists; injected for tests. */
  exists?: (path: string) => Promise<boolean>;
}

const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Asks timedated (`timedatectl show -p NTPSynchronized --value`: the kernel's view, whichever NTP client runs).
 * Without an answer (no timedatectl, no D-Bus) the timesyncd flag file can only prove synchronisation: its
 * absence means nothing when chrony or ntpd keeps the time, so that case is 'unknown', never a guess.
 */
export async function checkClockSync(deps: ClockSyncDeps = {}): Promise<ClockSyncState> {
  const run = deps.run ?? runCommand;
  const res = await run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeoutMs: 5_000 });
  const answer = res.code === 0 ? res.stdout.trim() : '';
  if (answer === 'yes') return 'synchronised';
  if (answer === 'no') return 'unsynchronised';
  return (await (deps.exists ?? pathExists)(TIMESYNCD_FLAG)) ? 'synchronised' : 'unknown';
}

export interface ClockSyncMonitorOptions extends ClockSyncDeps {
  timers: Timers;
  logger: Logger;
  /** Time between checks; default 10 minutes. */
  intervalMs?: number;
}

/** Checks at start and every interval; warns while not synchronised, logs the state when it changes. */
export class ClockSyncMonitor {
  private readonly opts: ClockSyncMonitorOptions;
  private handle: TimerHandle | undefined;
  private running = false;
  private last: ClockSyncState | undefined;

  constructor(opts: ClockSyncMonitorOptions) {
    this.opts = opts;
  }

  /** The most recent result, for the status page and /metrics; undefined before the first check ends. */
  get state(): ClockSyncState | undefined {
    return this.last;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.check();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.handle !== undefined) this.opts.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private async check(): Promise<void> {
    this.handle = undefined;
    const state = await checkClockSync(this.opts);
    if (!this.running) return;
    const changed = state !== this.last;
    this.last = state;
    const { logger } = this.opts;
    // Unsynchronised is repeated every check on purpose: it taints start_time for as long as it lasts.
    if (state === 'unsynchronised')
      logger.warn({ event: 'clock.unsynchronised' }, 'system clock is not NTP-synchronised; measurement start_time may be wrong');
    else if (changed && state === 'synchronised') logger.info({ event: 'clock.synchronised' }, 'system clock is NTP-synchronised');
    else if (changed) logger.warn({ event: 'clock.sync_unknown' }, 'cannot tell whether the system clock is synchronised (no timedatectl answer)');
    if (this.running) this.handle = this.opts.timers.setTimeout(() => void this.check(), this.opts.intervalMs ?? 600_000);
  }
}

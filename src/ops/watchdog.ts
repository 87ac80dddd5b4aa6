// systemd watchdog: WATCHDOG=1 every WATCHDOG_USEC/2, but only while the process is healthy. The timer firing
// proves the event loop turns; `healthy()` adds what the timer cannot see (the database answers). A check that
// fails or hangs sends nothing, so systemd kills and restarts a wedged daemon after WatchdogSec.
import type { Timers, TimerHandle } from '../core/clock.js';
import type { Logger } from './logger.js';
import type { SdNotify } from './sd-notify.js';

export interface WatchdogOptions {
  notifier: Pick<SdNotify, 'watchdog'>;
  healthy: () => boolean | Promise<boolean>;
  timers: Timers;
  logger: Logger;
  /** Where WATCHDOG_USEC / WATCHDOG_PID are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Our pid, compared with WATCHDOG_PID; defaults to process.pid. */
  pid?: number;
}

/**
 * The ping interval in ms (half the watchdog timeout, as sd_watchdog_enabled(3) advises), or undefined when
 * systemd expects no pings from this process: no or invalid WATCHDOG_USEC, or WATCHDOG_PID naming another process.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2_000));
}

export class Watchdog {
  private readonly opts: WatchdogOptions;
  private handle: TimerHandle | undefined;
  private running = false;
  private unhealthy = false;

  constructor(opts: WatchdogOptions) {
    this.opts = opts;
  }

  /** Pings at once (startup may have used part of WatchdogSec), then every interval. No-op without a watchdog. */
  async start(): Promise<void> {
    const interval = watchdogIntervalMs(this.opts.env ?? process.env, this.opts.pid ?? process.pid);
    if (interval === undefined || this.running) return;
    this.running = true;
    this.opts.logger.info({ event: 'watchdog.started', interval_ms: interval }, 'systemd watchdog armed');
    await this.tick(interval);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.handle !== undefined) this.opts.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private async tick(interval: number): Promise<void> {
    this.handle = undefined;
    let ok = false;
    let error: string | undefined;
    try {
      ok = (await this.opts.healthy()) === true;
    } catch (e) {
      error = (e as Error).message;
    }
    if (!this.running) return;
    if (ok) {
      if (this.unhealthy) this.opts.logger.info({ event: 'watchdog.healthy' }, 'health check passes again; watchdog pings resumed');
      this.unhealthy = false;
      await this.opts.notifier.watchdog();
    } else if (!this.unhealthy) {
      // Logged once per unhealthy spell: if it lasts WatchdogSec, systemd restarts us and the journal shows why.
      this.unhealthy = true;
      this.opts.logger.error({ event: 'watchdog.unhealthy', error }, 'health check failed; withholding watchdog ping');
    }
    if (this.running) this.handle = this.opts.timers.setTimeout(() => void this.tick(interval), interval);
  }
}

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import { Watchdog, watchdogIntervalMs } from '../../src/ops/watchdog.js';

function setup(healthy: () => boolean | Promise<boolean>, env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '30000000' }) {
  const clock = new FakeClock();
  const pings: number[] = [];
  const notifier = { watchdog: async () => (pings.push(clock.now() - clock0), true) };
  const clock0 = clock.now();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  const wd = new Watchdog({ notifier, healthy, timers: clock, logger, env, pid: 4242 });
  return { clock, pings, wd, lines };
}

describe('watchdogIntervalMs', () => {
  it('is half of WATCHDOG_USEC, in ms', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 1)).toBe(15_000);
  });
  it('is undefined without a usable WATCHDOG_USEC or when WATCHDOG_PID names another process', () => {
    expect(watchdogIntervalMs({}, 1)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 1)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 1)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 1)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 7)).toBe(15_000);
  });
});

describe('Watchdog', () => {
  it('pings at start and every half timeout while healthy, and not after stop()', async () => {
    const { clock, pings, wd } = setup(() => true);
    await wd.start();
    await clock.advance(45_000);
    expect(pings).toEqual([0, 15_000, 30_000, 45_000]);
    await wd.stop();
    expect(clock.timerCount).toBe(0);
    await clock.advance(60_000);
    expect(pings).toHaveLength(4);
  });

  it('withholds pings while the health check fails, throws or says false, logging once per spell', async () => {
    let state: 'ok' | 'false' | 'throw' = 'ok';
    const { clock, pings, wd, lines } = setup(async () => {
      if (state === 'throw') throw new Error('database is locked');
      return state === 'ok';
    });
    await wd.start();
    state = 'false';
    await clock.advance(15_000);
    state = 'throw';
    await clock.advance(15_000);
    state = 'ok';
    await clock.advance(15_000);
    expect(pings).toEqual([0, 45_000]);
    expect(lines.map((l) => l.event)).toEqual(['watchdog.started', 'watchdog.unhealthy', 'watchdog.healthy']);
    await wd.stop();
  });

  it('does nothing without WATCHDOG_USEC', async () => {
    const { clock, pings, wd } = setup(() => true, {});
    await wd.start();
    await clock.advance(60_000);
    expect(pings).toEqual([]);
    expect(clock.timerCount).toBe(0);
  });

  it('does not ping for a health check that answers after stop()', async () => {
    let answer: (ok: boolean) => void = () => {};
    const clock = new FakeClock();
    let pings = 0;
    const wd = new Watchdog({
      notifier: { watchdog: async () => (pings++, true) },
      healthy: () => new Promise<boolean>((r) => (answer = r)),
      timers: clock,
      logger: silentLogger(),
      env: { WATCHDOG_USEC: '2000000' },
    });
    const started = wd.start();
    await wd.stop();
    answer(true);
    await started;
    expect(pings).toBe(0);
    expect(clock.timerCount).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger } from '../../src/ops/logger.js';
import { checkClockSync, ClockSyncMonitor, TIMESYNCD_FLAG } from '../../src/ops/clock-sync.js';
import type { CommandResult, CommandRunner } from '../../src/ops/command.js';

const answer = (r: CommandResult): CommandRunner => async () => r;
const ok = (stdout: string) => answer({ code: 0, stdout, stderr: '' });
const noTimedatectl = answer({ code: null, stdout: '', stderr: '', error: 'ENOENT' });

describe('checkClockSync', () => {
  it('asks timedatectl for NTPSynchronized', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return { code: 0, stdout: 'yes\n', stderr: '' };
    };
    expect(await checkClockSync({ run, exists: async () => false })).toBe('synchronised');
    expect(calls).toEqual([['timedatectl', 'show', '-p', 'NTPSynchronized', '--value']]);
    expect(await checkClockSync({ run: ok('no\n'), exists: async () => true })).toBe('unsynchronised');
  });

  it('falls back to the timesyncd flag, which can only prove synchronisation', async () => {
    const seen: string[] = [];
    const exists = (present: boolean) => async (p: string) => (seen.push(p), present);
    expect(await checkClockSync({ run: noTimedatectl, exists: exists(true) })).toBe('synchronised');
    expect(await checkClockSync({ run: noTimedatectl, exists: exists(false) })).toBe('unknown');
    expect(await checkClockSync({ run: answer({ code: 1, stdout: '', stderr: 'Failed to connect to bus' }), exists: exists(false) })).toBe('unknown');
    expect(await checkClockSync({ run: ok('\n'), exists: exists(false) })).toBe('unknown');
    expect(seen.every((p) => p === TIMESYNCD_FLAG)).toBe(true);
  });
});

describe('ClockSyncMonitor', () => {
  it('warns at start and on every check while unsynchronised, and logs the return to sync once', async () => {
    const clock = new FakeClock();
    let reply = 'no';
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
    const mon = new ClockSyncMonitor({ run: async () => ({ code: 0, stdout: reply, stderr: '' }), exists: async () => false, timers: clock, logger, intervalMs: 60_000 });
    await mon.start();
    expect(mon.state).toBe('unsynchronised');
    await clock.advance(60_000);
    reply = 'yes';
    await clock.advance(120_000);
    expect(mon.state).toBe('synchronised');
    expect(lines.map((l) => `${l.level}:${l.event}`)).toEqual(['warn:clock.unsynchronised', 'warn:clock.unsynchronised', 'info:clock.synchronised']);
    await mon.stop();
    expect(clock.timerCount).toBe(0);
  });
});

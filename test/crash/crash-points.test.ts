// The crash hook's plan parsing (the kills themselves are proven by the crash test, which counts them per point).
import { describe, expect, it } from 'vitest';
import { CRASH_ENV, parseCrashPlan } from '../../src/ops/crash-points.js';

describe('parseCrashPlan', () => {
  it('reads <point>:<n>', () => {
    expect(parseCrashPlan('after_save:3')).toEqual({ point: 'after_save', nth: 3 });
    expect(parseCrashPlan(' after_2xx:1 ')).toEqual({ point: 'after_2xx', nth: 1 });
  });

  it('is off when unset or empty', () => {
    expect(parseCrashPlan(undefined)).toBeNull();
    expect(parseCrashPlan('')).toBeNull();
  });

  it('refuses a malformed value instead of silently never crashing', () => {
    for (const bad of ['after_save', 'after_save:0', 'after_save:x', 'before_lunch:2', 'after_save:2:3'])
      expect(() => parseCrashPlan(bad), bad).toThrow(CRASH_ENV);
  });
});

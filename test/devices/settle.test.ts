// The settle rule: N readings in a row within tolerance (exact decimals, one unit) make a reading stable.
import { describe, expect, it } from 'vitest';
import { Settler } from '../../src/devices/settle.js';

const mm = (value: string, stable = true) => ({ value, unit: 'mm', stable });

function run(settler: Settler, values: Array<ReturnType<typeof mm>>): boolean[] {
  return values.map((v) => settler.push(v));
}

describe('Settler', () => {
  it('is stable once `count` readings in a row lie within tolerance, and stays so while they do', () => {
    const s = new Settler({ count: 3, tolerance: '0.002' });
    // Windows: [1.210 1.204 1.201] 0.009, [1.204 1.201 1.200] 0.004, [1.201 1.200 1.2005] 0.001, [1.200 1.2005 1.201] 0.001.
    expect(run(s, [mm('1.210'), mm('1.204'), mm('1.201'), mm('1.200'), mm('1.2005'), mm('1.201')])).toEqual([false, false, false, false, true, true]);
  });

  it('compares exactly at the edge of the tolerance, whatever the decimals', () => {
    // 0.1 + 0.2 style: spread 0.3 - 0.1 = 0.2 exactly; a float would make it 0.19999999999999998 or worse.
    const s = new Settler({ count: 2, tolerance: '0.2' });
    expect(run(s, [mm('0.1'), mm('0.3')])).toEqual([false, true]);
    expect(run(new Settler({ count: 2, tolerance: '0.002' }), [mm('1.000'), mm('1.0020')])).toEqual([false, true]);
    expect(run(new Settler({ count: 2, tolerance: '0.002' }), [mm('1.000'), mm('1.00201')])).toEqual([false, false]);
  });

  it('starts over on a moving reading, a unit change, or reset()', () => {
    const s = new Settler({ count: 2, tolerance: '0' });
    expect(run(s, [mm('5.00'), mm('5.00'), mm('5.00', false), mm('5.00'), mm('5.00')])).toEqual([false, true, false, false, true]);
    expect(s.push({ value: '5.00', unit: 'in', stable: true })).toBe(false);
    expect(s.push({ value: '5.00', unit: 'in', stable: true })).toBe(true);
    s.reset();
    expect(s.push({ value: '5.00', unit: 'in', stable: true })).toBe(false);
  });

  it('never calls a window with a spread beyond tolerance stable, however long it runs', () => {
    const s = new Settler({ count: 4, tolerance: '0.010' });
    const values = ['0.000', '0.006', '0.011', '0.006', '0.000', '0.006', '0.011'].map((v) => mm(v));
    expect(run(s, values).some(Boolean)).toBe(false);
  });
});

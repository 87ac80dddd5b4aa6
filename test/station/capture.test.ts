import { describe, expect, it } from 'vitest';
import { captureStep, initialCapture, type CaptureEvent, type CaptureState } from '../../src/station/capture.js';

const scan: CaptureEvent = { kind: 'scan' };
const w = (value: number, stable = true): CaptureEvent => ({ kind: 'reading', value, stable });

/** Runs events through the machine and returns which of them were taken. */
function run(events: CaptureEvent[], minLoad?: number, from: CaptureState = initialCapture) {
  let s = from;
  const taken: number[] = [];
  events.forEach((e, i) => {
    const r = captureStep(s, e, minLoad);
    s = r.state;
    if (r.take) taken.push(i);
  });
  return { taken, state: s };
}

describe('captureStep with min_load (balance)', () => {
  it('takes the first stable load after the scan when the pan was empty', () => {
    expect(run([w(0), scan, w(30, false), w(45), w(45)], 1).taken).toEqual([3]);
  });

  it('never takes a reading that came before the scan', () => {
    expect(run([w(0), w(45), scan], 1).taken).toEqual([]);
  });

  it('waits for an unload when the pan is still loaded at the scan', () => {
    const r = run([w(0), scan, w(45), scan, w(45), w(45), w(0.5), w(46)], 1);
    expect(r.taken).toEqual([2, 7]);
  });

  it('waits for an unload when the pan state is unknown at the scan', () => {
    expect(run([scan, w(45), w(0), w(45)], 1).taken).toEqual([3]);
  });

  it('does not count an unstable low reading as an unload', () => {
    expect(run([w(45), scan, w(0, false), w(45)], 1).taken).toEqual([]);
  });

  it('treats min_load as inclusive', () => {
    expect(run([w(0), scan, w(1)], 1).taken).toEqual([2]);
  });

  it('explains each refusal', () => {
    const loaded: CaptureState = { phase: 'await_unload', pan: 'loaded' };
    expect(captureStep(loaded, w(45), 1).reason).toBe('pan still loaded since before the scan: lift it off, then weigh again');
    expect(captureStep(loaded, w(45, false), 1).reason).toBe('unstable');
    expect(captureStep(loaded, w(0.2), 1)).toEqual({ state: { phase: 'armed', pan: 'empty' }, take: false, reason: 'below min_load 1' });
    expect(captureStep({ phase: 'idle', pan: 'loaded' }, w(45), 1).reason).toBe('already taken for this cell');
  });
});

describe('captureStep without min_load (gauge)', () => {
  it('takes the first stable reading after each scan, whatever came before', () => {
    expect(run([w(0.7), scan, w(0.5, false), w(0.51), w(0.52), scan, w(0.49)]).taken).toEqual([3, 6]);
  });
});

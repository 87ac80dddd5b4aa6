import type { Clock, TimerHandle, Timers } from './clock.js';

/** A deterministic clock + timers for tests: time moves only when `advance` is called. */
export class FakeClock implements Clock, Timers {
  private t: number;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as unknown as number);
  }

  /** Number of timers waiting to fire. */
  get timerCount(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing due timers in order (and timers they schedule within the window). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      // Let promise continuations scheduled by the timer run before the next one fires.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.t = end;
  }
}

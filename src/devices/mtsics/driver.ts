// Mettler Toledo MT-SICS balance: polls SI with exactly one command in flight (pipelining confuses the
// balance, instruments.md 1.2). A balance that stops answering is treated as gone and its port recreated.
import type { TimerHandle } from '../../core/clock.js';
import type { DeviceConfig } from '../../config/schema.js';
import { SerialDevice, type DeviceDeps } from '../serial-device.js';
import { decodeMtSics, type MtSicsFrame } from './decode.js';

export type MtSicsConfig = Extract<DeviceConfig, { kind: 'mtsics' }>;

interface InFlight {
  command: 'SI' | 'I4';
  timer: TimerHandle;
}

export class MtSicsBalance extends SerialDevice {
  private inFlight: InFlight | undefined;
  private pollTimer: TimerHandle | undefined;
  private lastPollAt = 0;
  private missed = 0;
  /** Last non-weight condition reported (overload, error...), so it is logged once, not at every poll. */
  private condition: string | undefined;

  constructor(
    id: string,
    private readonly cfg: MtSicsConfig,
    deps: DeviceDeps,
  ) {
    super(id, 'mtsics', cfg, deps);
  }

  // The port being open says nothing about the balance: it counts as connected at its first reply.
  protected override onUp(): void {
    this.missed = 0;
    this.send('I4');
  }

  protected override onDown(): void {
    if (this.inFlight) this.deps.timers.clearTimeout(this.inFlight.timer);
    if (this.pollTimer !== undefined) this.deps.timers.clearTimeout(this.pollTimer);
    this.inFlight = undefined;
    this.pollTimer = undefined;
  }

  protected onLine(line: string): void {
    const frame = decodeMtSics(line);
    if (frame.kind === 'garbage') return this.dropped(line, 'not an MT-SICS reply');
    this.markConnected();
    this.handle(frame, line);
    // A late reply after its timeout finds nothing in flight; the poll is already scheduled.
    if (!this.inFlight) return;
    this.deps.timers.clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    this.missed = 0;
    this.schedulePoll();
  }

  private handle(frame: Exclude<MtSicsFrame, { kind: 'garbage' }>, line: string): void {
    switch (frame.kind) {
      case 'weight':
        this.condition = undefined;
        return this.emitReading('mass', frame.value, frame.unit, frame.stable, line);
      case 'identity':
        return this.setIdentity({ serial: frame.serial });
      case 'status':
      case 'error':
        // "ES" to I4 only means the balance does not implement it; no serial then.
        if (this.inFlight?.command === 'I4') return;
        return this.noteCondition(line.trim());
      case 'other':
        return;
    }
  }

  private noteCondition(text: string): void {
    if (this.condition === text) return;
    this.condition = text;
    this.log.warn({ event: 'balance.condition', reply: text }, 'balance reports a condition instead of a weight');
  }

  private send(command: InFlight['command']): void {
    if (!this.transport.write(`${command}\r\n`)) return;
    this.lastPollAt = this.deps.clock.now();
    const timer = this.deps.timers.setTimeout(() => this.onTimeout(), this.cfg.reply_timeout_ms);
    this.inFlight = { command, timer };
  }

  private onTimeout(): void {
    const command = this.inFlight?.command;
    this.inFlight = undefined;
    if (command === 'SI' && ++this.missed >= this.cfg.max_missed_replies) {
      this.transport.reconnect(`no reply to ${this.missed} polls in a row (balance off or cable out?)`);
      return;
    }
    this.schedulePoll();
  }

  /** Next SI one poll period after the previous one was sent (at once if a slow reply used up the period). */
  private schedulePoll(): void {
    const wait = Math.max(0, this.lastPollAt + this.cfg.poll_ms - this.deps.clock.now());
    this.pollTimer = this.deps.timers.setTimeout(() => {
      this.pollTimer = undefined;
      this.send('SI');
    }, wait);
  }
}

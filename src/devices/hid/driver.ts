// Keyboard-wedge devices read from /dev/input (evdev): barcode scanners in HID keyboard mode and gauges behind
// typing cables such as the Mitutoyo USB-ITN (instruments.md 4.2, 5). Same events and status as the serial
// drivers; the event node is reopened with capped backoff when it disappears (unplug) and comes back.
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../core/clock.js';
import type { DeviceState } from '../../core/types.js';
import type { DeviceConfig } from '../../config/schema.js';
import type { Logger } from '../../ops/logger.js';
import type { Device, DeviceEvents, DeviceStatus } from '../device.js';
import { decodeScan } from '../scanner/decode.js';
import type { DeviceDeps } from '../serial-device.js';
import { backoffDelay } from '../transport/serial-transport.js';
import { decodeGaugeLine, InputEventParser, WedgeDecoder } from './decode.js';
import { EvdevReader, type GrabOutcome, type SpawnFn } from './evdev-reader.js';
import { LAYOUTS } from './keymap.js';

export type HidScannerConfig = Extract<DeviceConfig, { kind: 'hid-scanner' }>;
export type HidGaugeConfig = Extract<DeviceConfig, { kind: 'hid-gauge' }>;
type HidConfig = HidScannerConfig | HidGaugeConfig;

export interface HidDeps extends DeviceDeps {
  /** Starts the python3 helper; tests may substitute it. */
  spawn?: SpawnFn;
}

export abstract class HidWedgeDevice extends EventEmitter<DeviceEvents> implements Device {
  protected readonly log: Logger;
  private readonly parser = new InputEventParser();
  private readonly decoder: WedgeDecoder;
  private reader: EvdevReader | undefined;
  private retry: TimerHandle | undefined;
  private keyTimer: TimerHandle | undefined;
  private attempt = 0;
  private running = false;
  private downSince: number | undefined;
  private current: DeviceStatus;

  constructor(
    readonly id: string,
    private readonly cfg: HidConfig,
    private readonly deps: HidDeps,
  ) {
    super();
    this.decoder = new WedgeDecoder({ layout: LAYOUTS[cfg.layout], interKeyTimeoutMs: cfg.inter_key_timeout_ms, maxLineLength: cfg.max_line_length });
    this.log = deps.logger.child({ device: id, kind: cfg.kind });
    this.current = { id, kind: cfg.kind, state: 'stopped', since: deps.clock.now() };
  }

  async start(): Promise<void> {
    this.running = true;
    this.setState('connecting');
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retry !== undefined) this.deps.timers.clearTimeout(this.retry);
    this.retry = undefined;
    this.clearKeyTimer();
    const reader = this.reader;
    this.reader = undefined;
    await reader?.stop();
    this.setState('stopped');
  }

  status(): DeviceStatus {
    return { ...this.current };
  }

  /** One typed line (Enter seen, nothing suspicious in it). */
  protected abstract onLine(text: string): void;

  protected emitDataAt(): number {
    const at = this.deps.clock.now();
    this.current.lastDataAt = at;
    return at;
  }

  protected rejected(partial: string, why: string): void {
    this.log.warn({ event: 'frame.dropped', raw: partial.slice(0, 80), why }, 'dropped a typed line');
  }

  private open(): void {
    this.retry = undefined;
    // A new connection starts clean: no half record, no half line, no key held.
    this.parser.reset();
    this.decoder.reset();
    const reader = new EvdevReader(this.cfg.path, this.cfg.grab, this.deps.spawn);
    this.reader = reader;
    reader.on('open', (grab) => this.reader === reader && this.onOpen(grab));
    reader.on('data', (chunk) => this.reader === reader && this.onData(chunk));
    reader.on('end', (reason) => this.reader === reader && this.onEnd(reason));
    reader.start();
  }

  private onOpen(grab: GrabOutcome): void {
    this.attempt = 0;
    if (grab.state === 'failed') {
      // EBUSY: someone else (another daemon, a probe) holds the device and its keys will not reach us.
      const busy = grab.detail.startsWith('EBUSY');
      const message = busy
        ? `another process holds ${this.cfg.path} exclusively; no keys will arrive here until it lets go`
        : `could not take ${this.cfg.path} exclusively (${grab.detail}); its keystrokes also reach the focused window`;
      this.current.lastError = message;
      this.log.warn({ event: busy ? 'hid.busy' : 'hid.grab_failed', path: this.cfg.path, detail: grab.detail }, message);
    }
    const downMs = this.downSince === undefined ? undefined : this.deps.clock.now() - this.downSince;
    this.downSince = undefined;
    this.log.info({ event: 'device.connected', path: this.cfg.path, grab: grab.state, down_ms: downMs }, 'device connected');
    this.setState('connected');
  }

  private onData(chunk: Buffer): void {
    const now = this.deps.clock.now();
    for (const frame of this.decoder.push(this.parser.push(chunk), now)) {
      if (frame.kind === 'line') this.onLine(frame.text);
      else this.rejected(frame.partial, frame.reason);
    }
    this.clearKeyTimer();
    // Without this a half-typed line would wait for the next key to be found stale; this reports it on time.
    if (this.decoder.pending) {
      this.keyTimer = this.deps.timers.setTimeout(() => {
        this.keyTimer = undefined;
        const frame = this.decoder.expire(this.deps.clock.now());
        if (frame?.kind === 'rejected') this.rejected(frame.partial, frame.reason);
      }, this.cfg.inter_key_timeout_ms + 1);
    }
  }

  private onEnd(reason: string): void {
    this.reader = undefined;
    this.clearKeyTimer();
    const cut = this.decoder.abandon('the device went away before Enter');
    if (cut?.kind === 'rejected') this.rejected(cut.partial, cut.reason);
    if (!this.running) return;
    this.current.lastError = reason;
    if (this.current.state !== 'disconnected') {
      // One line per streak; reopen attempts that fail the same way stay quiet.
      this.downSince = this.deps.clock.now();
      this.log.warn({ event: 'device.disconnected', path: this.cfg.path, error: reason }, 'device disconnected; reconnecting with backoff');
      this.setState('disconnected');
    }
    this.retry = this.deps.timers.setTimeout(() => this.open(), backoffDelay(this.attempt++, this.cfg.reconnect));
  }

  private clearKeyTimer(): void {
    if (this.keyTimer !== undefined) this.deps.timers.clearTimeout(this.keyTimer);
    this.keyTimer = undefined;
  }

  private setState(state: DeviceState): void {
    if (this.current.state === state) return;
    this.current = { ...this.current, state, since: this.deps.clock.now() };
    this.emit('status', this.status());
  }
}

/** A barcode scanner in USB keyboard (HID-KBW) mode. */
export class HidScanner extends HidWedgeDevice {
  protected onLine(text: string): void {
    const frame = decodeScan(text);
    if (frame.kind === 'garbage') return this.rejected(text, 'not a printable code');
    this.emit('scan', { device: this.id, code: frame.code, at: this.emitDataAt() });
  }
}

/** A gauge that types its value and Enter (Mitutoyo USB-ITN default mode), in the configured unit. */
export class HidGauge extends HidWedgeDevice {
  constructor(
    id: string,
    private readonly gauge: HidGaugeConfig,
    deps: HidDeps,
  ) {
    super(id, gauge, deps);
  }

  protected onLine(text: string): void {
    const [frame] = decodeGaugeLine(text, { unit: this.gauge.unit });
    if (frame?.kind !== 'reading') return this.rejected(text, frame?.kind === 'garbage' ? frame.reason : 'not a reading');
    const { quantity, value, unit, stable } = frame;
    this.emit('reading', { device: this.id, quantity, value, unit, stable, raw: text, at: this.emitDataAt() });
  }
}

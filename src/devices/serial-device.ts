// The plumbing every line-based serial driver shares: transport + framer + status + events. A driver adds
// only what differs: how to decode a line and, for polled devices, what to send when.
import { EventEmitter } from 'node:events';
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { Clock, Timers } from '../core/clock.js';
import type { DeviceState } from '../core/types.js';
import type { DeviceConfig } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import type { Device, DeviceEvents, DeviceStatus } from './device.js';
import { LineFramer } from './framing/line-framer.js';
import { portLabel } from './transport/resolve-port.js';
import { SerialTransport } from './transport/serial-transport.js';

export interface DeviceDeps {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  binding?: BindingInterface;
}

export type SerialDeviceConfig = Pick<Extract<DeviceConfig, { port: unknown }>, 'port' | 'reconnect' | 'max_line_bytes'>;

export abstract class SerialDevice extends EventEmitter<DeviceEvents> implements Device {
  protected readonly transport: SerialTransport;
  protected readonly log: Logger;
  private readonly framer: LineFramer;
  private readonly path: string;
  private current: DeviceStatus;
  private downSince: number | undefined;
  private discardsSeen = 0;
  private droppedTotal = 0;

  constructor(
    readonly id: string,
    kind: string,
    cfg: SerialDeviceConfig,
    protected readonly deps: DeviceDeps,
  ) {
    super();
    this.transport = new SerialTransport({ port: cfg.port, reconnect: cfg.reconnect, timers: deps.timers, binding: deps.binding });
    this.framer = new LineFramer({ maxLineBytes: cfg.max_line_bytes });
    this.path = portLabel(cfg.port);
    this.log = deps.logger.child({ device: id, kind });
    this.current = { id, kind, state: 'stopped', since: deps.clock.now() };
  }

  async start(): Promise<void> {
    this.setState('connecting');
    this.transport.on('up', this.handleUp);
    this.transport.on('down', this.handleDown);
    this.transport.on('data', this.handleData);
    this.transport.start();
  }

  async stop(): Promise<void> {
    this.transport.off('up', this.handleUp);
    this.transport.off('down', this.handleDown);
    this.transport.off('data', this.handleData);
    await this.transport.stop();
    this.onDown();
    this.setState('stopped');
  }

  status(): DeviceStatus {
    return { ...this.current };
  }

  /** A decoded line from the open port. */
  protected abstract onLine(line: string): void;

  /** The port is open. Streaming devices are connected now; polled ones override this and wait for a reply. */
  protected onUp(): void {
    this.markConnected();
  }

  /** The port went away (or stop()): drop per-connection state such as timers and commands in flight. */
  protected onDown(): void {}

  /** The device is talking. Logs `device.connected` once when it comes back, not per reply. */
  protected markConnected(): void {
    if (this.current.state === 'connected') return;
    const downMs = this.downSince === undefined ? undefined : this.deps.clock.now() - this.downSince;
    this.downSince = undefined;
    this.log.info({ event: 'device.connected', path: this.path, down_ms: downMs }, 'device connected');
    this.setState('connected');
  }

  protected setIdentity(identity: DeviceStatus['identity']): void {
    this.current = { ...this.current, identity };
    this.log.info({ event: 'device.identity', ...identity }, 'device identified');
    this.emit('status', this.status());
  }

  protected emitReading(quantity: string, value: string, unit: string, stable: boolean, raw: string): void {
    const at = this.deps.clock.now();
    this.current.lastDataAt = at;
    this.emit('reading', { device: this.id, quantity, value, unit, stable, raw, at });
  }

  protected emitScan(code: string): void {
    const at = this.deps.clock.now();
    this.current.lastDataAt = at;
    this.emit('scan', { device: this.id, code, at });
  }

  /**
   * Garbage never becomes data, and is never silent: log it, but at 1, 2, 4, 8, ... drops so a device
   * spewing noise (wrong baud rate) cannot flood the journal.
   */
  protected dropped(raw: string, why: string): void {
    this.droppedTotal++;
    if ((this.droppedTotal & (this.droppedTotal - 1)) !== 0) return;
    this.log.warn({ event: 'frame.dropped', raw: raw.slice(0, 80), why, dropped_total: this.droppedTotal }, 'dropped a frame');
  }

  private readonly handleUp = (): void => {
    this.framer.reset();
    this.onUp();
  };

  private readonly handleDown = (reason: string): void => {
    this.onDown();
    this.current.lastError = reason;
    if (this.current.state === 'disconnected') return;
    // One line per streak, with the error that started it; reopen attempts that fail the same way stay quiet.
    this.downSince = this.deps.clock.now();
    this.log.warn({ event: 'device.disconnected', path: this.path, error: reason }, 'device disconnected; reconnecting with backoff');
    this.setState('disconnected');
  };

  private readonly handleData = (chunk: Buffer): void => {
    const lines = this.framer.push(chunk);
    if (this.framer.discarded !== this.discardsSeen) {
      this.discardsSeen = this.framer.discarded;
      this.dropped(`<${this.framer.discarded} overlong lines so far>`, 'line longer than max_line_bytes');
    }
    for (const line of lines) this.onLine(line);
  };

  private setState(state: DeviceState): void {
    if (this.current.state === state) return;
    this.current = { ...this.current, state, since: this.deps.clock.now() };
    this.emit('status', this.status());
  }
}

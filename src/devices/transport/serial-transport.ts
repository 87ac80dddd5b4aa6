// Owns one serial port: opens it, reports it up or down, and reopens a fresh port with capped exponential
// backoff after an unplug, an open error or a driver's reconnect() (a device gone silent). It logs nothing
// itself: the device decides what a streak of failures means and logs it once (see serial-device.ts).
import { EventEmitter } from 'node:events';
import { SerialPortStream } from '@serialport/stream';
import { autoDetect, type BindingInterface } from '@serialport/bindings-cpp';
import type { TimerHandle, Timers } from '../../core/clock.js';
import type { SerialPortConfig } from '../../config/schema.js';

export interface ReconnectConfig {
  initial_ms: number;
  max_ms: number;
}

export interface SerialTransportOptions {
  port: SerialPortConfig;
  reconnect: ReconnectConfig;
  timers: Timers;
  /** Serial binding; defaults to the platform's native one. Tests pass @serialport/binding-mock. */
  binding?: BindingInterface;
}

export interface SerialTransportEvents {
  up: [];
  data: [Buffer];
  /** The port is closed or could not be opened; a reopen is already scheduled. */
  down: [reason: string];
}

/** Delay before reopen attempt `attempt` (0-based): initial, 2x, 4x, ... capped at max. */
export function backoffDelay(attempt: number, cfg: ReconnectConfig): number {
  return Math.min(cfg.initial_ms * 2 ** Math.min(attempt, 30), cfg.max_ms);
}

export class SerialTransport extends EventEmitter<SerialTransportEvents> {
  private port: SerialPortStream | undefined;
  private retry: TimerHandle | undefined;
  private attempt = 0;
  private running = false;

  constructor(private readonly opts: SerialTransportOptions) {
    super();
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** Starts opening the port; failures are reported as `down` and retried, never thrown. */
  start(): void {
    this.running = true;
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retry !== undefined) this.opts.timers.clearTimeout(this.retry);
    this.retry = undefined;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Writes if the port is open; returns false (and writes nothing) otherwise. */
  write(data: string | Buffer): boolean {
    if (!this.port?.isOpen) return false;
    this.port.write(data);
    return true;
  }

  /** Closes the current port and reopens a fresh one after backoff, e.g. when the device stopped answering. */
  reconnect(reason: string): void {
    if (this.port) this.fail(this.port, reason);
  }

  private open(): void {
    this.retry = undefined;
    const { port: cfg, binding } = this.opts;
    const port = new SerialPortStream({
      binding: binding ?? autoDetect(),
      path: cfg.path,
      baudRate: cfg.baud_rate,
      dataBits: cfg.data_bits,
      parity: cfg.parity,
      stopBits: cfg.stop_bits,
      rtscts: cfg.flow_control === 'rtscts',
      xon: cfg.flow_control === 'xonxoff',
      xoff: cfg.flow_control === 'xonxoff',
      autoOpen: false,
    });
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.emit('data', chunk);
    });
    port.on('close', (err?: Error) => this.fail(port, err ? describe(cfg.path, err) : `port ${cfg.path} closed`));
    // Write errors can come before the read side notices a hangup; the stream needs a listener so they never crash the daemon.
    port.on('error', (err: Error) => this.fail(port, describe(cfg.path, err)));
    port.open((err) => {
      if (this.port !== port) return;
      if (err) return this.fail(port, `cannot open ${cfg.path}: ${err.message}`);
      this.attempt = 0;
      this.emit('up');
    });
  }

  /** Retires `port` (once; later events from it are ignored) and schedules a fresh one. */
  private fail(port: SerialPortStream, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    if (port.isOpen) port.close(() => undefined);
    if (!this.running) return;
    this.emit('down', reason);
    const delay = backoffDelay(this.attempt++, this.opts.reconnect);
    this.retry = this.opts.timers.setTimeout(() => this.open(), delay);
  }
}

// A hung-up tty fails reads with a disconnect error and writes with EIO; both mean the device went away.
const GONE = /\b(EIO|ENXIO|ENODEV|EBADF)\b|bad file descriptor/i;

function describe(path: string, err: Error & { disconnected?: boolean }): string {
  const gone = err.disconnected === true || GONE.test(err.message);
  return gone ? `port ${path} disappeared (unplugged?): ${err.message}` : `port ${path}: ${err.message}`;
}

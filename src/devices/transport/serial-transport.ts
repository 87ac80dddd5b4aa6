// Owns one serial port: opens it, reports it up or down, and reopens a fresh port with capped exponential
// backoff after an unplug, an open error or a driver's reconnect() (a device gone silent). A port named by USB
// ids is looked up again before every open. It logs nothing itself: the device decides what a streak of
// failures means and logs it once (see serial-device.ts).
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface, SetOptions } from '@serialport/bindings-cpp';
import type { TimerHandle, Timers } from '../../core/clock.js';
import type { SerialPortConfig } from '../../config/schema.js';
import { nativeBinding } from './loop-read-binding.js';
import { portLabel, resolvePortPath } from './resolve-port.js';

export interface ReconnectConfig {
  initial_ms: number;
  max_ms: number;
}

export interface SerialTransportOptions {
  port: SerialPortConfig;
  reconnect: ReconnectConfig;
  timers: Timers;
  /** Serial binding; defaults to the platform's native one (nativeBinding). Tests pass @serialport/binding-mock. */
  binding?: BindingInterface;
  /** How often the opened device node is checked for existence (see watchPresence). */
  presenceCheckMs?: number;
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
  private presence: TimerHandle | undefined;
  private attempt = 0;
  /** Counts open attempts, so a port lookup that finishes after stop() or a newer attempt is ignored. */
  private opening = 0;
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
    this.stopWatching();
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

  /** Sets modem control lines (DTR/RTS) on the open port, e.g. to power a cable from them. */
  set(flags: Pick<SetOptions, 'dtr' | 'rts'>): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.reject(new Error('port is not open'));
    return new Promise((resolve, reject) => port.set(flags, (err) => (err ? reject(err) : resolve())));
  }

  /** Closes the current port and reopens a fresh one after backoff, e.g. when the device stopped answering. */
  reconnect(reason: string): void {
    if (this.port) this.fail(this.port, reason);
  }

  private open(): void {
    this.retry = undefined;
    const attempt = ++this.opening;
    const binding = this.opts.binding ?? nativeBinding();
    const current = () => this.running && attempt === this.opening;
    resolvePortPath(this.opts.port, binding).then(
      (path) => current() && this.openPath(path, binding),
      (err: Error) => current() && this.retryLater(`cannot find ${portLabel(this.opts.port)}: ${err.message}`),
    );
  }

  private openPath(path: string, binding: BindingInterface): void {
    const cfg = this.opts.port;
    const port = new SerialPortStream({
      binding,
      path,
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
    port.on('close', (err?: Error) => this.fail(port, err ? describe(path, err) : `port ${path} closed`));
    // Write errors can come before the read side notices a hangup; the stream needs a listener so they never crash the daemon.
    port.on('error', (err: Error) => this.fail(port, describe(path, err)));
    port.open((err) => {
      if (this.port !== port) return;
      if (err) return this.fail(port, `cannot open ${path}: ${err.message}`);
      this.attempt = 0;
      this.emit('up');
      this.watchPresence(port, path);
    });
  }

  /**
   * A hung-up tty can make the binding re-read 0 bytes forever without reporting a disconnect (seen on PTYs
   * when no read is parked in the poller at hangup), so a device that never writes (stream mode) would look
   * connected for ever. Unplugging removes the device node and its /dev/serial/by-id link, so the node going
   * away is an unplug. Paths that are not filesystem nodes (mock ports) are not watched.
   */
  private watchPresence(port: SerialPortStream, path: string): void {
    const every = this.opts.presenceCheckMs ?? 1_000;
    const check = (first: boolean): void =>
      void stat(path).then(
        () => {
          if (this.port === port) this.presence = this.opts.timers.setTimeout(() => check(false), every);
        },
        (err: NodeJS.ErrnoException) => {
          if (!first) this.fail(port, `port ${path} disappeared (unplugged?): ${err.code ?? err.message}`);
        },
      );
    check(true);
  }

  private stopWatching(): void {
    if (this.presence !== undefined) this.opts.timers.clearTimeout(this.presence);
    this.presence = undefined;
  }

  /** Retires `port` (once; later events from it are ignored) and schedules a fresh one. */
  private fail(port: SerialPortStream, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.stopWatching();
    if (port.isOpen) port.close(() => undefined);
    if (this.running) this.retryLater(reason);
  }

  private retryLater(reason: string): void {
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

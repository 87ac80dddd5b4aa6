// systemd's sd_notify protocol (READY=1, WATCHDOG=1, STOPPING=1, STATUS=...) over $NOTIFY_SOCKET.
//
// Node has no AF_UNIX SOCK_DGRAM socket in core, so a datagram needs native code or a helper program. We run
// systemd's own `systemd-notify` for each message rather than a native addon (zigbee2mqtt loads `unix-dgram`
// as an optional dependency and silently loses notify when it fails to build): systemd-notify exists wherever
// NOTIFY_SOCKET is set, handles abstract (`@...`) and path sockets, and since systemd 246 waits on a barrier
// until the manager has processed the message, so the short-lived sender is still attributed to our unit. The
// cost is `NotifyAccess=all` in the unit (the sender is a child, not the main pid) and one fork per message
// (the watchdog sends one every WatchdogSec/2). Without NOTIFY_SOCKET every call is a no-op.
import type { Logger } from './logger.js';
import { runCommand, type CommandRunner } from './command.js';

export interface SdNotifyOptions {
  logger: Logger;
  /** Where NOTIFY_SOCKET (and PATH to find the helper) are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  run?: CommandRunner;
  /** The helper program; a path or a name looked up in PATH. */
  command?: string;
  /** A hung helper is killed after this; systemd-notify's own barrier waits at most 5 s. */
  timeoutMs?: number;
}

export class SdNotify {
  private readonly logger: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly run: CommandRunner;
  private readonly command: string;
  private readonly timeoutMs: number;
  /** Messages go out one at a time, in call order (READY before STOPPING even when both are quick). */
  private chain: Promise<unknown> = Promise.resolve();
  private lastFailure: string | undefined;

  constructor(opts: SdNotifyOptions) {
    this.logger = opts.logger;
    this.env = opts.env ?? process.env;
    this.run = opts.run ?? runCommand;
    this.command = opts.command ?? 'systemd-notify';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** True when started by systemd with Type=notify (NOTIFY_SOCKET set). */
  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  /** The service is up: systemd moves it from "activating" to "active". */
  ready(status?: string): Promise<boolean> {
    return this.send(['READY=1', ...statusField(status)]);
  }

  /** Keep-alive; systemd restarts the service if none arrives within WatchdogSec. */
  watchdog(): Promise<boolean> {
    return this.send(['WATCHDOG=1']);
  }

  /** Shutdown has begun: systemd shows "deactivating" and stops expecting watchdog pings. */
  stopping(status?: string): Promise<boolean> {
    return this.send(['STOPPING=1', ...statusField(status)]);
  }

  /** Free text shown by `systemctl status`. */
  status(text: string): Promise<boolean> {
    return this.send(statusField(text));
  }

  /** Resolves true once delivered, false when disabled or failed (failures are logged, never thrown). */
  private send(fields: string[]): Promise<boolean> {
    const socket = this.env.NOTIFY_SOCKET;
    if (!socket) return Promise.resolve(false);
    const next = this.chain.then(() => this.deliver(socket, fields));
    this.chain = next;
    return next;
  }

  private async deliver(socket: string, fields: string[]): Promise<boolean> {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: socket };
    if (this.env.PATH !== undefined) env.PATH = this.env.PATH;
    const res = await this.run(this.command, fields, { env, timeoutMs: this.timeoutMs });
    const message = fields.join(' ');
    if (res.code === 0) {
      if (this.lastFailure !== undefined) {
        this.logger.info({ event: 'systemd.notify_recovered', message }, 'systemd notify works again');
        this.lastFailure = undefined;
      }
      return true;
    }
    const error = res.error ?? (res.stderr.trim() || `exit code ${res.code}`);
    // A broken notify socket fails every watchdog tick: log each distinct error once, not every 15 s.
    if (error !== this.lastFailure) {
      this.logger.warn({ event: 'systemd.notify_failed', message, socket, error }, 'could not notify systemd');
      this.lastFailure = error;
    }
    return false;
  }
}

/** STATUS= is one line of the datagram; a newline would start a new (bogus) assignment. */
function statusField(text: string | undefined): string[] {
  return text === undefined ? [] : [`STATUS=${text.replace(/[\r\n]+/g, ' ')}`];
}

// One driver for every line-based instrument (balances, gauges, testers, multiplexers, generic devices): the
// family only supplies a decoder, its identity queries and its request (see families.ts).
//
// poll mode: one command in flight (pipelining confuses balances, instruments.md 1.2), each with a reply
// timeout; the device counts as connected at its first decodable reply, and max_missed_replies unanswered
// polls in a row recreate the port (a balance switched off behind a live USB adapter looks exactly like that).
// stream mode: the instrument talks when the operator presses PRINT/DATA (or autoprints); the open port is
// the connection, and any decodable line is a reading.
// Both modes first ask the identity queries once per connection; no answer or an error just means no identity.
import type { TimerHandle } from '../core/clock.js';
import type { Frame } from './decoded.js';
import { SerialDevice, type DeviceDeps, type SerialDeviceConfig } from './serial-device.js';
import { Settler, type SettleRule } from './settle.js';

/** What an identity query's answer is, for decoders whose identity lines look like data (Sartorius). */
export type IdentityExpect = 'model' | 'serial';

export interface IdentityQuery {
  command: string;
  expect?: IdentityExpect;
}

export interface LineInstrumentSpec {
  /** Family name, shown in status and logs. */
  kind: string;
  mode: 'poll' | 'stream';
  /** Sent at every poll (poll mode). */
  request?: string;
  pollMs: number;
  replyTimeoutMs: number;
  maxMissedReplies: number;
  decode: (line: string, expect?: IdentityExpect) => Frame[];
  identity: readonly IdentityQuery[];
  /** Modem lines to set once the port is open (cables powered from DTR/RTS). */
  lines?: { dtr: boolean; rts: boolean };
  /** Multiplexers: only readings from this input are this device's. */
  channel?: string;
  /** Software stability rule for instruments without a stability flag. */
  settle?: SettleRule;
}

interface InFlight {
  query?: IdentityQuery;
  timer: TimerHandle;
}

export class LineInstrument extends SerialDevice {
  private readonly settler: Settler | undefined;
  private queue: IdentityQuery[] = [];
  private inFlight: InFlight | undefined;
  private nextTimer: TimerHandle | undefined;
  private lastSentAt = 0;
  private missed = 0;
  private found: { model?: string; serial?: string } = {};
  /** Last condition reported instead of a reading (overload, error...), so it is logged once, not per poll. */
  private condition: string | undefined;
  private linesFailed = false;

  constructor(
    id: string,
    cfg: SerialDeviceConfig,
    private readonly spec: LineInstrumentSpec,
    deps: DeviceDeps,
  ) {
    super(id, spec.kind, cfg, deps);
    this.settler = spec.settle ? new Settler(spec.settle) : undefined;
  }

  protected override onUp(): void {
    this.missed = 0;
    this.found = {};
    this.settler?.reset();
    if (this.spec.mode === 'stream') this.markConnected();
    if (this.spec.lines) this.setLines(this.spec.lines);
    this.queue = [...this.spec.identity];
    this.next();
  }

  protected override onDown(): void {
    if (this.inFlight) this.deps.timers.clearTimeout(this.inFlight.timer);
    if (this.nextTimer !== undefined) this.deps.timers.clearTimeout(this.nextTimer);
    this.inFlight = undefined;
    this.nextTimer = undefined;
    this.queue = [];
  }

  protected onLine(line: string): void {
    const frames = this.spec.decode(line, this.inFlight?.query?.expect);
    const useful = frames.filter((f) => f.kind !== 'garbage');
    if (useful.length === 0) {
      const first = frames[0];
      return this.dropped(line, first?.kind === 'garbage' ? first.reason : 'nothing decoded');
    }
    this.markConnected();
    for (const frame of useful) this.handle(frame, line);
    // A late reply after its timeout (or an unasked print line) finds nothing in flight: nothing to advance.
    if (!this.inFlight) return;
    // A reading while an identity query is out is a print/autoprint line between them (SBI interleaves,
    // instruments.md 2.4), not the answer: keep waiting for it.
    if (this.inFlight.query && !useful.some((f) => f.kind === 'identity' || f.kind === 'error')) return;
    this.deps.timers.clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    this.missed = 0;
    this.next();
  }

  private handle(frame: Frame, line: string): void {
    switch (frame.kind) {
      case 'reading': {
        if (this.spec.channel !== undefined && frame.channel !== undefined && frame.channel !== this.spec.channel)
          return this.dropped(line, `input ${frame.channel}, this device reads input ${this.spec.channel}`);
        this.condition = undefined;
        const stable = this.settler ? this.settler.push(frame) : frame.stable;
        return this.emitReading(frame.quantity, frame.value, frame.unit, stable, line);
      }
      case 'identity':
        // SBI answers model and serial to two queries: keep both.
        if (frame.model !== undefined) this.found = { ...this.found, model: frame.model };
        if (frame.serial !== undefined) this.found = { ...this.found, serial: frame.serial };
        return this.setIdentity({ ...this.found });
      case 'error':
        // An error answering an identity query only means the instrument does not implement it.
        if (this.inFlight?.query) return;
        return this.noteCondition(line.trim(), frame.code, frame.message);
      default:
        return;
    }
  }

  private noteCondition(reply: string, code: string, message: string): void {
    if (this.condition === reply) return;
    this.condition = reply;
    this.log.warn({ event: 'device.condition', reply, code, message }, `instrument reports ${message} instead of a reading`);
  }

  /** Next identity query, else (poll mode) the next poll, one command period after the previous command. */
  private next(): void {
    const query = this.queue.shift();
    const command = query?.command ?? (this.spec.mode === 'poll' ? this.spec.request : undefined);
    if (command === undefined) return;
    const wait = this.lastSentAt + this.spec.pollMs - this.deps.clock.now();
    if (wait <= 0) return this.send(command, query);
    this.nextTimer = this.deps.timers.setTimeout(() => {
      this.nextTimer = undefined;
      this.send(command, query);
    }, wait);
  }

  private send(command: string, query: IdentityQuery | undefined): void {
    if (!this.transport.write(command)) return;
    this.lastSentAt = this.deps.clock.now();
    const timer = this.deps.timers.setTimeout(() => this.onTimeout(), this.spec.replyTimeoutMs);
    this.inFlight = { query, timer };
  }

  private onTimeout(): void {
    const wasQuery = this.inFlight?.query !== undefined;
    this.inFlight = undefined;
    if (!wasQuery && ++this.missed >= this.spec.maxMissedReplies) {
      this.transport.reconnect(`no reply to ${this.missed} polls in a row (instrument off or cable out?)`);
      return;
    }
    this.next();
  }

  // Failure is logged once until it works again: a PTY or an adapter without modem lines fails every time.
  private setLines(lines: { dtr: boolean; rts: boolean }): void {
    this.transport.set(lines).then(
      () => (this.linesFailed = false),
      (err: Error) => {
        if (this.linesFailed) return;
        this.linesFailed = true;
        this.log.warn({ event: 'device.lines_failed', ...lines, error: err.message }, 'could not set DTR/RTS (cable power)');
      },
    );
  }
}

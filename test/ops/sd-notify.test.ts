// SdNotify against a real AF_UNIX SOCK_DGRAM socket (a python3 receiver), as systemd's notify socket is.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SdNotify } from '../../src/ops/sd-notify.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import type { CommandRunner } from '../../src/ops/command.js';
import { missingTools } from './tools.js';

// Binds the address ("@name" = abstract namespace), prints "bound", then one JSON string per datagram.
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = sys.argv[1]
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('bound', flush=True)
while True:
    data = s.recv(4096)
    print(json.dumps(data.decode()), flush=True)
`;

class Receiver {
  readonly datagrams: string[] = [];
  private isBound = false;
  private readonly proc: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  constructor(address: string) {
    this.proc = spawn('python3', ['-c', RECEIVER, address]);
    let buf = '';
    this.proc.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // systemd-notify follows each message with a BARRIER=1 datagram (it waits until it is read).
        if (line === 'bound') this.isBound = true;
        else if (JSON.parse(line) !== 'BARRIER=1') this.datagrams.push(JSON.parse(line) as string);
        this.waiters.splice(0).forEach((w) => w());
      }
    });
  }

  /** Resolves once the socket is bound; bounded so a broken python3 fails the test instead of hanging. */
  bound(): Promise<void> {
    return this.until(() => this.isBound, 'receiver did not bind');
  }

  async until(done: () => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms; got ${JSON.stringify(this.datagrams)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  stop(): void {
    this.proc.kill();
  }
}

const missing = missingTools(['python3', 'systemd-notify']);

describe.skipIf(missing.length > 0)('SdNotify over a real datagram socket', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function receiver(address: string): Promise<Receiver> {
    const r = new Receiver(address);
    cleanups.push(() => r.stop());
    await r.bound();
    return r;
  }

  function tempSocketPath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sd-notify-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'notify.sock');
  }

  it('sends READY, STATUS, WATCHDOG and STOPPING in call order to a socket path', async () => {
    const path = tempSocketPath();
    const rx = await receiver(path);
    const sd = new SdNotify({ logger: silentLogger(), env: { NOTIFY_SOCKET: path, PATH: process.env.PATH } });
    expect(sd.enabled).toBe(true);
    const sent = await Promise.all([sd.ready('outbox open'), sd.watchdog(), sd.status('2 pending\nuploads'), sd.stopping()]);
    expect(sent).toEqual([true, true, true, true]);
    await rx.until(() => rx.datagrams.length >= 4, 'four datagrams');
    expect(rx.datagrams).toEqual(['READY=1\nSTATUS=outbox open', 'WATCHDOG=1', 'STATUS=2 pending uploads', 'STOPPING=1']);
  });

  it('reaches an abstract-namespace socket given as @name', async () => {
    const name = `@ionworks-edge-test-${process.pid}-${Date.now()}`;
    const rx = await receiver(name);
    const sd = new SdNotify({ logger: silentLogger(), env: { NOTIFY_SOCKET: name, PATH: process.env.PATH } });
    expect(await sd.ready()).toBe(true);
    await rx.until(() => rx.datagrams.length >= 1, 'READY=1');
    expect(rx.datagrams).toEqual(['READY=1']);
  });

  it('logs a failing socket once per distinct error, returns false and recovers', async () => {
    const path = tempSocketPath();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
    const sd = new SdNotify({ logger, env: { NOTIFY_SOCKET: path, PATH: process.env.PATH } });

    expect(await sd.watchdog()).toBe(false);
    expect(await sd.watchdog()).toBe(false);
    expect(lines.map((l) => l.event)).toEqual(['systemd.notify_failed']);
    expect(lines[0]).toMatchObject({ level: 'warn', message: 'WATCHDOG=1', socket: path });

    const rx = await receiver(path);
    expect(await sd.watchdog()).toBe(true);
    await rx.until(() => rx.datagrams.length >= 1, 'WATCHDOG=1');
    expect(lines.map((l) => l.event)).toEqual(['systemd.notify_failed', 'systemd.notify_recovered']);
  });
});

describe('SdNotify without NOTIFY_SOCKET', () => {
  it('is a no-op that never runs the helper', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return { code: 0, stdout: '', stderr: '' };
    };
    const sd = new SdNotify({ logger: silentLogger(), env: { PATH: '/usr/bin' }, run });
    expect(sd.enabled).toBe(false);
    expect(await Promise.all([sd.ready(), sd.watchdog(), sd.status('x'), sd.stopping()])).toEqual([false, false, false, false]);
    expect(calls).toEqual([]);
  });

  it('reports a missing helper program as a failure, not a crash', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
    const sd = new SdNotify({ logger, env: { NOTIFY_SOCKET: '/nonexistent', PATH: '' }, command: 'no-such-systemd-notify' });
    expect(await sd.ready()).toBe(false);
    expect(lines[0]).toMatchObject({ event: 'systemd.notify_failed', error: 'ENOENT' });
  });
});

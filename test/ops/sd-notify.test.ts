// SdNotify against a real AF_UNIX SOCK_DGRAM socket (a python3 receiver), as systemd's notify socket is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SdNotify } from '../../src/ops/sd-notify.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import type { CommandRunner } from '../../src/ops/command.js';
import { missingTools } from './tools.js';
import { Receiver } from './notify-receiver.js';

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

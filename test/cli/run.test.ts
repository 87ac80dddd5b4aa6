// `run` as systemd runs it: READY=1 / WATCHDOG=1 / STOPPING=1 reach a real AF_UNIX datagram socket, the clock
// check runs at start, SIGHUP reloads and SIGTERM stops cleanly. Signals come from an EventEmitter.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { serve } from '../../src/cli/run.js';
import type { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/ops/logger.js';
import { runCommand, type CommandRunner } from '../../src/ops/command.js';
import type { FetchLike } from '../../src/uploader/http.js';
import { API_KEY, MockBinding, configYaml, until } from '../ops/daemon-fixture.js';
import { Receiver } from '../ops/notify-receiver.js';
import { missingTools } from '../ops/tools.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  MockBinding.reset();
});

function workdir(yaml = configYaml()): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iwe-run-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, yaml);
  writeFileSync(join(dir, 'api-key'), API_KEY);
  MockBinding.createPort('/dev/ttyMOCK0');
  MockBinding.createPort('/dev/ttyMOCK1');
  return { dir, configPath };
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { lines, logger, events: (e: string) => lines.filter((l) => l.event === e) };
}

const fetch: FetchLike = async () => ({ status: 201, headers: { get: () => null }, text: async () => '{"id":"srv-1"}' });
/** timedatectl says "not synchronised"; everything else (systemd-notify) really runs. */
const run: CommandRunner = async (file, args, opts) =>
  file === 'timedatectl' ? { code: 0, stdout: 'no\n', stderr: '' } : runCommand(file, args, opts);

const missing = missingTools(['python3', 'systemd-notify']);

describe.skipIf(missing.length > 0)('run under systemd (Type=notify, WatchdogSec)', () => {
  it('sends READY once up, WATCHDOG while healthy only, STOPPING on SIGTERM, and reloads on SIGHUP', async () => {
    const { dir, configPath } = workdir();
    const socket = join(dir, 'notify.sock');
    const rx = new Receiver(socket);
    cleanups.push(() => rx.stop());
    await rx.bound();
    const clock = new FakeClock();
    const signals = new EventEmitter();
    const { lines, logger, events } = capture();
    let daemon: Daemon | undefined;
    const exit = serve({
      configPath,
      env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: '30000000', PATH: process.env.PATH, IONWORKS_EDGE_LOG__LEVEL: 'debug' },
      logger,
      signals,
      run,
      daemon: { clock, timers: clock, fetch, binding: MockBinding },
      onReady: (d) => (daemon = d),
    });

    await until('ready', () => daemon !== undefined);
    await rx.until(() => rx.datagrams.length >= 2, 'READY=1 and the first WATCHDOG=1');
    expect(rx.datagrams[0]).toMatch(/^READY=1\nSTATUS=0 pending, 0 dead letters; status on http:\/\/127\.0\.0\.1:\d+$/);
    expect(rx.datagrams[1]).toBe('WATCHDOG=1');
    // READY came after the outbox opened and the HTTP server listened.
    const order = lines.map((l) => l.event);
    expect(order.indexOf('outbox.opened')).toBeLessThan(order.indexOf('daemon.ready'));
    expect(order.indexOf('http.listening')).toBeLessThan(order.indexOf('daemon.ready'));
    expect(events('config.env_overrides')).toEqual([expect.objectContaining({ variables: ['IONWORKS_EDGE_LOG__LEVEL'], keys: ['log.level'] })]);
    await until('the clock check', () => events('clock.unsynchronised').length === 1);

    await clock.advance(15_000);
    await rx.until(() => rx.datagrams.length >= 3, 'the second WATCHDOG=1');
    // A database that stops answering withholds the pings, so systemd restarts the daemon.
    // (The tick re-arms only once systemd-notify has exited, so time moves on until it has come round.)
    daemon!.outbox.close();
    await until('watchdog.unhealthy', () => (void clock.advance(15_000), events('watchdog.unhealthy').length === 1));
    daemon!.outbox.open();

    writeFileSync(configPath, configYaml({ cellPattern: '^B-[0-9]+$' }));
    signals.emit('SIGHUP');
    expect(events('config.reloaded')).toEqual([expect.objectContaining({ applied: ['bench1'] })]);

    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    await rx.until(() => rx.datagrams.includes('STOPPING=1'), 'STOPPING=1');
    expect(rx.datagrams.filter((d) => d === 'WATCHDOG=1')).toHaveLength(2);
    expect(rx.datagrams.at(-1)).toBe('STOPPING=1');
    expect(events('daemon.stopped')).toHaveLength(1);
    expect(signals.listenerCount('SIGHUP') + signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
  });
});

describe('run without systemd', () => {
  it('notifies nobody and stops on SIGINT', async () => {
    const { configPath } = workdir();
    const calls: string[] = [];
    const clock = new FakeClock();
    const signals = new EventEmitter();
    const { events, logger } = capture();
    const exit = serve({
      configPath,
      env: {},
      logger,
      signals,
      run: async (file, args) => (calls.push(file), { code: 0, stdout: file === 'timedatectl' ? 'yes\n' : '', stderr: '' }),
      daemon: { clock, timers: clock, fetch, binding: MockBinding },
      onReady: () => signals.emit('SIGINT'),
    });
    expect(await exit).toBe(0);
    expect(calls.filter((c) => c === 'systemd-notify')).toEqual([]);
    expect(events('daemon.stopped')).toHaveLength(1);
  });

  it('exits 78 with every problem on stderr for an invalid config, before logging anything', async () => {
    const { configPath } = workdir(configYaml({ cellPattern: '(' }));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    cleanups.push(() => stderr.mockRestore());
    const { lines, logger } = capture();
    const code = await serve({ configPath, env: { IONWORKS_EDGE_HTTP__PORT: 'x' }, logger, signals: new EventEmitter() });
    expect(code).toBe(78);
    const text = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toContain('stations.bench1.cell_pattern: is not a valid regular expression');
    expect(text).toContain('http.port (from IONWORKS_EDGE_HTTP__PORT): expected a number, got "x"');
    expect(lines).toEqual([]);
  });
});

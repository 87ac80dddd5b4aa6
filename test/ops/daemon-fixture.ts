// The real Daemon (real SQLite file, real HTTP server on 127.0.0.1) with @serialport/binding-mock ports and an
// in-process API answer, for the health, metrics, logging and reload tests. A scanner and a Digimatic gauge
// stream (they count as connected once their port opens); scans and readings arrive as bytes on their ports.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import { FakeClock } from '../../src/core/fake-clock.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import type { FetchLike } from '../../src/uploader/http.js';
import type { BindingInterface } from '../../src/devices/index.js';
import { digimaticLine } from '../../src/devices/mitutoyo/simulator.js';

// @serialport/binding-mock's own exports map hides its types under NodeNext; serialport re-exports the same object.
export const MockBinding = SerialPortMock.binding;

export const API_KEY = 'iwk_test_0123456789abcdef';

export function configYaml(opts: { cellPattern?: string; httpPort?: number; gaugePath?: string; level?: string } = {}): string {
  return `
lab: Cell Lab North
state_dir: state
api:
  base_url: http://127.0.0.1:9
  key_file: api-key
http: { host: 127.0.0.1, port: ${opts.httpPort ?? 0} }
log: { level: ${opts.level ?? 'debug'} }
devices:
  scanner1:
    kind: scanner
    port: { path: /dev/ttyMOCK0 }
  gauge1:
    kind: mitutoyo
    port: { path: ${opts.gaugePath ?? '/dev/ttyMOCK1'} }
stations:
  bench1:
    scanner: scanner1
    cell_pattern: '${opts.cellPattern ?? '^CELL-[0-9]{4}$'}'
    properties:
      thickness: { device: gauge1, unit: mm }
`;
}

export interface Fixture {
  dir: string;
  configPath: string;
  clock: FakeClock;
  lines: Record<string, unknown>[];
  /** The same lines as written (JSON text), for checks parsing would hide, such as duplicate keys. */
  raw: string[];
  logger: Logger;
  /** What the fake API saw: one entry per POST, with its X-API-Key. */
  posts: { url: string; apiKey: string | undefined }[];
  /** The fake API's next answer status (201 by default). */
  answer: { status: number };
  loaded: LoadedConfig;
  daemon: Daemon;
  events(name: string): Record<string, unknown>[];
  writeConfig(text: string): void;
  get(path: string): Promise<{ status: number; text: string; json(): unknown; contentType: string | null }>;
  scan(code: string): void;
  thickness(value: string): void;
  close(): Promise<void>;
}

/** Writes the config and key, starts the daemon, waits until each port has opened or failed to. */
export async function startFixture(opts: { yaml?: string; apiKey?: string | null; start?: boolean } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'iwe-ops-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, opts.yaml ?? configYaml());
  if (opts.apiKey !== null) writeFileSync(join(dir, 'api-key'), `${opts.apiKey ?? API_KEY}\n`);
  MockBinding.createPort('/dev/ttyMOCK0');
  MockBinding.createPort('/dev/ttyMOCK1');
  const clock = new FakeClock();
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (s: string) => {
        raw.push(s);
        lines.push(JSON.parse(s));
      },
    },
  });
  const posts: Fixture['posts'] = [];
  const answer = { status: 201 };
  let seq = 0;
  // The instrument's end of each opened port, to send it bytes.
  const ports = new Map<string, { emitData(data: string): void }>();
  const binding: BindingInterface = {
    list: () => MockBinding.list(),
    async open(options) {
      const port = await MockBinding.open(options);
      ports.set(options.path, port);
      return port;
    },
  };
  const send = (path: string, data: string) => {
    const port = ports.get(path);
    if (!port) throw new Error(`${path} is not open`);
    port.emitData(data);
  };
  const fetch: FetchLike = async (url, init) => {
    // The de-duplication lookup before a re-send: nothing stored under that name yet.
    if (init.method === 'GET' && url.includes('/cell_measurements?') && answer.status < 300)
      return { status: 200, headers: { get: () => null }, text: async () => '[]' };
    posts.push({ url, apiKey: init.headers['X-API-Key'] ?? init.headers['x-api-key'] });
    const body = answer.status < 300 ? JSON.stringify({ id: `srv-${++seq}` }) : JSON.stringify({ detail: 'no' });
    return { status: answer.status, headers: { get: () => null }, text: async () => body };
  };
  const loaded = loadConfig(configPath, {});
  const daemon = new Daemon({
    config: loaded.config,
    configPath,
    ...(loaded.apiKey === undefined ? {} : { apiKey: loaded.apiKey }),
    logger,
    clock,
    timers: clock,
    fetch,
    binding,
  });
  const fixture: Fixture = {
    dir,
    configPath,
    clock,
    lines,
    raw,
    logger,
    posts,
    answer,
    loaded,
    daemon,
    events: (name) => lines.filter((l) => l.event === name),
    writeConfig: (text) => writeFileSync(configPath, text),
    async get(path) {
      const res = await globalThis.fetch(`${daemon.http.url}${path}`);
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text), contentType: res.headers.get('content-type') };
    },
    scan: (code) => send('/dev/ttyMOCK0', `${code}\r\n`),
    thickness: (value) => send('/dev/ttyMOCK1', `${digimaticLine(value)}\r`),
    async close() {
      await daemon.stop();
      MockBinding.reset();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (opts.start !== false) {
    await daemon.start();
    await until('ports to open or fail', () => daemon.status().devices.every((d) => d.state !== 'connecting'));
  }
  return fixture;
}

/** Polls `done` on real time (port opens and HTTP are real I/O), failing after `ms` with what it waited for. */
export async function until(what: string, done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// A status page on the real HTTP server (127.0.0.1), fed by a real Station, stand-in devices and an in-memory
// outbox, so the routes, SSE stream and access rules are tested without serial ports.
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../src/core/fake-clock.js';
import { stationSchema } from '../../src/config/schema.js';
import type { Device, DeviceEvents, DeviceStatus } from '../../src/devices/device.js';
import { OpsHttpServer, sendJson } from '../../src/ops/http-server.js';
import { silentLogger } from '../../src/ops/logger.js';
import { mountStatusPage } from '../../src/ops/status/routes.js';
import type { StatusOutbox } from '../../src/ops/status/hub.js';
import type { OutboxCounts, OutboxRecord } from '../../src/queue/types.js';
import { Station } from '../../src/station/station.js';
import type { StorageGuard } from '../../src/queue/storage-guard.js';

export class StubDevice extends EventEmitter<DeviceEvents> implements Device {
  current: DeviceStatus;
  constructor(readonly id: string, kind: string) {
    super();
    this.current = { id, kind, state: 'connected', since: 0 };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): DeviceStatus {
    return { ...this.current };
  }
  set(patch: Partial<DeviceStatus>): void {
    this.current = { ...this.current, ...patch };
    this.emit('status', this.status());
  }
}

/** Rows by id; the test flips their state the way the uploader would. */
export class MemoryOutbox implements StatusOutbox {
  readonly rows = new Map<number, OutboxRecord>();
  save(id: number, name: string): void {
    this.rows.set(id, {
      id, cellInstanceId: 'CELL-0001', name, body: '{}', station: 'bench1', state: 'pending', createdAt: 0, attempts: 0,
      nextAttemptAt: 0, outcomeUnknown: false, lastError: null, lastStatus: null, serverId: null, finishedAt: null,
      deadReason: null, attemptsSinceRequeue: 0,
    });
  }
  counts(): OutboxCounts {
    const c: OutboxCounts = { pending: 0, delivered: 0, dead: 0 };
    for (const r of this.rows.values()) c[r.state]++;
    return c;
  }
  get(id: number): OutboxRecord | null {
    return this.rows.get(id) ?? null;
  }
  list(state: OutboxRecord['state'], limit: number): OutboxRecord[] {
    return [...this.rows.values()].filter((r) => r.state === state).slice(0, limit);
  }
}

export const TOKEN = 'bench-tablet-token-0123';

export async function startStatusServer(http: { host: string; access_token?: string } = { host: '127.0.0.1' }) {
  const clock = new FakeClock();
  const logger = silentLogger();
  const outbox = new MemoryOutbox();
  const stationConfig = stationSchema.parse({
    scanner: 'scanner1',
    cell_pattern: '^CELL-[0-9]{4}$',
    properties: { mass: { device: 'balance1', unit: 'g', min_load: 1 }, thickness: { device: 'gauge1', unit: 'mm' } },
  });
  let ids = 0;
  const station = new Station({
    id: 'bench1',
    config: stationConfig,
    lab: 'Cell Lab North',
    version: '0.1.0',
    clock,
    logger,
    save: (m) => {
      outbox.save(++ids, m.name);
      return { id: ids };
    },
  });
  const devices = new Map<string, StubDevice>([
    ['scanner1', new StubDevice('scanner1', 'scanner')],
    ['balance1', new StubDevice('balance1', 'mtsics')],
    ['gauge1', new StubDevice('gauge1', 'mitutoyo')],
  ]);
  // Always binds loopback: the access rules follow the configured host, the traffic stays on 127.0.0.1.
  const server = new OpsHttpServer({ host: '127.0.0.1', port: 0, logger });
  // Live maps, as the daemon's: a test adds a station the way a config reload does.
  const configs = new Map([['bench1', stationConfig]]);
  const stations = new Map([['bench1', station]]);
  const storage: { current: ReturnType<StorageGuard['status']> } = { current: { level: 'ok', usage: { rows: 0, bytes: 0 }, limits: { maxRows: 100 } } };
  const access = mountStatusPage(server, {
    http,
    lab: () => 'Cell Lab North',
    version: '0.1.0',
    stationConfig: (id) => configs.get(id),
    stations,
    devices,
    outbox,
    hasApiKey: () => true,
    storage: () => storage.current,
    timers: clock,
    logger,
    pollMs: 1_000,
    keepAliveMs: 15_000,
  });
  server.route('GET', '/healthz', access.health((_req, res) => sendJson(res, 200, { ok: true })));
  await server.start();
  const scan = (code: string) => station.handleScan({ device: 'scanner1', code, at: clock.now() });
  const read = (device: string, value: string, unit: string, stable = true) =>
    station.handleReading({ device, quantity: 'x', value, unit, stable, raw: value, at: clock.now() });
  return { server, url: server.url, clock, station, stations, configs, storage, devices, outbox, access, scan, read, close: () => server.stop() };
}

/** Reads an SSE response: `next(pred)` resolves with the first later event whose JSON satisfies `pred`. */
export function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const chunks: string[] = [];
  async function pull(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no SSE data within ${timeoutMs} ms; so far: ${chunks.join('|')}`)), timeoutMs);
    });
    try {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error('SSE stream ended');
      buffer += decoder.decode(value, { stream: true });
    } finally {
      clearTimeout(timer);
    }
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      chunks.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
  return {
    chunks,
    /** The next raw block (data or comment). */
    async nextChunk(timeoutMs = 5_000): Promise<string> {
      while (chunks.length === 0) await pull(timeoutMs);
      return chunks.shift()!;
    },
    async next<T = any>(pred: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (chunks.length === 0) await pull(Math.max(1, deadline - Date.now()));
        const chunk = chunks.shift()!;
        if (!chunk.startsWith('data: ')) continue;
        const v = JSON.parse(chunk.slice(6)) as T;
        if (pred(v)) return v;
      }
    },
    cancel: () => reader.cancel(),
  };
}

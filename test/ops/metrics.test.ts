import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger } from '../../src/ops/logger.js';
import { DaemonMetrics, reportUploadOutcomes, type UploadOutcome } from '../../src/ops/metrics.js';
import type { UploaderOutbox } from '../../src/uploader/uploader.js';
import { VERSION } from '../../src/version.js';
import { startFixture, until, type Fixture } from './daemon-fixture.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format: families from # TYPE lines, samples from the rest. */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === `ionworks_edge_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const FAMILIES = {
  build_info: 'gauge',
  readings_total: 'counter',
  measurements_saved_total: 'counter',
  uploads_total: 'counter',
  outbox_rows: 'gauge',
  outbox_dead_letters: 'gauge',
  outbox_oldest_pending_age_seconds: 'gauge',
  outbox_file_bytes: 'gauge',
  disk_free_bytes: 'gauge',
  device_connected: 'gauge',
  device_last_reading_age_seconds: 'gauge',
  last_upload_success_timestamp_seconds: 'gauge',
  uploader_mode: 'gauge',
};

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('/metrics on a running daemon', () => {
  it('exposes every family, and the counters and gauges move with a measurement and its upload', async () => {
    fx = await startFixture();
    const first = await fx.get('/metrics');
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const before = parse(first.text);
    for (const [name, type] of Object.entries(FAMILIES)) expect(before.types.get(`ionworks_edge_${name}`), name).toBe(type);
    const s0 = before.samples;
    expect(value(s0, 'build_info', { version: VERSION })).toBe(1);
    expect(value(s0, 'measurements_saved_total', { station: 'bench1' })).toBe(0);
    expect(value(s0, 'uploads_total', { outcome: 'delivered' })).toBe(0);
    expect(value(s0, 'outbox_rows', { state: 'pending' })).toBe(0);
    expect(value(s0, 'outbox_oldest_pending_age_seconds')).toBe(0);
    expect(value(s0, 'device_connected', { device: 'gauge1' })).toBe(1);
    expect(value(s0, 'device_last_reading_age_seconds', { device: 'gauge1' })).toBeUndefined();
    expect(value(s0, 'last_upload_success_timestamp_seconds')).toBeNaN();
    expect(value(s0, 'uploader_mode', { mode: 'running' })).toBe(1);
    expect(value(s0, 'outbox_file_bytes')).toBeGreaterThan(0);
    expect(value(s0, 'disk_free_bytes')).toBeGreaterThan(0);

    const savedAt = fx.clock.now();
    fx.scan('CELL-0001');
    await until('the scan', () => fx!.events('scan.accepted').length === 1);
    fx.thickness('5.523');
    await until('the upload', () => fx!.events('upload.ok').length === 1);
    await fx.clock.advance(4_000);

    const after = parse((await fx.get('/metrics')).text).samples;
    expect(value(after, 'readings_total', { device: 'gauge1', quantity: 'thickness' })).toBe(1);
    expect(value(after, 'measurements_saved_total', { station: 'bench1' })).toBe(1);
    expect(value(after, 'uploads_total', { outcome: 'delivered' })).toBe(1);
    expect(value(after, 'outbox_rows', { state: 'delivered' })).toBe(1);
    expect(value(after, 'device_last_reading_age_seconds', { device: 'gauge1' })).toBe(4);
    expect(value(after, 'last_upload_success_timestamp_seconds')).toBe(savedAt / 1000);
  });

  it('counts retries, and shows the age of the oldest pending row', async () => {
    fx = await startFixture();
    fx.answer.status = 503;
    fx.scan('CELL-0001');
    await until('the scan', () => fx!.events('scan.accepted').length === 1);
    fx.thickness('5.523');
    await until('a retry', () => fx!.events('upload.retry').length === 1);
    await fx.clock.advance(90_000);
    const s = parse((await fx.get('/metrics')).text).samples;
    expect(value(s, 'uploads_total', { outcome: 'retry' })).toBeGreaterThanOrEqual(1);
    expect(value(s, 'outbox_rows', { state: 'pending' })).toBe(1);
    expect(value(s, 'outbox_oldest_pending_age_seconds')).toBe(90);
  });
});

describe('DaemonMetrics', () => {
  function metricsWith(counts: () => { pending: number; delivered: number; dead: number }) {
    const clock = new FakeClock();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
    const metrics = new DaemonMetrics({
      version: '9.9.9',
      clock,
      logger,
      outbox: { counts, oldestPendingAt: () => null },
      outboxPath: '/nonexistent/outbox.db',
      stateDir: '/',
      devices: () => [],
      stations: () => ['a'],
    });
    return { clock, lines, metrics };
  }

  it('leaves a gauge empty when its source fails, logs that once per spell, and says when it recovers', async () => {
    let broken = true;
    const { clock, lines, metrics } = metricsWith(() => {
      if (broken) throw new Error('outbox is not open');
      return { pending: 2, delivered: 0, dead: 1 };
    });
    const s1 = parse((await metrics.scrape()).body);
    expect(s1.types.get('ionworks_edge_outbox_rows')).toBe('gauge');
    expect(value(s1.samples, 'outbox_rows', { state: 'pending' })).toBeUndefined();
    expect(value(s1.samples, 'outbox_dead_letters')).toBeNaN();
    expect(value(s1.samples, 'build_info', { version: '9.9.9' })).toBe(1);
    await clock.advance(10_000);
    await metrics.scrape();
    const failed = lines.filter((l) => l.event === 'metrics.collect_failed');
    expect(failed.map((l) => l.metric).sort()).toEqual(['ionworks_edge_outbox_dead_letters', 'ionworks_edge_outbox_rows']);
    expect(failed[0]).toMatchObject({ level: 'warn', err: 'outbox is not open', repeated: 0 });

    broken = false;
    const s3 = parse((await metrics.scrape()).body).samples;
    expect(value(s3, 'outbox_rows', { state: 'pending' })).toBe(2);
    expect(value(s3, 'outbox_dead_letters')).toBe(1);
    expect(lines.filter((l) => l.event === 'metrics.collect_recovered').map((l) => l.failures)).toEqual([2, 2]);
  });

  it('uses its own registry, so two daemons in one process do not share counters', async () => {
    const a = metricsWith(() => ({ pending: 0, delivered: 0, dead: 0 })).metrics;
    const b = metricsWith(() => ({ pending: 0, delivered: 0, dead: 0 })).metrics;
    a.measurementSaved('a');
    expect(value(parse((await a.scrape()).body).samples, 'measurements_saved_total', { station: 'a' })).toBe(1);
    expect(value(parse((await b.scrape()).body).samples, 'measurements_saved_total', { station: 'a' })).toBe(0);
  });
});

describe('reportUploadOutcomes', () => {
  it('reports each recorded outcome after the outbox has recorded it, and passes every call through', () => {
    const calls: string[] = [];
    const outbox: UploaderOutbox = {
      due: () => (calls.push('due'), []),
      beginAttempt: () => (calls.push('begin'), 1),
      recordDelivered: () => void calls.push('delivered'),
      recordRetry: () => void calls.push('retry'),
      recordDead: () => void calls.push('dead'),
      releaseAttempt: () => void calls.push('release'),
      atomically: (fn) => (calls.push('atomically'), fn()),
      nextDueAt: () => (calls.push('next'), null),
    };
    const seen: [UploadOutcome, number][] = [];
    const tapped = reportUploadOutcomes(outbox, (o, at) => {
      calls.push(`reported ${o}`);
      seen.push([o, at]);
    });
    tapped.due(1, 1);
    tapped.beginAttempt(1, 1);
    tapped.nextDueAt();
    tapped.recordDelivered(1, 10, { status: 201, detail: null, serverId: 's' });
    tapped.recordRetry(2, 20, { status: 503, detail: null }, 30);
    tapped.recordDead(3, 40, { status: 422, detail: null, reason: 'r' });
    tapped.releaseAttempt(4, 1);
    expect(calls).toEqual(['due', 'begin', 'next', 'delivered', 'reported delivered', 'retry', 'reported retry', 'dead', 'reported dead', 'release']);
    expect(seen).toEqual([['delivered', 10], ['retry', 20], ['dead', 40]]);
  });

  it('inside atomically(), reports the outcomes only once the transaction has returned, and none if it throws', () => {
    const calls: string[] = [];
    const outbox = {
      recordDelivered: () => void calls.push('delivered'),
      recordRetry: () => void calls.push('retry'),
      atomically: <T>(fn: () => T): T => {
        const result = fn();
        calls.push('committed');
        return result;
      },
    } as unknown as UploaderOutbox;
    const tapped = reportUploadOutcomes(outbox, (o) => calls.push(`reported ${o}`));
    tapped.atomically(() => {
      tapped.recordDelivered(1, 10, { status: 201, detail: null, serverId: 's' });
      tapped.recordRetry(2, 20, { status: 503, detail: null }, 30);
    });
    expect(calls).toEqual(['delivered', 'retry', 'committed', 'reported delivered', 'reported retry']);
    calls.length = 0;
    expect(() =>
      tapped.atomically(() => {
        tapped.recordDelivered(3, 40, { status: 201, detail: null, serverId: 's' });
        throw new Error('SQLITE_FULL');
      }),
    ).toThrow('SQLITE_FULL');
    expect(calls).toEqual(['delivered']);
  });

  it('reports nothing when the outbox write fails', () => {
    const outbox = { recordDead: () => { throw new Error('SQLITE_FULL'); } } as unknown as UploaderOutbox;
    const seen: UploadOutcome[] = [];
    const tapped = reportUploadOutcomes(outbox, (o) => seen.push(o));
    expect(() => tapped.recordDead(1, 1, { status: 422, detail: null, reason: 'r' })).toThrow('SQLITE_FULL');
    expect(seen).toEqual([]);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../src/core/fake-clock.js';
import { startStandin, type Standin } from '../../src/demo/standin/server.js';
import { defaultFetch } from '../../src/uploader/http.js';
import { Uploader } from '../../src/uploader/uploader.js';
import { FakeOutbox } from './fake-outbox.js';

const KEY = 'iwk_uploader_test';
const fetchImpl = defaultFetch({ noProxy: '*' });
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capture() {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, events: (name: string) => lines.filter((l) => l.event === name) };
}

const body = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, measurement_type: 'properties', properties: { thickness: { value: 0.52, unit: 'mm' } }, ...extra });

async function setup(opts: { key?: () => string | undefined; baseUrl?: string } = {}) {
  const standin = await startStandin({ apiKey: KEY });
  cleanups.push(() => standin.close());
  const clock = new FakeClock();
  const outbox = new FakeOutbox();
  const log = capture();
  const uploader = new Uploader({
    outbox,
    fetch: fetchImpl,
    clock,
    timers: clock,
    logger: log.logger,
    getApiKey: opts.key ?? (() => KEY),
    config: { base_url: opts.baseUrl ?? standin.url, timeout_ms: 5_000, retry: { base_ms: 1_000, cap_ms: 60_000 }, concurrency: 1 },
    random: () => 0.5,
  });
  cleanups.push(() => uploader.stop(0));
  const save = (name: string, cell = 'cell-1', text = body(name)) => outbox.save({ cellInstanceId: cell, name, body: text, at: clock.now() });
  return { standin, clock, outbox, uploader, save, ...log };
}

/** Waits (real time, bounded) for the loop to have gone idle on the fake clock after `cond` holds. */
async function until(clock: FakeClock, cond: () => boolean) {
  await vi.waitFor(() => {
    expect(cond()).toBe(true);
    expect(clock.timerCount).toBeGreaterThan(0);
  }, { timeout: 5_000, interval: 5 });
}

describe('Uploader against the stand-in', () => {
  it('201 -> delivered with the server id; logs upload.ok with id, correlation id and attempt', async () => {
    const { standin, clock, outbox, uploader, save, events } = await setup();
    save('m1');
    uploader.start();
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    const [got] = standin.received();
    expect(outbox.rows[0]!.serverId).toBe(got!.measurement.id);
    expect(outbox.rows[0]!.history.map((h) => h.kind)).toEqual(['begin', 'delivered']);
    expect(events('upload.ok')).toEqual([
      expect.objectContaining({ level: 30, row: 1, attempt: 1, status: 201, serverId: got!.measurement.id, correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
    ]);
  });

  it('commits the attempt before the POST leaves', async () => {
    const { standin, clock, outbox, uploader, save } = await setup();
    const row = save('m1');
    let openAtArrival: boolean | undefined;
    standin.reject422(() => {
      openAtArrival = row.outcomeUnknown && row.attempts === 1;
      return false;
    });
    uploader.start();
    await until(clock, () => row.state === 'delivered');
    expect(openAtArrival).toBe(true);
  });

  it('a 422 for one body -> dead with the whole detail kept; the rows after it are still delivered', async () => {
    const { standin, clock, outbox, uploader, save, events } = await setup();
    standin.reject422((b) => (b as { name: string }).name === 'm2');
    save('m1');
    save('m2');
    save('m3', 'cell-1', body('m3', { properties: { thickness: { value: '0.52', unit: 'mm' } } }));
    save('m4');
    uploader.start();
    await until(clock, () => outbox.rows.every((r) => r.state !== 'pending'));
    expect(outbox.rows.map((r) => r.state)).toEqual(['delivered', 'dead', 'dead', 'delivered']);
    expect(standin.received().map((r) => (r.body as { name: string }).name)).toEqual(['m1', 'm4']);
    const m3 = outbox.rows[2]!;
    const detail = m3.history.at(-1)!.outcome!.detail!;
    expect(JSON.parse(detail).detail).toEqual([expect.objectContaining({ loc: ['body', 'properties', 'thickness', 'value'], type: 'float_type' })]);
    expect(m3.lastStatus).toBe(422);
    expect(m3.deadReason).toBe('HTTP 422 rejected by the API: body.properties.thickness.value: Quantity value should be a number');
    expect(events('upload.dead').map((e) => [e.level, e.row, e.status, e.detail])).toEqual([
      [50, 2, 422, outbox.rows[1]!.history.at(-1)!.outcome!.detail],
      [50, 3, 422, detail],
    ]);
  });

  it('stand-in down -> retry scheduled by backoff; up again -> delivered once the fake clock reaches it', async () => {
    const { standin, clock, outbox, uploader, save, events } = await setup();
    const row = save('m1');
    standin.setDown(true);
    uploader.start();
    await until(clock, () => row.attempts === 1 && !row.outcomeUnknown);
    // random 0.5 * min(cap, base * 2^0) = 500 ms.
    expect(row.nextAttemptAt).toBe(clock.now() + 500);
    expect(row.state).toBe('pending');
    expect(row.lastStatus).toBeNull();
    expect(row.lastError).toMatch(/fetch failed/);

    await clock.advance(500);
    await until(clock, () => row.attempts === 2 && !row.outcomeUnknown);
    expect(row.nextAttemptAt).toBe(clock.now() + 1_000);

    standin.setDown(false);
    await clock.advance(999);
    expect(row.attempts).toBe(2);
    await clock.advance(1);
    await until(clock, () => row.state === 'delivered');
    expect(row.attempts).toBe(3);
    expect(standin.received()).toHaveLength(1);
    expect(events('upload.retry').map((e) => e.level)).toEqual([40, 20]);
    expect(events('upload.recovered')).toEqual([expect.objectContaining({ failures: 2 })]);
  });

  it('honours Retry-After from a 503 as a floor over the backoff', async () => {
    const { standin, clock, uploader, save } = await setup();
    const row = save('m1');
    standin.setDown(true, '503');
    uploader.start();
    await until(clock, () => row.attempts === 1 && !row.outcomeUnknown);
    expect([row.lastStatus, row.nextAttemptAt - clock.now()]).toEqual([503, 1_000]);
  });

  it('kick() wakes an idle uploader at once', async () => {
    const { clock, outbox, uploader, save } = await setup();
    uploader.start();
    await until(clock, () => true);
    save('m1');
    uploader.kick();
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
  });

  it('without an API key it sends nothing, says so once, and starts when a key appears', async () => {
    let key: string | undefined;
    const { standin, clock, outbox, uploader, save, events } = await setup({ key: () => key });
    save('m1');
    uploader.start();
    await until(clock, () => events('upload.no_api_key').length === 1);
    await clock.advance(60_000);
    await until(clock, () => true);
    expect(events('upload.no_api_key')).toHaveLength(1);
    expect([outbox.rows[0]!.attempts, standin.requests().length]).toEqual([0, 0]);
    key = KEY;
    await clock.advance(60_000);
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
  });

  it('stop(grace) aborts an attempt still in flight after the grace period and leaves the row due', async () => {
    const hanging = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { hanging.closeAllConnections(); hanging.close(() => r()); }));
    let arrived = false;
    hanging.on('request', () => { arrived = true; });
    const { clock, uploader, save, events } = await setup({ baseUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` });
    const row = save('m1');
    uploader.start();
    await vi.waitFor(() => expect(arrived).toBe(true), { timeout: 5_000, interval: 5 });
    const stopped = uploader.stop(2_000);
    await clock.advance(1_999);
    expect(row.outcomeUnknown).toBe(true);
    await clock.advance(1);
    await stopped;
    expect(row.outcomeUnknown).toBe(false);
    expect(row.nextAttemptAt).toBe(clock.now());
    expect(events('upload.interrupted')).toHaveLength(1);
  });
});

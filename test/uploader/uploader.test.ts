import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KEY, body, cleanups, runCleanups, setup, until } from './harness.js';

afterEach(runCleanups);

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
    expect(uploader.state()).toMatchObject({ mode: 'running', detail: null });
  });

  it('keeps the body of a 2xx only when no measurement id could be read from it', async () => {
    const { clock, outbox, uploader, save } = await setup();
    save('m1');
    uploader.start();
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    // The echo of our own body is not kept: the id is (server_id).
    expect(outbox.rows[0]!.history.at(-1)!.outcome).toMatchObject({ status: 201, detail: null });

    const odd = createServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => odd.close(() => r())));
    const other = await setup({ baseUrl: `http://127.0.0.1:${(odd.address() as AddressInfo).port}` });
    other.save('m2');
    other.uploader.start();
    await until(other.clock, () => other.outbox.rows[0]!.state === 'delivered');
    expect(other.outbox.rows[0]!.serverId).toBeNull();
    expect(other.outbox.rows[0]!.history.at(-1)!.outcome).toMatchObject({ status: 201, detail: '{"ok":true}' });
    expect(other.events('upload.ok')).toEqual([expect.objectContaining({ level: 40, serverId: null })]);
  });

  it('commits the attempt before the POST leaves', async () => {
    const { standin, clock, uploader, save } = await setup();
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

  it('503 -> the row backs off by full jitter with Retry-After as a floor, and Retry-After holds back every row', async () => {
    const { standin, clock, outbox, uploader, save, posts } = await setup();
    const [r1, r2] = [save('m1'), save('m2')];
    standin.setDown(true, '503'); // Retry-After: 1
    uploader.start();
    await until(clock, () => r1.attempts === 1 && !r1.outcomeUnknown);
    // max(0.5 * min(cap, 1000 * 2^0), 1000) = 1000.
    expect([r1.lastStatus, r1.nextAttemptAt - clock.now()]).toEqual([503, 1_000]);
    await clock.advance(999);
    await until(clock, () => true);
    // r2 was due all along, but the server said wait.
    expect([r2.attempts, posts()]).toEqual([0, [expect.anything()]]);
    standin.setDown(false);
    await clock.advance(1);
    await until(clock, () => outbox.rows.every((r) => r.state === 'delivered'));
    expect(standin.received().map((r) => r.measurement.name)).toEqual(['m1', 'm2']);
  });

  it('a Retry-After beyond api.retry.max_retry_after_ms is clamped to it', async () => {
    const { clock, uploader, save, events } = await setup({ faults: { rate429: 1, retryAfterSeconds: 86_400 } });
    const row = save('m1');
    uploader.start();
    await until(clock, () => row.attempts === 1 && !row.outcomeUnknown);
    expect([row.lastStatus, row.nextAttemptAt - clock.now()]).toEqual([429, 120_000]);
    expect(events('upload.retry')).toEqual([expect.objectContaining({ level: 40, status: 429, reason: 'HTTP 429' })]);
  });

  it('a streak of failures is one warning, then debug lines, and upload.recovered counts it', async () => {
    const { standin, clock, outbox, uploader, save, events } = await setup();
    const row = save('m1');
    standin.setDown(true, '503');
    uploader.start();
    for (const n of [1, 2, 3]) {
      await until(clock, () => row.attempts === n && !row.outcomeUnknown);
      await clock.advance(row.nextAttemptAt - clock.now());
    }
    standin.setDown(false);
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    expect(events('upload.retry').map((e) => [e.level, e.attempt])).toEqual([
      [40, 1],
      [20, 2],
      [20, 3],
    ]);
    expect(events('upload.recovered')).toEqual([expect.objectContaining({ level: 30, failures: 3 })]);
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
    expect(uploader.state()).toMatchObject({ mode: 'no_key' });
    await clock.advance(60_000);
    await until(clock, () => true);
    expect(events('upload.no_api_key')).toHaveLength(1);
    expect([outbox.rows[0]!.attempts, standin.requests().length]).toEqual([0, 0]);
    key = KEY;
    await clock.advance(60_000);
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    expect(uploader.state().mode).toBe('running');
  });

  it('stop(grace) lets an in-flight upload finish within the grace period and leaves the rest pending', async () => {
    const { standin, clock, outbox, uploader, save } = await setup({ faults: { slow: 1, slowMs: 150 } });
    save('m1');
    save('m2');
    uploader.start();
    await vi.waitFor(() => expect(standin.requests()).toHaveLength(1), { timeout: 5_000, interval: 2 });
    await uploader.stop(10_000);
    expect(outbox.rows.map((r) => [r.state, r.attempts])).toEqual([['delivered', 1], ['pending', 0]]);
    expect(standin.received()).toHaveLength(1);
    expect(clock.timerCount).toBe(0);
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

describe('offline', () => {
  it('stops sending, probes /healthz on a capped backoff, and drains oldest first when it answers', async () => {
    const { standin, clock, outbox, uploader, save, calls, posts, events } = await setup({ api: { probe_cap_ms: 8_000 } });
    for (const n of [1, 2, 3]) save(`m${n}`);
    standin.setDown(true);
    uploader.start();
    await until(clock, () => uploader.state().mode === 'offline');
    const r1 = outbox.rows[0]!;
    // The failed row is due again at once: the probe is the backoff, and it keeps its place in line.
    expect([r1.attempts, r1.outcomeUnknown, r1.nextAttemptAt, r1.lastStatus]).toEqual([1, false, clock.now(), null]);
    expect(uploader.state()).toMatchObject({ mode: 'offline', since: clock.now(), detail: expect.stringMatching(/^network: fetch failed/) });

    // A long outage: new rows keep arriving, nothing but probes goes out.
    for (let i = 0; i < 240; i++) {
      await clock.advance(250);
      await until(clock, () => true);
      if (i === 40) {
        save('m4');
        uploader.kick();
      }
    }
    const probes = calls.filter((c) => c.path === '/healthz').map((c) => c.at);
    const gaps = probes.slice(1).map((t, i) => t - probes[i]!);
    // Full jitter at the fake random 0.5: 0.5 * min(cap, base * 2^n), n counting the failures since going offline.
    expect(probes[0]! - uploader.state().since).toBe(1_000);
    expect(gaps.slice(0, 3)).toEqual([2_000, 4_000, 4_000]);
    expect(Math.max(...gaps)).toBe(4_000);
    expect(gaps.length).toBeGreaterThan(10);
    expect(posts()).toHaveLength(1);
    expect(outbox.rows.slice(1).map((r) => r.attempts)).toEqual([0, 0, 0]);
    expect(events('upload.offline')).toHaveLength(1);

    standin.setDown(false);
    await clock.advance(10_000);
    await until(clock, () => outbox.rows.every((r) => r.state === 'delivered'));
    expect(standin.received().map((r) => r.measurement.name)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(events('upload.online')).toEqual([expect.objectContaining({ level: 30, previous: 'offline' })]);
    // m1's POST may have landed before the reset: it is looked up before it is sent again.
    const afterProbe = calls.slice(calls.map((c) => c.path).lastIndexOf('/healthz'));
    expect(afterProbe.map((c) => `${c.method} ${c.path.split('?')[0]}`).slice(0, 3)).toEqual([
      'GET /healthz',
      'GET /cell_instances/cell-1/cell_measurements',
      'POST /cell_instances/cell-1/cell_measurements/create',
    ]);
    expect(uploader.state().mode).toBe('running');
  });

  it('a timeout counts as offline too; the probe answering resumes at once', async () => {
    const { clock, outbox, uploader, save, standin } = await setup({ faults: { slow: 1, slowMs: 400 }, api: { timeout_ms: 150 } });
    save('m1');
    uploader.start();
    await until(clock, () => uploader.state().mode === 'offline');
    expect(outbox.rows[0]!.lastError).toBe('no answer within 150 ms');
    standin.setFaults({ slow: 0 });
    // The slow POST was stored after all; healthz is never slowed, so the first probe resumes and the lookup finds it.
    await vi.waitFor(() => expect(standin.received()).toHaveLength(1), { timeout: 5_000, interval: 5 });
    await clock.advance(1_000);
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    expect(standin.received()).toHaveLength(1);
    expect(outbox.rows[0]!.serverId).toBe(standin.received()[0]!.measurement.id);
  });
});

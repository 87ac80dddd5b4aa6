// How the uploader drives the outbox and the wire: a pool of `concurrency` requests (not lockstep batches), the
// attempts of the next rows committed ahead in the same transaction as the outcomes that came back, attempts that
// are then not sent released, and an outbox failure leaving only "outcome unknown" rows behind.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchLike } from '../../src/uploader/http.js';
import { READY_AHEAD } from '../../src/uploader/uploader.js';
import { runCleanups, setup, until } from './harness.js';

afterEach(runCleanups);

const nameOf = (init: { body?: string }) => (init.body === undefined ? null : (JSON.parse(init.body) as { name: string }).name);

/** Holds back the POST of one body until release(); counts requests in flight. */
function holding(name: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const state = { inFlight: 0, maxInFlight: 0, release };
  const wrap = (fetch: FetchLike): FetchLike => async (url, init) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      if (nameOf(init) === name) await released;
      return await fetch(url, init);
    } finally {
      state.inFlight--;
    }
  };
  return { state, wrap };
}

describe('the send pool', () => {
  it('keeps `concurrency` requests in flight: a slow answer does not hold back the rows behind it', async () => {
    const hold = holding('m1');
    const { clock, outbox, uploader, save } = await setup({ api: { concurrency: 2 }, wrapFetch: hold.wrap });
    for (let i = 1; i <= 6; i++) save(`m${i}`);
    uploader.start();
    // Lockstep batches of two would wait for m1 before sending m3.
    await vi.waitFor(() => expect(outbox.rows.slice(1).every((r) => r.state === 'delivered')).toBe(true), { timeout: 5_000, interval: 2 });
    expect([outbox.rows[0]!.state, outbox.rows[0]!.outcomeUnknown]).toEqual(['pending', true]);
    hold.state.release();
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
    expect(hold.state.maxInFlight).toBe(2);
  });

  it('commits each attempt before its request leaves, and records outcomes and next attempts together', async () => {
    const rows = 3 * READY_AHEAD;
    let openAhead = 0;
    const { clock, outbox, uploader, save } = await setup({
      wrapFetch: (fetch) => (url, init) => {
        const row = outbox.rows.find((r) => r.name === nameOf(init))!;
        // The outbox already says this row may be on the server.
        expect([row.outcomeUnknown, row.attempts]).toEqual([true, 1]);
        openAhead = Math.max(openAhead, outbox.rows.filter((r) => r.outcomeUnknown).length);
        return fetch(url, init);
      },
    });
    for (let i = 1; i <= rows; i++) save(`m${i}`);
    uploader.start();
    await until(clock, () => outbox.rows.every((r) => r.state === 'delivered'));
    expect(outbox.writesOutside).toBe(0);
    // Two writes per row in one transaction each would be 2 * rows; here one transaction covers many rows.
    expect(outbox.transactions).toBeLessThanOrEqual(Math.ceil(rows / (READY_AHEAD - 1)) + 2);
    // A crash leaves at most this many rows to look up before re-sending.
    expect(openAhead).toBeLessThanOrEqual(READY_AHEAD + 1);
    expect(outbox.rows.map((r) => r.history.map((h) => h.kind).join())).toEqual(Array(rows).fill('begin,delivered'));
  });

  it('releases the attempts committed ahead when it stops sending, so they count as never sent', async () => {
    const hold = holding('m1');
    const { clock, outbox, uploader, save } = await setup({ wrapFetch: hold.wrap });
    for (let i = 1; i <= 5; i++) save(`m${i}`);
    uploader.start();
    await vi.waitFor(() => expect(outbox.rows[1]!.outcomeUnknown).toBe(true), { timeout: 5_000, interval: 2 });
    const stopped = uploader.stop(10_000);
    hold.state.release();
    await stopped;
    expect(outbox.rows.map((r) => [r.state, r.attempts, r.outcomeUnknown])).toEqual([
      ['delivered', 1, false],
      ...Array(4).fill(['pending', 0, false]),
    ]);
    expect(outbox.rows[1]!.history.map((h) => h.kind)).toEqual(['begin', 'release']);
    expect(clock.timerCount).toBe(0);
  });

  it('calls onSending once per round of sending, once its first request is handed to fetch', async () => {
    const hold = holding('m1');
    let onWire: boolean[] = [];
    const { clock, outbox, uploader, save } = await setup({
      wrapFetch: hold.wrap,
      onSending: () => void onWire.push(hold.state.inFlight === 1),
    });
    save('m1');
    save('m2');
    uploader.start();
    await vi.waitFor(() => expect(onWire).toEqual([true]), { timeout: 5_000, interval: 2 });
    hold.state.release();
    await until(clock, () => outbox.rows.every((r) => r.state === 'delivered'));
    expect(onWire).toEqual([true]);
    await clock.advance(120_000);
    await until(clock, () => true);
    onWire = [];
    save('m3');
    uploader.kick();
    await until(clock, () => outbox.rows[2]!.state === 'delivered');
    expect(onWire).toEqual([true]);
  });

  it('an outbox write that fails leaves the answered rows "outcome unknown": looked up, never posted twice', async () => {
    const { standin, clock, outbox, uploader, save, posts, events } = await setup();
    const row = save('m1');
    // The transaction that would record m1's 201 fails (and takes back everything it did).
    const recordDelivered = outbox.recordDelivered.bind(outbox);
    let failed = false;
    outbox.recordDelivered = (...args) => {
      if (!failed) {
        failed = true;
        outbox.failNextTransaction = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      }
      recordDelivered(...args);
    };
    uploader.start();
    await until(clock, () => events('upload.loop_error').length === 1);
    expect([row.state, row.attempts, row.outcomeUnknown]).toEqual(['pending', 1, true]);
    expect(standin.received()).toHaveLength(1);
    await clock.advance(60_000);
    await until(clock, () => row.state === 'delivered');
    expect(posts()).toHaveLength(1);
    expect(row.serverId).toBe(standin.received()[0]!.measurement.id);
    expect(events('upload.found_existing')).toHaveLength(1);
  });
});

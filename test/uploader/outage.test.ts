// Issue 3, "Offline": a three-day outage with thousands of rows drains by itself when the network returns, oldest
// first. The real SQLite outbox and the real stand-in on 127.0.0.1; three days pass on a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { startStandin } from '../../src/demo/standin/server.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Outbox } from '../../src/queue/outbox.js';
import { defaultFetch } from '../../src/uploader/http.js';
import { Uploader } from '../../src/uploader/uploader.js';
import { KEY, apiConfig, body, capture, cleanups, runCleanups, until } from './harness.js';

afterEach(runCleanups);

const DAY = 86_400_000;
const STEP = 10 * 60_000;
const PER_STEP = 5;

describe('a three-day outage', () => {
  it('keeps every row, sends nothing but probes, and drains the whole backlog oldest first once the API answers', { timeout: 60_000 }, async () => {
    const standin = await startStandin({ apiKey: KEY });
    cleanups.push(() => standin.close());
    const dir = mkdtempSync(join(tmpdir(), 'ionworks-outage-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new FakeClock();
    const outbox = new Outbox({ path: join(dir, 'outbox.db'), clock, logger: silentLogger() });
    outbox.open();
    cleanups.push(() => outbox.close());
    const fetch = defaultFetch({ noProxy: '*' });
    cleanups.push(() => fetch.close());
    const log = capture();
    const uploader = new Uploader({
      outbox,
      fetch,
      clock,
      timers: clock,
      logger: log.logger,
      getApiKey: () => KEY,
      // A probe every ten minutes at most, so three days are a few hundred probes.
      config: apiConfig(standin.url, { concurrency: 2, probe_cap_ms: STEP }),
      random: () => 0.5,
    });
    cleanups.push(() => uploader.stop(0));
    let n = 0;
    const saveSome = () => {
      for (let i = 0; i < PER_STEP; i++, n++) {
        const name = `bench1_CELL-${String(n).padStart(5, '0')}`;
        outbox.save({ cellInstanceId: `cell-${n % 50}`, name, body: body(name), station: 'bench1', createdAt: clock.now() });
      }
      uploader.kick();
    };

    standin.setDown(true);
    uploader.start();
    saveSome();
    await until(clock, () => uploader.state().mode === 'offline');
    for (let t = 0; t < 3 * DAY; t += STEP) {
      await clock.advance(STEP);
      saveSome();
      await until(clock, () => true);
    }
    expect(n).toBeGreaterThan(2_000);
    expect(outbox.counts()).toEqual({ pending: n, delivered: 0, dead: 0 });
    expect(standin.received()).toHaveLength(0);
    const creates = standin.requests().filter((r) => r.method === 'POST');
    // The two rows in flight when the API went away are the only ones tried; the rest never spent an attempt.
    expect(creates).toHaveLength(2);
    expect(outbox.list('pending', 3).map((r) => r.attempts)).toEqual([1, 1, 0]);
    expect(log.events('upload.offline')).toHaveLength(1);

    standin.setDown(false);
    await clock.advance(STEP);
    await until(clock, () => outbox.counts().pending === 0);
    expect(outbox.counts()).toEqual({ pending: 0, delivered: n, dead: 0 });
    const names = standin.received().map((r) => String(r.measurement.name));
    // Exactly once each, and in the order they were saved (two in flight may swap neighbours, never more).
    expect(new Set(names).size).toBe(n);
    const order = names.map((name) => Number(name.slice(-5)));
    expect(order.every((id, i) => Math.abs(id - i) <= 1)).toBe(true);
    expect(log.events('upload.online')).toHaveLength(1);
  });
});

// Drives a real Uploader over a FakeOutbox against the real stand-in on 127.0.0.1, on a FakeClock.
import { expect, vi } from 'vitest';
import { pino } from 'pino';
import { FakeClock } from '../../src/core/fake-clock.js';
import type { Config } from '../../src/config/schema.js';
import { startStandin } from '../../src/demo/standin/server.js';
import type { FaultOptions } from '../../src/demo/standin/faults.js';
import { defaultFetch, type FetchLike } from '../../src/uploader/http.js';
import { Uploader } from '../../src/uploader/uploader.js';
import { FakeOutbox } from './fake-outbox.js';

export const KEY = 'iwk_uploader_test';
// Tests talk only to 127.0.0.1: never let a proxy from the environment take the traffic elsewhere.
const direct = defaultFetch({ noProxy: '*' });

export const cleanups: Array<() => Promise<void> | void> = [];
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export function capture() {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines, events: (name: string) => lines.filter((l) => l.event === name) };
}

export const body = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, measurement_type: 'properties', properties: { thickness: { value: 0.52, unit: 'mm' } }, start_time: '2026-01-01T10:00:00Z', ...extra });

export function apiConfig(baseUrl: string, over: Partial<Config['api']> = {}): Config['api'] {
  return {
    base_url: baseUrl,
    timeout_ms: 5_000,
    retry: { base_ms: 1_000, cap_ms: 60_000, max_retry_after_ms: 120_000 },
    concurrency: 1,
    shutdown_grace_ms: 10_000,
    halt_after_same_failures: 3,
    auth_recheck_ms: 300_000,
    probe_cap_ms: 60_000,
    ...over,
  };
}

export interface SetupOptions {
  key?: () => string | undefined;
  baseUrl?: string;
  faults?: FaultOptions;
  api?: Partial<Config['api']>;
  /** Wraps the fetch the uploader uses (to hold a request back, count requests in flight). */
  wrapFetch?: (fetch: FetchLike) => FetchLike;
  onSending?: () => void;
}

export async function setup(opts: SetupOptions = {}) {
  const standin = await startStandin({ apiKey: KEY, ...(opts.faults ? { faults: opts.faults } : {}) });
  cleanups.push(() => standin.close());
  const clock = new FakeClock();
  const outbox = new FakeOutbox();
  const log = capture();
  // Every request the uploader makes, stamped with fake-clock time.
  const calls: Array<{ at: number; method: string; path: string }> = [];
  const fetch: FetchLike = (url, init) => {
    const u = new URL(url);
    calls.push({ at: clock.now(), method: init.method, path: `${u.pathname}${u.search}` });
    return direct(url, init);
  };
  const uploader = new Uploader({
    outbox,
    fetch: opts.wrapFetch ? opts.wrapFetch(fetch) : fetch,
    ...(opts.onSending ? { onSending: opts.onSending } : {}),
    clock,
    timers: clock,
    logger: log.logger,
    getApiKey: opts.key ?? (() => KEY),
    config: apiConfig(opts.baseUrl ?? standin.url, opts.api),
    random: () => 0.5,
  });
  cleanups.push(() => uploader.stop(0));
  const save = (name: string, cell = 'cell-1', text = body(name)) => outbox.save({ cellInstanceId: cell, name, body: text, at: clock.now() });
  const posts = () => calls.filter((c) => c.method === 'POST');
  /** Stores a measurement on the stand-in directly, as an earlier (crashed) attempt would have. */
  const postDirect = async (cell: string, text: string) => {
    const res = await fetch(`${standin.url}/cell_instances/${encodeURIComponent(cell)}/cell_measurements/create`, {
      method: 'POST',
      headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
      body: text,
      signal: AbortSignal.timeout(5_000),
      redirect: 'manual',
    });
    calls.pop();
    return { status: res.status, json: JSON.parse(await res.text()) as Record<string, any> };
  };
  return { standin, clock, outbox, uploader, save, calls, posts, postDirect, ...log };
}

/** Waits (real time, bounded) until `cond` holds and the loop has gone idle on the fake clock. */
export async function until(clock: FakeClock, cond: () => boolean): Promise<void> {
  await vi.waitFor(
    () => {
      expect(cond()).toBe(true);
      expect(clock.timerCount).toBeGreaterThan(0);
    },
    { timeout: 5_000, interval: 2 },
  );
}

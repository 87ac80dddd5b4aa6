import { afterEach, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { drawFault, seededRandom, type FaultOptions } from '../../src/demo/standin/faults.js';
import { DEFAULT_OPENAPI_PATH, readStandinState, startStandin, type Standin } from '../../src/demo/standin/server.js';

const KEY = 'iwk_faults_test';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function standin(faults: FaultOptions, statePath?: string): Promise<Standin> {
  const s = await startStandin({ apiKey: KEY, faults, ...(statePath ? { statePath } : {}) });
  cleanups.push(() => s.close());
  return s;
}

const measurement = (name: string, value = 0.52) => JSON.stringify({ name, properties: { thickness: { value, unit: 'mm' } } });

async function post(s: Standin, name: string, opts: { value?: number; key?: string; timeoutMs?: number } = {}) {
  try {
    const res = await fetch(`${s.url}/cell_instances/cell-1/cell_measurements/create`, {
      method: 'POST',
      headers: { 'x-api-key': opts.key ?? KEY, 'content-type': 'application/json' },
      body: measurement(name, opts.value),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
    });
    return { status: res.status, json: (await res.json()) as any, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    return { status: null, error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'network' };
  }
}

describe('fault schedule', () => {
  const faults: FaultOptions = { error5xx: 0.1, rate429: 0.1, resetBeforeCommit: 0.1, resetAfterCommit: 0.1, error5xxAfterCommit: 0.1, slow: 0.1 };
  const schedule = (seed: number, n: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: n }, (_, i) => drawFault(random, faults, i % 3 !== 0));
  };

  it('is reproducible from the seed, differs between seeds, and hits every kind near its probability', () => {
    expect(schedule(7, 200)).toEqual(schedule(7, 200));
    expect(schedule(7, 200)).not.toEqual(schedule(8, 200));
    const kinds = schedule(7, 6_000).map((f) => f?.kind ?? 'none');
    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    for (const k of ['reset_before', '5xx', '429', 'slow']) expect(share(k)).toBeGreaterThan(0.07);
    // After-commit faults only hit creates (two thirds of the requests here).
    for (const k of ['reset_after', '5xx_after']) expect(share(k)).toBeGreaterThan(0.04);
    expect(share('none')).toBeGreaterThan(0.35);
    expect(new Set(schedule(7, 600).filter((f) => f?.kind === '5xx').map((f) => f!.status))).toEqual(new Set([500, 502, 503]));
  });

  it('no faults configured -> never a fault', () => {
    const random = seededRandom(1);
    expect(Array.from({ length: 100 }, () => drawFault(random, {}, true))).toEqual(Array(100).fill(null));
  });
});

describe('stand-in faults', () => {
  it('reset before commit: no answer, nothing stored; reset after commit: no answer, but stored', async () => {
    const before = await standin({ resetBeforeCommit: 1 });
    expect(await post(before, 'm1')).toEqual({ status: null, error: 'network' });
    expect(before.received()).toEqual([]);
    const after = await standin({ resetAfterCommit: 1 });
    expect(await post(after, 'm1')).toEqual({ status: null, error: 'network' });
    expect(after.received().map((r) => r.measurement.name)).toEqual(['m1']);
    expect(after.counters()).toMatchObject({ requests: 1, committed: 1, faults: { reset_after: 1, reset_before: 0 } });
  });

  it('5xx before and after commit, 429 with Retry-After; /healthz is never faulted', async () => {
    const s = await standin({ error5xx: 1, retryAfterSeconds: 7 });
    expect((await post(s, 'm1')).status).toBeGreaterThanOrEqual(500);
    expect(s.received()).toEqual([]);
    s.setFaults({ error5xx: 0, error5xxAfterCommit: 1 });
    expect((await post(s, 'm2')).status).toBeGreaterThanOrEqual(500);
    expect(s.received()).toHaveLength(1);
    s.setFaults({ error5xxAfterCommit: 0, rate429: 1 });
    expect(await post(s, 'm3')).toMatchObject({ status: 429, retryAfter: '7' });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect(s.counters().faults).toMatchObject({ '5xx': 1, '5xx_after': 1, '429': 1 });
  });

  it('slow: the measurement is stored, the answer comes after slowMs (a client with a shorter deadline gives up)', async () => {
    const s = await standin({ slow: 1, slowMs: 300 });
    expect(await post(s, 'm1', { timeoutMs: 100 })).toEqual({ status: null, error: 'timeout' });
    expect(s.received()).toHaveLength(1);
    const t0 = Date.now();
    expect((await post(s, 'm2')).status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('422 for names matching reject422Names', async () => {
    const s = await standin({ reject422Names: '^bad' });
    expect((await post(s, 'bad-1')).status).toBe(422);
    expect((await post(s, 'good-1')).status).toBe(201);
    expect(s.counters().rejected422).toBe(1);
  });

  it('401 windows: every authenticated call refused, /healthz still up', async () => {
    const s = await standin({});
    s.setAuthFailing(true);
    expect((await post(s, 'm1')).status).toBe(401);
    expect((await fetch(`${s.url}/users/me`, { headers: { 'x-api-key': KEY } })).status).toBe(401);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    s.setAuthFailing(false);
    expect((await post(s, 'm1')).status).toBe(201);
    expect(s.counters().refused401).toBe(2);
  });

  it('enforceUniqueNames: 409 CONFLICT with the existing id; off: the duplicate is stored and counted', async () => {
    const s = await standin({ enforceUniqueNames: true });
    const first = await post(s, 'm1');
    const second = await post(s, 'm1', { value: 0.6 });
    expect(second).toMatchObject({ status: 409, json: { error_code: 'CONFLICT', detail: { existing_id: first.json!.id } } });
    s.setEnforceUniqueNames(false);
    expect((await post(s, 'm1')).status).toBe(201);
    expect(s.counters()).toMatchObject({ committed: 2, duplicateNames: 1, conflicts409: 1 });
  });
});

describe('stand-in as a process', () => {
  it('main.js (compiled as for dist/) prints its URL, serves with faults and state, stops on SIGTERM', async () => {
    const repo = resolve(import.meta.dirname, '../..');
    // Compile just the stand-in (under the repo, so its imports resolve from node_modules).
    const out = mkdtempSync(join(repo, 'node_modules', '.standin-test-'));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    execFileSync(
      join(repo, 'node_modules/.bin/tsc'),
      ['--outDir', out, '--rootDir', join(repo, 'src'), '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', join(repo, 'src/demo/standin/main.ts')],
      { cwd: repo },
    );
    const dir = mkdtempSync(join(tmpdir(), 'standin-proc-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const state = join(dir, 'state.json');
    const child: ChildProcess = spawn(
      process.execPath,
      [join(out, 'demo/standin/main.js'), '--port', '0', '--key', KEY, '--state', state, '--openapi', DEFAULT_OPENAPI_PATH, '--faults', JSON.stringify({ reject422Names: '^bad' })],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => void child.kill('SIGKILL'));
    const [url] = (await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value.split('\n');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const send = (name: string) =>
      fetch(`${url}/cell_instances/c/cell_measurements/create`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: measurement(name) });
    expect((await send('good')).status).toBe(201);
    expect((await send('bad')).status).toBe(422);
    expect(readStandinState(state).map((r) => r.measurement.name)).toEqual(['good']);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});

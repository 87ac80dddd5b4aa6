import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { configSchema, stationSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Station } from '../../src/station/station.js';
import { statusAccess } from '../../src/ops/status/access.js';
import type { StatusView } from '../../src/ops/status-model.js';
import { waitFor } from '../../src/demo/wait.js';
import { sseReader, startStatusServer, TOKEN } from './status-fixture.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function start(http?: { host: string; access_token?: string }) {
  const s = await startStatusServer(http);
  close = s.close;
  return s;
}

describe('status page routes', () => {
  it('serves the overview and one page per station, with a CSP that allows only its own script', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
    const html = await res.text();
    expect(html).toContain('<body data-station="">');
    expect(html).toContain("new EventSource('/events')");
    expect(await (await fetch(`${url}/station/bench1`)).text()).toContain('<body data-station="bench1">');
    expect((await fetch(`${url}/station/bench9`)).status).toBe(404);
  });

  it('/api/status returns the view model', async () => {
    const { url, scan } = await start();
    scan('CELL-0001');
    const view = (await (await fetch(`${url}/api/status`)).json()) as StatusView;
    expect(view.stations[0]).toMatchObject({ id: 'bench1', cell: 'CELL-0001', missing: ['Mass', 'Thickness'] });
  });
});

describe('/events (SSE)', () => {
  it('sends the view at once, then each station change, and stops listening when the client goes', async () => {
    const { url, scan, read, station, devices } = await start();
    const ctrl = new AbortController();
    const res = await fetch(`${url}/events`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const sse = sseReader(res);
    expect(await sse.nextChunk()).toBe('retry: 2000');
    await sse.next<StatusView>((v) => v.stations[0]!.headline === 'Scan a cell');
    expect(station.listenerCount('changed')).toBe(1);

    scan('CELL-0001');
    await sse.next<StatusView>((v) => v.stations[0]!.cell === 'CELL-0001');
    read('balance1', '0.000', 'g');
    read('balance1', '45.112', 'g');
    const massIn = await sse.next<StatusView>((v) => v.stations[0]!.readings[0]!.state === 'taken');
    expect(massIn.stations[0]!.readings[0]).toMatchObject({ value: '45.112', unit: 'g', stable: true });
    expect(massIn.stations[0]!.missing).toEqual(['Thickness']);
    read('gauge1', '5.523', 'mm');
    const saved = await sse.next<StatusView>((v) => v.stations[0]!.saved !== null);
    expect(saved.stations[0]!.saved).toMatchObject({ cell: 'CELL-0001', upload: { state: 'queued' } });

    devices.get('balance1')!.set({ state: 'disconnected', lastError: 'port /dev/ttyUSB0 disappeared (unplugged?): EIO' });
    const down = await sse.next<StatusView>((v) => v.stations[0]!.tone === 'error');
    expect(down.stations[0]!.devices[1]!.text).toBe('Balance disconnected — check the USB cable');

    ctrl.abort();
    await waitFor('the server to drop the SSE client', () => station.listenerCount('changed') === 0, 5_000);
    for (const d of devices.values()) expect(d.listenerCount('status') + d.listenerCount('reading')).toBe(0);
  });

  it('pushes an upload finishing (outbox poll) and sends keep-alive comments; no timers left after', async () => {
    const { url, scan, read, clock, outbox } = await start();
    scan('CELL-0001');
    read('balance1', '0.000', 'g');
    read('balance1', '45.112', 'g');
    read('gauge1', '5.523', 'mm');
    const ctrl = new AbortController();
    const sse = sseReader(await fetch(`${url}/events`, { signal: ctrl.signal }));
    await sse.next<StatusView>((v) => v.stations[0]!.saved?.upload?.state === 'queued');
    expect(clock.timerCount).toBe(2);

    outbox.rows.get(1)!.state = 'delivered';
    await clock.advance(1_000);
    const up = await sse.next<StatusView>((v) => v.stations[0]!.saved?.upload?.state === 'uploaded');
    expect(up.upload).toMatchObject({ text: 'All measurements uploaded', uploaded: 1 });

    await clock.advance(14_000);
    expect(await sse.nextChunk()).toBe(': keep-alive');
    ctrl.abort();
    await waitFor('the poll and keep-alive timers to stop', () => clock.timerCount === 0, 5_000);
  });
});

describe('what a config reload changes', () => {
  it('a station added after start gets its page, its card on the overview and live updates', async () => {
    const { url, station, stations, configs, access, clock } = await start();
    const ctrl = new AbortController();
    const sse = sseReader(await fetch(`${url}/events`, { signal: ctrl.signal }));
    await sse.next<StatusView>((v) => v.stations.length === 1);

    // What Daemon.setStation does on SIGHUP: the station and its config into the live maps, then its page.
    const cfg = stationSchema.parse({ scanner: 'scanner1', cell_pattern: '^B2-[0-9]{4}$', properties: { thickness: { device: 'gauge1', unit: 'mm' } } });
    const bench2 = new Station({ id: 'bench2', config: cfg, lab: 'Cell Lab North', version: '0.1.0', clock, logger: silentLogger(), save: () => ({ id: 99 }) });
    configs.set('bench2', cfg);
    stations.set('bench2', bench2);
    access.addStation('bench2');
    expect(await (await fetch(`${url}/station/bench2`)).text()).toContain('<body data-station="bench2">');

    // Picked up by the next outbox poll; from then on its own changes are pushed at once.
    await clock.advance(1_000);
    const added = await sse.next<StatusView>((v) => v.stations.length === 2);
    expect(added.stations[1]).toMatchObject({ id: 'bench2', headline: 'Scan a cell', devices: [{ id: 'scanner1' }, { id: 'gauge1' }] });
    expect(bench2.listenerCount('changed')).toBe(1);
    bench2.handleScan({ device: 'scanner1', code: 'B2-0001', at: clock.now() });
    const active = await sse.next<StatusView>((v) => v.stations[1]!.cell === 'B2-0001');
    expect(active.stations[1]!.missing).toEqual(['Thickness']);

    // Removed again: no longer shown or listened to.
    stations.delete('bench2');
    await clock.advance(1_000);
    await sse.next<StatusView>((v) => v.stations.length === 1);
    expect(bench2.listenerCount('changed')).toBe(0);
    expect(station.listenerCount('changed')).toBe(1);
    ctrl.abort();
  });

  it('the storage guard: nearly full and full reach the page', async () => {
    const { url, storage, clock } = await start();
    const ctrl = new AbortController();
    const sse = sseReader(await fetch(`${url}/events`, { signal: ctrl.signal }));
    await sse.next<StatusView>((v) => v.storage === null);
    storage.current = { level: 'full', usage: { rows: 100, bytes: 0 }, limits: { maxRows: 100 } };
    await clock.advance(1_000);
    const full = await sse.next<StatusView>((v) => v.storage !== null);
    expect(full).toMatchObject({ tone: 'error', storage: { tone: 'error', text: expect.stringMatching(/^Storage full: new cells cannot be started/) } });
    ctrl.abort();
  });
});

describe('access token', () => {
  const wide = { host: '0.0.0.0', access_token: TOKEN };

  it('open on loopback', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/api/status`)).status).toBe(200);
  });

  it('beyond loopback, every page and feed needs the token', async () => {
    const { url } = await start(wide);
    for (const path of ['/', '/station/bench1', '/events', '/api/status']) expect((await fetch(`${url}${path}`)).status).toBe(401);
    expect((await fetch(`${url}/api/status`, { headers: { authorization: 'Bearer bench-tablet-token-0124' } })).status).toBe(401);
    expect((await fetch(`${url}/?token=short`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('?token= once swaps the token for a cookie and drops it from the address', async () => {
    const { url } = await start(wide);
    const first = await fetch(`${url}/station/bench1?token=${TOKEN}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/station/bench1');
    const setCookie = first.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect((await fetch(`${url}/station/bench1`, { headers: { cookie } })).status).toBe(200);
    const ctrl = new AbortController();
    const events = await fetch(`${url}/events`, { headers: { cookie }, signal: ctrl.signal });
    expect(events.status).toBe(200);
    ctrl.abort();
    expect((await fetch(`${url}/`, { headers: { cookie: 'ionworks_edge_token=nope-nope-nope-nope' } })).status).toBe(401);
  });

  it('health stays open to this machine only', async () => {
    const { url } = await start(wide);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const access = statusAccess(wide);
    const outcome = await callHealth(access, '192.168.1.20', {});
    expect(outcome).toBe(401);
    expect(await callHealth(access, '192.168.1.20', { authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await callHealth(access, '::ffff:127.0.0.1', {})).toBe(200);
  });

  it('config validation refuses a non-loopback host without a token of at least 16 characters', () => {
    const http = configSchema.shape.http;
    expect(http.safeParse({}).success).toBe(true);
    expect(http.safeParse({ host: 'localhost' }).success).toBe(true);
    expect(http.safeParse({ host: '::1' }).success).toBe(true);
    const refused = http.safeParse({ host: '0.0.0.0' });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0]).toMatchObject({ path: ['access_token'], message: expect.stringContaining('needs http.access_token') });
    expect(http.safeParse({ host: '192.168.1.10', access_token: 'too-short' }).success).toBe(false);
    expect(http.safeParse({ host: '192.168.1.10', access_token: TOKEN }).success).toBe(true);
  });
});

/** Runs a health-guarded handler for a request from `peer`; returns the status it answered. */
async function callHealth(access: ReturnType<typeof statusAccess>, peer: string, headers: Record<string, string>): Promise<number> {
  let status = 0;
  const res = {
    writeHead: (s: number) => {
      status = s;
      return res;
    },
    end: () => undefined,
  } as unknown as ServerResponse;
  const req = { headers, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
  await access.health((_q, r) => void r.writeHead(200).end())(req, res, new URL('http://x/healthz'));
  return status;
}

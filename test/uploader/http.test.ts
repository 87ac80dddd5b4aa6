import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStandin, type Standin } from '../../src/demo/standin/server.js';
import { defaultFetch, PostError, postMeasurement } from '../../src/uploader/http.js';
import { connectProxy } from './connect-proxy.js';

const KEY = 'iwk_http_test';
// Tests talk only to 127.0.0.1: never let a proxy from the environment take the traffic elsewhere.
const direct = defaultFetch({ noProxy: '*' });
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(() => direct.close());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function standin(): Promise<Standin> {
  const s = await startStandin({ apiKey: KEY });
  cleanups.push(() => s.close());
  return s;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// Odd spacing, a trailing zero and non-ASCII text: any re-serialisation would change these bytes.
const BODY = '{"name":"m-ü 🙂",  "properties":{"thickness":{"value":0.520,"unit":"mm"}},"notes":"µ\\u00e9"}';

describe('postMeasurement', () => {
  it('sends the stored body byte for byte, with X-API-Key and Content-Type, to the URL-encoded cell path', async () => {
    const s = await standin();
    const cell = 'CELL/01 #ä?x';
    const r = await postMeasurement(direct, { baseUrl: `${s.url}/`, apiKey: KEY, cellInstanceId: cell, body: BODY, timeoutMs: 5_000 });
    expect(r.status).toBe(201);
    expect(r.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(r.text).cell_instance_id).toBe(cell);
    const [req] = s.requests();
    expect(req).toMatchObject({
      method: 'POST',
      path: '/cell_instances/CELL%2F01%20%23%C3%A4%3Fx/cell_measurements/create',
      apiKey: KEY,
      contentType: 'application/json',
      rawBody: BODY,
    });
    expect(s.received()[0]!.rawBody).toBe(BODY);
    expect(s.received()[0]!.cellInstanceId).toBe(cell);
  });

  it('returns non-2xx answers (422 with its body, 3xx unfollowed) rather than throwing', async () => {
    const s = await standin();
    const r = await postMeasurement(direct, { baseUrl: s.url, apiKey: KEY, cellInstanceId: 'c', body: '{"properties":{}}', timeoutMs: 5_000 });
    expect(r.status).toBe(422);
    expect(JSON.parse(r.text).detail[0].loc).toEqual(['body', 'name']);

    let hits = 0;
    const redirecting = await listen(createServer((_q, res) => { hits++; res.writeHead(307, { location: '/elsewhere', 'retry-after': '5' }); res.end(); }));
    const moved = await postMeasurement(direct, { baseUrl: redirecting, apiKey: KEY, cellInstanceId: 'c', body: BODY, timeoutMs: 5_000 });
    expect([moved.status, moved.retryAfter, hits]).toEqual([307, '5', 1]);
  });

  it('throws a PostError of kind network when nothing listens', async () => {
    const probe = createServer();
    const url = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await postMeasurement(direct, { baseUrl: url, apiKey: KEY, cellInstanceId: 'c', body: BODY, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostError);
    expect(err).toMatchObject({ kind: 'network', message: expect.stringMatching(/fetch failed.*ECONNREFUSED/) });
  });

  it('throws kind timeout when no answer comes within timeoutMs, and kind aborted on shutdown', async () => {
    const url = await listen(createServer(() => { /* never answers */ }));
    const timedOut = await postMeasurement(direct, { baseUrl: url, apiKey: KEY, cellInstanceId: 'c', body: BODY, timeoutMs: 150 }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ kind: 'timeout', message: 'no answer within 150 ms' });

    const shutdown = new AbortController();
    const pending = postMeasurement(direct, { baseUrl: url, apiKey: KEY, cellInstanceId: 'c', body: BODY, timeoutMs: 10_000, signal: shutdown.signal });
    shutdown.abort(new Error('stopping'));
    expect(await pending.catch((e: unknown) => e)).toMatchObject({ kind: 'aborted', message: 'aborted: stopping' });
  });

  it('default fetch goes through HTTP(S)_PROXY when one is configured (a loopback CONNECT proxy here)', async () => {
    const s = await standin();
    const tunnels: string[] = [];
    const proxy = connectProxy(tunnels);
    const proxyUrl = await listen(proxy);
    const viaProxy = defaultFetch({ httpProxy: proxyUrl, httpsProxy: proxyUrl, noProxy: '' });
    cleanups.push(() => viaProxy.close());
    const r = await postMeasurement(viaProxy, { baseUrl: s.url, apiKey: KEY, cellInstanceId: 'c', body: BODY, timeoutMs: 5_000 });
    expect(r.status).toBe(201);
    expect(tunnels).toEqual([new URL(s.url).host]);
  });
});

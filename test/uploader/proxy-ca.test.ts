// docs/operations.md "Behind a proxy", as written: HTTPS_PROXY in the environment and, for a TLS-inspecting proxy,
// its CA in NODE_EXTRA_CA_CERTS. The API here is an HTTPS server on 127.0.0.1 whose certificate a test CA signed
// (test/fixtures/tls: what an inspecting proxy presents), reached through a loopback CONNECT proxy. The uploader's
// default fetch runs in a child process (`dist/`, built by `npm test`), because Node reads NODE_EXTRA_CA_CERTS only
// at start.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectProxy } from './connect-proxy.js';

const TLS = join(import.meta.dirname, '..', 'fixtures', 'tls');
const HTTP_JS = resolve('dist/uploader/http.js');
const servers: Server[] = [];
const tunnels: string[] = [];
let apiUrl = '';
let proxyUrl = '';

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const api = createHttpsServer({ key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  apiUrl = `https://127.0.0.1:${await listen(api)}`;
  const proxy = connectProxy(tunnels);
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** One GET with the uploader's default fetch, in a fresh process with exactly this environment (async: the proxy
 * and the API answer from this process). */
async function getInChild(env: NodeJS.ProcessEnv): Promise<{ out: string; err: string }> {
  const script = `
    const { apiRequest, defaultFetch } = await import(${JSON.stringify(HTTP_JS)});
    const fetch = defaultFetch();
    try {
      const r = await apiRequest(fetch, { baseUrl: ${JSON.stringify(apiUrl)}, path: '/healthz', method: 'GET', timeoutMs: 5000 });
      console.log('status ' + r.status);
    } catch (err) {
      console.log('failed: ' + err.message);
    } finally {
      await fetch.close();
    }`;
  const r = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 });
  return { out: r.stdout.trim(), err: r.stderr };
}

describe('behind a TLS-inspecting proxy', () => {
  it('uploads through HTTPS_PROXY once NODE_EXTRA_CA_CERTS names the proxy\'s CA, and says why it cannot without it', async () => {
    expect(existsSync(HTTP_JS), 'run `npm run build` first (`npm test` does)').toBe(true);
    const proxyEnv = { HTTPS_PROXY: proxyUrl, NO_PROXY: '' };

    const without = await getInChild(proxyEnv);
    expect(without.out, without.err).toMatch(/^failed: fetch failed: .*(self[- ]signed certificate|unable to get local issuer certificate|unable to verify the first certificate)/i);

    tunnels.length = 0;
    const withCa = await getInChild({ ...proxyEnv, NODE_EXTRA_CA_CERTS: join(TLS, 'ca.pem') });
    expect(withCa.out, withCa.err).toBe('status 200');
    expect(tunnels).toEqual([new URL(apiUrl).host]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { runStatus, type StatusDeps } from '../../src/cli/status.js';
import { startStatusServer, TOKEN } from './status-fixture.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

function deps(files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const d: StatusDeps = {
    fetch: (input, init) => fetch(input, init),
    env,
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
    },
    out: (s) => void out.push(s),
    err: (s) => void err.push(s),
  };
  return { d, out: () => out.join(''), err: () => err.join('') };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function bench(http?: { host: string; access_token?: string }) {
  const s = await startStatusServer(http);
  close = s.close;
  s.scan('CELL-0001');
  s.read('balance1', '0.000', 'g');
  s.read('balance1', '45.112', 'g');
  return s;
}

describe('ionworks-edge status', () => {
  it('prints the stations, readings, what is missing and the devices', async () => {
    const { url } = await bench();
    const io = deps();
    expect(await runStatus(['--url', url], io.d)).toBe(0);
    const text = io.out();
    expect(text).toContain('ionworks-edge 0.1.0 · Cell Lab North');
    expect(text).toContain('Uploads: ✓ Nothing to upload yet (queued 0, uploaded 0, dead 0)');
    expect(text).toContain('bench1  … Measure, then press DATA on the gauge');
    expect(text).toContain('  Cell: CELL-0001');
    expect(text).toMatch(/ {4}Mass {7}45\.112 g +✓ stable/);
    expect(text).toContain('  Still needed: Thickness');
    expect(text).toContain('  Devices: ✓ Scanner connected · ✓ Balance connected · ✓ Gauge connected');
  });

  it('says when the outbox is nearly full or full', async () => {
    const { url, storage } = await bench();
    storage.current = { level: 'nearly_full', usage: { rows: 85, bytes: 0 }, limits: { maxRows: 100 } };
    const io = deps();
    expect(await runStatus(['--url', url], io.d)).toBe(0);
    expect(io.out()).toContain(
      'Storage: ! Storage nearly full (85 of 100 measurements are waiting to upload or failed); when it is full, new cells cannot be started. Call the administrator.\n',
    );
  });

  it('--json prints the view model', async () => {
    const { url } = await bench();
    const io = deps();
    expect(await runStatus(['--url', `${url}/`, '--json'], io.d)).toBe(0);
    expect(JSON.parse(io.out()).stations[0]).toMatchObject({ cell: 'CELL-0001', missing: ['Thickness'] });
  });

  it('finds the address and token in the config', async () => {
    const { server } = await bench({ host: '0.0.0.0', access_token: TOKEN });
    const port = new URL(server.url).port;
    const config = `lab: x\nhttp:\n  host: 0.0.0.0\n  port: ${port}\n  access_token: ${TOKEN}\n`;
    const io = deps({ '/etc/ionworks-edge/config.yaml': config });
    expect(await runStatus([], io.d)).toBe(0);
    expect(io.out()).toContain('Cell: CELL-0001');
    const noToken = deps({ '/tmp/c.yaml': config.replace(/ {2}access_token.*\n/, '') });
    expect(await runStatus(['--config', '/tmp/c.yaml'], noToken.d)).toBe(64);
    expect(noToken.err()).toContain('http section is invalid');
  });

  it('asks for the token when the daemon wants one', async () => {
    const { url } = await bench({ host: '0.0.0.0', access_token: TOKEN });
    const io = deps();
    expect(await runStatus(['--url', url], io.d)).toBe(77);
    expect(io.err()).toContain('wants its access token');
    const withEnv = deps({}, { IONWORKS_EDGE_HTTP__ACCESS_TOKEN: TOKEN });
    expect(await runStatus(['--url', url], withEnv.d)).toBe(0);
  });

  it('says clearly when the daemon is not running', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const io = deps();
    expect(await runStatus(['--url', url], io.d)).toBe(69);
    expect(io.err()).toBe(
      `The ionworks-edge daemon is not running, or not answering at ${url} (connection refused).\nCheck it with: systemctl status ionworks-edge\n`,
    );
  });

  it('an unreadable --config says why and what to do', async () => {
    const io = deps();
    expect(await runStatus(['--config', '/etc/ionworks-edge/config.yaml'], io.d)).toBe(64);
    expect(io.err()).toContain('not readable by this user: pass --url instead');
    const both = deps();
    expect(await runStatus(['--config', 'a', '--url', 'b'], both.d)).toBe(64);
    const help = deps();
    expect(await runStatus(['--help'], help.d)).toBe(0);
    expect(help.out()).toContain("whether or not you run it as the service's user");
  });
});

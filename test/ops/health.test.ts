import { afterEach, describe, expect, it } from 'vitest';
import { checkReadiness } from '../../src/ops/health.js';
import type { DeviceStatus } from '../../src/devices/device.js';
import type { UploaderState } from '../../src/uploader/uploader.js';
import { configYaml, startFixture, type Fixture } from './daemon-fixture.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('/healthz', () => {
  it('answers 200 while the database answers, 503 once it does not, and logs the spell once', async () => {
    fx = await startFixture();
    expect(await fx.get('/healthz')).toMatchObject({ status: 200 });
    expect((await fx.get('/healthz')).json()).toMatchObject({ ok: true });

    fx.daemon.outbox.close();
    const down = await fx.get('/healthz');
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({ ok: false, error: 'database does not answer: outbox is not open' });
    await fx.get('/healthz');
    await fx.get('/healthz');
    expect(fx.events('health.failed')).toEqual([expect.objectContaining({ level: 'error', repeated: 0 })]);

    fx.daemon.outbox.open();
    expect((await fx.get('/healthz')).status).toBe(200);
    expect(fx.events('health.recovered')).toEqual([expect.objectContaining({ failures: 3 })]);
  });
});

describe('/readyz', () => {
  it('is 200 with every device connected, a key and the uploader running', async () => {
    fx = await startFixture();
    const r = await fx.get('/readyz');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ ready: true, reasons: [], devices: { scanner1: 'connected', gauge1: 'connected' }, uploader: 'running' });
  });

  it('is 503 naming a device whose port is missing and a missing API key', async () => {
    fx = await startFixture({ yaml: configYaml({ gaugePath: '/dev/ttyMOCK9' }).replace('  key_file: api-key\n', ''), apiKey: null });
    const r = await fx.get('/readyz');
    expect(r.status).toBe(503);
    const body = r.json() as { ready: boolean; reasons: string[] };
    expect(body.ready).toBe(false);
    expect(body.reasons).toEqual([
      expect.stringMatching(/^device gauge1 is disconnected: .*ttyMOCK9/),
      'no API key configured (api.key_file or IONWORKS_API_KEY)',
    ]);
  });
});

describe('checkReadiness', () => {
  const devices: DeviceStatus[] = [
    { id: 'balance1', kind: 'mtsics', state: 'connected', since: 0 },
    { id: 'scanner1', kind: 'scanner', state: 'connecting', since: 0 },
  ];
  const at = Date.UTC(2026, 0, 1);
  const ready = (mode: UploaderState['mode'], detail: string | null = null, hasKey = true) =>
    checkReadiness({ clock: { now: () => at }, devices: () => devices, uploader: () => ({ mode, since: at, detail }), hasApiKey: () => hasKey });

  it('gives one reason per problem, in words', () => {
    expect(ready('running').reasons).toEqual(['device scanner1 is connecting']);
    expect(ready('offline', 'network: ECONNREFUSED').reasons[1]).toBe('API unreachable since 2026-01-01T00:00:00.000Z: network: ECONNREFUSED');
    expect(ready('auth_failed', 'HTTP 401').reasons[1]).toBe('API refuses the key since 2026-01-01T00:00:00.000Z: HTTP 401');
    expect(ready('halted', '3 rows rejected').reasons[1]).toBe('uploads halted since 2026-01-01T00:00:00.000Z: 3 rows rejected');
    expect(ready('no_key').reasons[1]).toBe('no API key configured (api.key_file or IONWORKS_API_KEY)');
    expect(ready('running', null, false).reasons[1]).toBe('no API key configured (api.key_file or IONWORKS_API_KEY)');
  });

  it('reports the devices and the uploader mode', () => {
    expect(ready('offline')).toMatchObject({ ready: false, devices: { balance1: 'connected', scanner1: 'connecting' }, uploader: 'offline' });
  });
});

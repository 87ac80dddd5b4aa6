import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPENAPI_PATH, readStandinState, startStandin, type Standin } from '../../src/demo/standin/server.js';
import { loadOpenApi, validateSchema } from '../../src/demo/standin/openapi-validate.js';

const KEY = 'iwk_test_key';
const valid = { name: 'm1', properties: { thickness: { value: 0.52, unit: 'mm' }, mass: { value: 41.2, unit: 'g' }, binder: 'PVDF' } };
let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function post(s: Standin, cell: string, body: unknown, key: string | null = KEY) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers['x-api-key'] = key;
  const res = await fetch(`${s.url}/cell_instances/${encodeURIComponent(cell)}/cell_measurements/create`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any, correlationId: res.headers.get('x-correlation-id') };
}

describe('stand-in API', () => {
  it('201 with a CellMeasurement that itself satisfies the OpenAPI text, and an x-correlation-id', async () => {
    standin = await startStandin({ apiKey: KEY });
    const r = await post(standin, 'cell-1', valid);
    expect(r.status).toBe(201);
    expect(r.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json).toMatchObject({ ...valid, cell_instance_id: 'cell-1', measurement_type: 'properties', step_labels_validated: false });
    expect(r.json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(validateSchema(loadOpenApi(DEFAULT_OPENAPI_PATH), 'CellMeasurement', r.json).issues).toEqual([]);
    expect(standin.received()).toEqual([expect.objectContaining({ cellInstanceId: 'cell-1', body: valid, rawBody: JSON.stringify(valid) })]);
  });

  it.each([
    ['missing name', { properties: {} }, ['body', 'name']],
    ['name > 255 characters', { ...valid, name: 'n'.repeat(256) }, ['body', 'name']],
    ['wrong measurement_type', { ...valid, measurement_type: 'mass' }, ['body', 'measurement_type']],
    ['a measurement_type other than properties', { ...valid, measurement_type: 'time_series' }, ['body', 'measurement_type']],
    ['properties not an object', { ...valid, properties: 12 }, ['body', 'properties']],
    ['a Quantity with a string value', { ...valid, properties: { thickness: { value: '0.52', unit: 'mm' } } }, ['body', 'properties', 'thickness', 'value']],
    ['a Quantity without a unit', { ...valid, properties: { thickness: { value: 0.52 } } }, ['body', 'properties', 'thickness', 'unit']],
  ])('422 HTTPValidationError for %s', async (_label, body, loc) => {
    standin = await startStandin({ apiKey: KEY });
    const r = await post(standin, 'cell-1', body);
    expect(r.status).toBe(422);
    expect(r.json.detail).toContainEqual(expect.objectContaining({ loc, msg: expect.any(String), type: expect.any(String) }));
    expect(standin.received()).toEqual([]);
    expect(standin.requests()).toEqual([expect.objectContaining({ method: 'POST', status: 422 })]);
  });

  it('422 for a body that is not JSON', async () => {
    standin = await startStandin({ apiKey: KEY });
    const r = await post(standin, 'cell-1', '{"name":');
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid' });
  });

  it('401 without the right X-API-Key, before looking at the body', async () => {
    standin = await startStandin({ apiKey: KEY });
    expect((await post(standin, 'cell-1', valid, null)).status).toBe(401);
    const wrong = await post(standin, 'cell-1', { bad: true }, 'iwk_other');
    expect(wrong.status).toBe(401);
    expect(typeof wrong.json.detail).toBe('string');
    expect(standin.received()).toEqual([]);
  });

  it('/healthz needs no key; /users/me does and names the authorized organization', async () => {
    standin = await startStandin({ apiKey: KEY, organizationId: 'org-7' });
    expect((await fetch(`${standin.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${standin.url}/users/me`)).status).toBe(401);
    const me = await fetch(`${standin.url}/users/me`, { headers: { 'x-api-key': KEY } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as any).authorized_organization).toEqual({ id: 'org-7', name: expect.any(String) });
    expect((await fetch(`${standin.url}/nowhere`)).status).toBe(404);
  });

  it('lists an instance measurements filtered by exact name, for de-duplication', async () => {
    standin = await startStandin({ apiKey: KEY });
    await post(standin, 'cell-1', valid);
    await post(standin, 'cell-1', { ...valid, name: 'm2' });
    await post(standin, 'cell-2', valid);
    const list = async (q: string, key: string | null = KEY) => {
      const res = await fetch(`${standin!.url}/cell_instances/cell-1/cell_measurements?${q}`, { headers: key ? { 'x-api-key': key } : {} });
      return { status: res.status, json: (await res.json()) as any };
    };
    const hit = await list('name=eq.m1&measurement_type=properties');
    expect(hit.status).toBe(200);
    expect(hit.json).toMatchObject({ count: 1, total: 1, items: [{ name: 'm1', cell_instance_id: 'cell-1' }] });
    expect((await list('name=eq.m3&measurement_type=properties')).json).toEqual({ items: [], count: 0, total: 0 });
    expect((await list('')).json.total).toBe(2);
    expect((await list('name=eq.m1', null)).status).toBe(401);
  });

  it('reject422 answers 422 only for the chosen bodies', async () => {
    standin = await startStandin({ apiKey: KEY });
    standin.reject422((body) => (body as { name: string }).name === 'bad');
    expect((await post(standin, 'c', { ...valid, name: 'bad' })).status).toBe(422);
    expect((await post(standin, 'c', valid)).status).toBe(201);
    standin.reject422(null);
    expect((await post(standin, 'c', { ...valid, name: 'bad' })).status).toBe(201);
  });

  it('setDown drops connections (or answers 503 with Retry-After) and recovers', async () => {
    standin = await startStandin({ apiKey: KEY });
    standin.setDown(true);
    await expect(post(standin, 'c', valid)).rejects.toThrow(/fetch failed/);
    standin.setDown(true, '503');
    const res = await fetch(`${standin.url}/healthz`);
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
    standin.setDown(false);
    expect((await post(standin, 'c', valid)).status).toBe(201);
    expect(standin.requests().map((r) => r.status)).toEqual([null, 503, 201]);
  });

  it('persists what it accepted, for another process or a restarted stand-in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-'));
    try {
      const statePath = join(dir, 'state.json');
      standin = await startStandin({ apiKey: KEY, statePath });
      await post(standin, 'c', valid);
      await standin.close();
      expect(readStandinState(statePath).map((r) => r.measurement.name)).toEqual(['m1']);
      standin = await startStandin({ apiKey: KEY, statePath });
      await post(standin, 'c', { ...valid, name: 'm2' });
      expect(standin.received().map((r) => r.cellInstanceId + '/' + (r.body as any).name)).toEqual(['c/m1', 'c/m2']);
      expect(readStandinState(statePath)).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

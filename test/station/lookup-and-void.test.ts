// Cell lookups, the uploader's name resolver, voids and raw-reading retention, against a tiny fake API on
// 127.0.0.1 and a real outbox file.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { silentLogger } from '../../src/ops/logger.js';
import { Outbox } from '../../src/queue/outbox.js';
import { TraceStore } from '../../src/station/trace-store.js';
import { makeVoider } from '../../src/station/void.js';
import { CellLookup, makeCellResolver, type ApiAccess } from '../../src/uploader/cell-lookup.js';

const KEY = 'iwk_test';
const seen: string[] = [];
let down = false;
let server: Server;
let api: ApiAccess;

const instances = [
  { id: 'ci_1', name: 'SN-1', cell_specification_id: 'spec-a' },
  { id: 'ci_2', name: 'SN-2', cell_specification_id: 'spec-a' },
  { id: 'ci_3', name: 'SN-2', cell_specification_id: 'spec-b' },
  { id: 'ci_4', name: 'SN-10', cell_specification_id: 'spec-a' },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}${body ? ` ${body}` : ''}`);
      const send = (status: number, json: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (down) return send(503, { detail: 'down' });
      if (req.headers['x-api-key'] !== KEY) return send(401, { detail: 'no' });
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').slice(1);
      if (parts[0] === 'cell_instances' && parts.length === 2) {
        const hit = instances.find((i) => i.id === decodeURIComponent(parts[1]!));
        return hit ? send(200, hit) : send(404, { detail: 'Not found' });
      }
      if (parts[0] === 'cell_specifications' && parts[2] === 'cell_instances') {
        const name = url.searchParams.get('name')?.replace(/^eq\./, '');
        return send(200, { items: instances.filter((i) => i.cell_specification_id === parts[1] && i.name === name), count: 0, total: 0 });
      }
      if (url.pathname === '/search') {
        // Substring match, as the real endpoint: the client must keep only exact names.
        const q = url.searchParams.get('q') ?? '';
        const results = instances.filter((i) => i.name.includes(q)).map((i) => ({ id: i.id, entity_type: 'cell_instance', name: i.name, parent_id: i.cell_specification_id }));
        return send(200, { results, query: q, total: results.length, limit: 25, offset: 0 });
      }
      if (req.method === 'PATCH' && parts[0] === 'cell_measurements') return send(200, { id: parts[1], notes: JSON.parse(body).notes });
      send(404, { detail: 'Not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, getApiKey: () => KEY, fetch, timeoutMs: 2_000 };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  seen.length = 0;
  down = false;
});

describe('CellLookup', () => {
  it('checks ids, caches found ones, and lets "unknown" expire', async () => {
    const clock = new FakeClock();
    const lookup = new CellLookup({ api, clock, negativeTtlMs: 60_000 });
    expect(await lookup.byId('ci_1')).toEqual({ kind: 'found', id: 'ci_1', name: 'SN-1' });
    expect(await lookup.byId('ci_1')).toMatchObject({ kind: 'found' });
    expect(await lookup.byId('ci_x')).toEqual({ kind: 'unknown', reason: 'no cell instance with id "ci_x"' });
    expect(await lookup.byId('ci_x')).toMatchObject({ kind: 'unknown' });
    expect(seen).toEqual(['GET /cell_instances/ci_1', 'GET /cell_instances/ci_x']);
    await clock.advance(60_000);
    await lookup.byId('ci_x');
    expect(seen).toHaveLength(3);
  });

  it('resolves names within a specification, or by exact match in /search; ambiguity is reported', async () => {
    const lookup = new CellLookup({ api, clock: new FakeClock(), negativeTtlMs: 0 });
    expect(await lookup.byName('SN-2', 'spec-b')).toEqual({ kind: 'found', id: 'ci_3', name: 'SN-2' });
    expect(await lookup.byName('SN-1')).toEqual({ kind: 'found', id: 'ci_1', name: 'SN-1' }); // "SN-10" also matched the substring
    expect(await lookup.byName('SN-2')).toMatchObject({ kind: 'ambiguous', reason: '2 cells are named "SN-2" in the organisation; scan the cell id instead' });
    expect(await lookup.byName('SN-9', 'spec-a')).toEqual({ kind: 'unknown', reason: 'no cell named "SN-9" in specification spec-a' });
    expect(seen[0]).toBe('GET /cell_specifications/spec-b/cell_instances?name=eq.SN-2&limit=5');
  });

  it('says "unavailable" (never cached) when the API is down, unreachable or refuses the key', async () => {
    const lookup = new CellLookup({ api, clock: new FakeClock(), negativeTtlMs: 60_000 });
    down = true;
    expect(await lookup.byId('ci_1')).toEqual({ kind: 'unavailable', reason: 'HTTP 503: unexpected answer' });
    down = false;
    expect(await lookup.byId('ci_1')).toMatchObject({ kind: 'found' });
    const badKey = new CellLookup({ api: { ...api, getApiKey: () => 'iwk_wrong' }, clock: new FakeClock(), negativeTtlMs: 0 });
    expect(await badKey.byId('ci_2')).toEqual({ kind: 'unavailable', reason: 'HTTP 401: the API key was refused' });
    const nowhere = new CellLookup({ api: { ...api, baseUrl: 'http://127.0.0.1:1' }, clock: new FakeClock(), negativeTtlMs: 0 });
    expect(await nowhere.byId('ci_1')).toMatchObject({ kind: 'unavailable' });
  });
});

describe('outbox trace: unresolved names, voids, raw readings', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function open() {
    const dir = mkdtempSync(join(tmpdir(), 'ionworks-station-'));
    dirs.push(dir);
    const clock = new FakeClock();
    const outbox = new Outbox({ path: join(dir, 'outbox.db'), clock, logger: silentLogger() });
    outbox.open();
    return { clock, outbox, store: new TraceStore(outbox) };
  }
  const m = (name: string, cell = 'SN-1') => ({ cellInstanceId: cell, name, body: JSON.stringify({ name, properties: {} }), station: 'bench1', createdAt: 0 });
  const raw = [{ property: 'mass', device: 'balance1', value: '45.123', unit: 'g', raw: 'S S      45.123 g', at: 0 }];

  it('resolves a saved name before upload; an unknown name becomes a dead letter reason, offline a retry', async () => {
    const { clock, outbox, store } = open();
    const a = store.save(m('a', 'SN-1'), { cellName: 'SN-1', raw, keepUntil: 1 });
    const b = store.save(m('b', 'SN-404'), { cellName: 'SN-404', raw: [], keepUntil: 1 });
    const c = store.save(m('c', 'ci_2'), { cellName: null, raw: [], keepUntil: 1 });
    const resolve = makeCellResolver({ lookup: new CellLookup({ api, clock, negativeTtlMs: 0 }), store, specFor: () => 'spec-a', clock });
    const row = (id: number) => outbox.get(id)!;
    down = true;
    expect(await resolve(row(a.id))).toMatchObject({ kind: 'retry' });
    down = false;
    expect(await resolve(row(a.id))).toEqual({ kind: 'ready', cellInstanceId: 'ci_1' });
    expect(row(a.id).cellInstanceId).toBe('ci_1');
    expect(store.unresolvedName(a.id)).toBeNull();
    expect(await resolve(row(b.id))).toEqual({ kind: 'dead', reason: 'cell name "SN-404" does not resolve: no cell named "SN-404" in specification spec-a' });
    expect(await resolve(row(c.id))).toEqual({ kind: 'ready', cellInstanceId: 'ci_2' });
    expect(store.auditLog(a.id)).toEqual([expect.objectContaining({ event: 'cell.resolved', detail: 'ci_1' })]);
    outbox.close();
  });

  it('voids a pending row for good (never due, never re-queued) and PATCHes the notes of a delivered one', async () => {
    const { clock, outbox, store } = open();
    const voidIt = makeVoider({ store, api, clock, logger: silentLogger() });
    const p = store.save(m('pending-one'), { cellName: null, raw: [], keepUntil: 1 });
    expect(await voidIt({ id: p.id, station: 'bench1', who: 'jdoe' })).toEqual({ ok: true, message: 'pending-one voided; it will not be uploaded' });
    expect(outbox.due(clock.now() + 1, 10)).toEqual([]);
    expect(outbox.get(p.id)).toMatchObject({ state: 'dead', deadReason: 'voided by jdoe at 2026-01-01T00:00:00.000Z' });
    expect(() => outbox.requeue(p.id)).toThrow('voided by an operator');
    expect(outbox.requeueAllDead()).toBe(0);
    expect(await voidIt({ id: p.id, station: 'bench1', who: 'jdoe' })).toEqual({ ok: false, message: 'pending-one is already void' });

    const d = store.save(m('delivered-one'), { cellName: null, raw: [], keepUntil: 1 });
    outbox.beginAttempt(d.id, 1);
    expect(await voidIt({ id: d.id, station: 'bench1', who: null })).toMatchObject({ ok: false, message: 'delivered-one is being uploaded right now; scan void again in a moment' });
    outbox.recordDelivered(d.id, 2, { status: 201, detail: '{}', serverId: 'cm_77' });
    expect(await voidIt({ id: d.id, station: 'bench1', who: null })).toEqual({ ok: true, message: 'delivered-one voided, here and on Ionworks' });
    expect(seen).toEqual(['PATCH /cell_measurements/cm_77 {"notes":"VOID: voided at the bench by the operator on 2026-01-01T00:00:00.000Z"}']);
    expect(outbox.get(d.id)?.state).toBe('delivered');
    expect(store.auditLog(d.id).map((e) => e.event)).toEqual(['measurement.voided', 'void.patched']);
    outbox.close();
  });

  it('an uploaded row whose PATCH fails (or that has no server id) is still voided here, and the failure is audited', async () => {
    const { clock, outbox, store } = open();
    const voidIt = makeVoider({ store, api, clock, logger: silentLogger() });
    const delivered = (name: string) => {
      const { id } = store.save(m(name), { cellName: null, raw: [], keepUntil: 1 });
      outbox.beginAttempt(id, 1);
      outbox.recordDelivered(id, 2, { status: 201, detail: '{}', serverId: 'cm_1' });
      return id;
    };
    const a = delivered('patch-refused');
    down = true;
    expect(await voidIt({ id: a, station: 'bench1', who: 'jdoe' })).toEqual({ ok: true, message: 'patch-refused voided here; Ionworks not updated (HTTP 503)' });
    expect(store.auditLog(a)).toEqual([
      expect.objectContaining({ event: 'measurement.voided', who: 'jdoe' }),
      expect.objectContaining({ event: 'void.patch_failed', who: 'jdoe', detail: 'HTTP 503' }),
    ]);
    const b = delivered('no-server-id');
    // A 2xx whose answer carried no id leaves the row delivered without one.
    outbox.connection().prepare('UPDATE outbox SET server_id = NULL WHERE id = ?').run(b);
    expect(await voidIt({ id: b, station: 'bench1', who: null })).toEqual({ ok: true, message: 'no-server-id voided here, but not on Ionworks (the server gave no measurement id)' });
    expect(store.auditLog(b).map((e) => e.event)).toEqual(['measurement.voided', 'void.patch_failed']);
    expect(outbox.get(a)?.state).toBe('delivered');
    outbox.close();
  });

  it('keeps raw readings with their row until keep_until, then the housekeeper prune removes them', () => {
    const { outbox, store } = open();
    const a = store.save(m('a'), { cellName: null, raw, keepUntil: 1_000 });
    expect(store.rawReadings(a.id)).toEqual(raw);
    expect(store.pruneRawReadings(999)).toBe(0);
    expect(store.pruneRawReadings(1_000)).toBe(1);
    expect(store.rawReadings(a.id)).toEqual([]);
    outbox.close();
  });

  it('saves nothing (row nor raw) when the row cannot be saved', () => {
    const { outbox, store } = open();
    store.save(m('same'), { cellName: null, raw, keepUntil: 1 });
    expect(() => store.save(m('same'), { cellName: null, raw, keepUntil: 1 })).toThrow(/already in the outbox/);
    expect(outbox.connection().prepare('SELECT count(*) AS n FROM raw_readings').get()).toEqual({ n: 1 });
    outbox.close();
  });
});

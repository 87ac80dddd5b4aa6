// The bench workflow end to end: the real Daemon on real PTYs, with the stand-in API knowing cells CELL-0001..9999
// named SN0001..SN9999 in spec-demo-21700. Cell ids checked and names resolved at the bench, names saved offline
// and resolved before upload, #VOID of a queued and of an uploaded measurement, and the operator badge.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { startBenchRig, type BenchRig } from '../../src/demo/bench-rig.js';
import type { Daemon } from '../../src/daemon.js';
import { stationSchema, type ConfigInput } from '../../src/config/schema.js';
import type { StatusView } from '../../src/ops/status-model.js';
import type { Station } from '../../src/station/station.js';
import { fixture, liftOff, measure, startDaemon, waitFor } from './helpers.js';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const SPEC = 'spec-demo-21700';

let rig: BenchRig;
let daemon: Daemon | undefined;
let clock: FakeClock;

beforeEach(async () => {
  rig = await startBenchRig();
  clock = new FakeClock(T0);
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rig.close();
});

/** bench1 measuring thickness only (the gauge), with `extra` on top. */
function gaugeBench(extra: Partial<ConfigInput['stations'][string]> = {}) {
  return { stations: { bench1: { scanner: 'scanner1', cell_pattern: '^CELL-[0-9]{4}$', properties: { thickness: { device: 'gauge1', unit: 'mm' } }, ...extra } } };
}

const byName = (spec?: string) => gaugeBench({ cell_pattern: '^SN[0-9]{4}$', cell_id: { mode: 'name', ...(spec ? { cell_specification_id: spec } : {}) } });

/** Scan, press DATA on the gauge, wait until saved; returns the outbox row id. */
async function gaugeCell(station: Station, code: string, thickness: string): Promise<number> {
  rig.scanner.scan(code);
  await waitFor(`${code} active`, () => station.snapshot().activeCell?.id === code);
  await waitFor(`${code} checked`, () => station.snapshot().activeCell?.lookup !== 'pending');
  rig.gauge.send(thickness);
  await waitFor(`${code} saved`, () => station.snapshot().lastSaved?.cell === code);
  return station.snapshot().lastSaved!.id;
}

/** What the status page shows for bench1, over HTTP as the page gets it. */
async function page(): Promise<StatusView['stations'][number]> {
  const res = await fetch(`${daemon!.http.url}/api/status`);
  return ((await res.json()) as StatusView).stations.find((s) => s.id === 'bench1')!;
}

const posts = () => rig.standin.requests().filter((r) => r.method === 'POST');
const gets = () => rig.standin.requests().filter((r) => r.method === 'GET').map((r) => r.path);

describe('cell ids at the bench, end to end', { timeout: 30_000 }, () => {
  it('mode id: a typo is told at the bench at once, and nothing measured after it is saved', async () => {
    daemon = await startDaemon(rig, clock, { overrides: gaugeBench() });
    const station = daemon.stations.get('bench1')!;
    rig.scanner.scan('CELL-0000'); // fits the pattern; no such cell instance on the API
    await waitFor('the operator is told', () => station.snapshot().notice?.level === 'error');
    const message = 'CELL-0000: no cell instance with id "CELL-0000". Check the label and scan again.';
    expect(station.snapshot()).toMatchObject({ activeCell: null, notice: { level: 'error', message } });
    expect(await page()).toMatchObject({ cell: null, tone: 'error', notice: { tone: 'error', text: message } });
    expect(gets()).toContain('/cell_instances/CELL-0000');

    // The operator presses DATA anyway: the reading belongs to no cell.
    const seen = new Promise((r) => daemon!.devices.get('gauge1')!.once('reading', r));
    rig.gauge.send('5.500');
    await seen;
    expect(station.snapshot().activeCell).toBeNull();
    expect(daemon.outbox.counts()).toEqual({ pending: 0, delivered: 0, dead: 0 });
    expect(posts()).toEqual([]);
  });

  it('mode name: SN0007 resolves to CELL-0007 within the specification, and the body arrives on that cell', async () => {
    daemon = await startDaemon(rig, clock, { overrides: byName(SPEC) });
    const station = daemon.stations.get('bench1')!;
    rig.scanner.scan('SN0007');
    await waitFor('SN0007 resolved', () => station.snapshot().activeCell?.lookup === 'found');
    expect(station.snapshot().activeCell).toMatchObject({ id: 'SN0007', cellInstanceId: 'CELL-0007' });
    expect(gets()).toContain(`/cell_specifications/${SPEC}/cell_instances?name=eq.SN0007&limit=5`);
    rig.gauge.send('5.512');
    await waitFor('SN0007 saved', () => station.snapshot().lastSaved?.cell === 'SN0007');
    await waitFor('uploaded', () => daemon!.outbox.counts().delivered === 1);
    const [got] = rig.standin.received();
    expect(got!.cellInstanceId).toBe('CELL-0007');
    expect(got!.body).toMatchObject({ properties: { thickness: { value: 5.512, unit: 'mm' } }, test_setup: { station: 'bench1' } });

    // A name the specification does not hold is told at once, like a typo'd id.
    rig.scanner.scan('SN0000');
    await waitFor('SN0000 refused', () => station.snapshot().notice?.level === 'error');
    expect(station.snapshot().notice?.message).toBe(`SN0000: no cell named "SN0000" in specification ${SPEC}. Check the label and scan again.`);
  });

  it('mode name without a specification: an exact match in GET /search (the search itself matches substrings)', async () => {
    daemon = await startDaemon(rig, clock, { overrides: byName() });
    const station = daemon.stations.get('bench1')!;
    rig.scanner.scan('SN0042');
    await waitFor('SN0042 resolved at the bench', () => station.snapshot().activeCell?.lookup === 'found');
    expect(station.snapshot().activeCell).toMatchObject({ id: 'SN0042', cellInstanceId: 'CELL-0042' });
    rig.gauge.send('5.420');
    await waitFor('uploaded', () => daemon!.outbox.counts().delivered === 1);
    expect(rig.standin.received()[0]!.cellInstanceId).toBe('CELL-0042');
    expect(gets().some((p) => p.startsWith('/search?q=SN0042&'))).toBe(true);
  });

  it('offline at the bench: saved with the name, resolved before upload once the API is back; an unknown name ends as a dead letter with the reason', async () => {
    rig.standin.setDown(true);
    daemon = await startDaemon(rig, clock, { overrides: byName(SPEC) });
    const station = daemon.stations.get('bench1')!;
    rig.scanner.scan('SN0007');
    await waitFor('lookup failed', () => station.snapshot().activeCell?.lookup === 'offline');
    expect((await page()).cellNote).toBe('not checked with Ionworks (offline): it is checked before upload');
    rig.gauge.send('5.512');
    await waitFor('SN0007 saved', () => station.snapshot().lastSaved?.cell === 'SN0007');
    const known = station.snapshot().lastSaved!.id;
    await clock.advance(60_000);
    const unknown = await gaugeCell(station, 'SN0000', '5.000');
    expect(daemon.trace.unresolvedName(known)).toBe('SN0007');
    expect(daemon.trace.unresolvedName(unknown)).toBe('SN0000');
    await waitFor('a failed attempt on each', () => [known, unknown].every((id) => (daemon!.outbox.get(id)?.attempts ?? 0) > 0));
    expect(daemon.outbox.counts()).toEqual({ pending: 2, delivered: 0, dead: 0 });
    expect(daemon.outbox.get(known)!.lastError).toMatch(/^cell name "SN0007" not resolved yet: /);

    rig.standin.setDown(false);
    await clock.advance(3_600_000); // every backoff has run out
    daemon.uploader.kick();
    await waitFor('one delivered, one dead', () => {
      const c = daemon!.outbox.counts();
      return c.delivered === 1 && c.dead === 1;
    });
    expect(rig.standin.received().map((r) => r.cellInstanceId)).toEqual(['CELL-0007']);
    expect(daemon.outbox.get(known)).toMatchObject({ state: 'delivered', cellInstanceId: 'CELL-0007' });
    expect(daemon.trace.unresolvedName(known)).toBeNull();
    expect(daemon.trace.auditLog(known)).toEqual([expect.objectContaining({ event: 'cell.resolved', detail: 'CELL-0007' })]);
    expect(daemon.outbox.get(unknown)).toMatchObject({
      state: 'dead',
      deadReason: `cell name "SN0000" does not resolve: no cell named "SN0000" in specification ${SPEC}`,
    });
    // Nothing was ever posted under a name in the cell-id slot.
    expect(posts().every((r) => r.path.startsWith('/cell_instances/CELL-0007/'))).toBe(true);
  });
});

describe('#VOID and the operator badge, end to end', { timeout: 30_000 }, () => {
  it('#VOID of a measurement still queued: it is never sent, also once the API is back', async () => {
    rig.standin.setDown(true);
    daemon = await startDaemon(rig, clock, { overrides: gaugeBench() });
    const station = daemon.stations.get('bench1')!;
    const id = await gaugeCell(station, 'CELL-0003', '5.300');
    const name = station.snapshot().lastSaved!.name;
    // Void only between attempts: one in flight is refused (its POST may land anyway).
    await waitFor('a failed attempt', () => (daemon!.outbox.get(id)?.lastError ?? null) !== null);
    rig.scanner.scan('#VOID');
    await waitFor('voided', () => station.snapshot().lastSaved?.voided === true);
    expect(station.snapshot().notice).toMatchObject({ level: 'warn', message: `${name} voided; it will not be uploaded` });
    expect(daemon.outbox.get(id)).toMatchObject({ state: 'dead', deadReason: `voided by the operator at ${new Date(T0).toISOString()}` });
    expect(daemon.trace.auditLog(id).map((e) => e.event)).toEqual(['measurement.voided']);
    // On the page: voided on purpose, not an upload failure for the administrator.
    const view = (await (await fetch(`${daemon.http.url}/api/status`)).json()) as StatusView;
    expect(view.stations[0]!.saved).toMatchObject({ cell: 'CELL-0003', voided: true, upload: { state: 'voided', tone: 'ok', text: 'Voided: it will not be uploaded' } });
    expect(view.upload).toMatchObject({ dead: 0, voided: 1 });
    expect(view.upload.text).not.toMatch(/could not be uploaded/);
    // Nor for the dead-letter alert: a void is not a failure.
    const metrics = await (await fetch(`${daemon.http.url}/metrics`)).text();
    expect(metrics).toMatch(/^ionworks_edge_outbox_dead_letters 0$/m);
    expect(metrics).toMatch(/^ionworks_edge_outbox_rows\{state="dead"\} 1$/m);

    rig.standin.setDown(false);
    await clock.advance(3_600_000);
    await gaugeCell(station, 'CELL-0004', '5.400');
    await waitFor('the next cell uploaded', () => daemon!.outbox.counts().delivered === 1);
    expect(rig.standin.received().map((r) => r.cellInstanceId)).toEqual(['CELL-0004']);
    expect(daemon.outbox.get(id)!.state).toBe('dead');
  });

  it('the operator badge reaches test_setup.operator; #VOID of the uploaded measurement PATCHes its notes on the API, audited', async () => {
    daemon = await startDaemon(rig, clock);
    const station = daemon.stations.get('bench1')!;
    rig.scanner.scan('OP:Ana Lima');
    await waitFor('operator set', () => station.snapshot().operator === 'Ana Lima');
    expect((await page()).operator).toBe('Ana Lima');
    await measure(rig, station, clock, { id: 'CELL-0001', at: T0, mass: '45.112', thickness: '5.523' });
    await waitFor('uploaded', () => daemon!.outbox.counts().delivered === 1);
    const expected = fixture('CELL-0001') as { test_setup: Record<string, unknown> };
    expect(rig.standin.received()[0]!.body).toEqual({ ...expected, test_setup: { ...expected.test_setup, operator: 'Ana Lima' } });

    await liftOff(rig, daemon);
    const id = station.snapshot().lastSaved!.id;
    rig.scanner.scan('#VOID');
    await waitFor('voided', () => station.snapshot().lastSaved?.voided === true);
    await waitFor('told', () => station.snapshot().notice?.message.endsWith('voided, here and on Ionworks') === true);
    const stored = rig.standin.received()[0]!.measurement;
    expect(stored.notes).toBe(`VOID: voided at the bench by Ana Lima on ${new Date(clock.now()).toISOString()}`);
    expect(rig.standin.requests().filter((r) => r.method === 'PATCH').map((r) => [r.path, r.status])).toEqual([[`/cell_measurements/${String(stored.id)}`, 200]]);
    expect(daemon.outbox.get(id)!.state).toBe('delivered');
    expect(daemon.trace.auditLog(id)).toEqual([
      expect.objectContaining({ event: 'measurement.voided', who: 'Ana Lima' }),
      expect.objectContaining({ event: 'void.patched', who: 'Ana Lima', detail: 'HTTP 200' }),
    ]);
  });
});

describe('the storage guard at the bench, end to end', { timeout: 30_000 }, () => {
  it('the page warns when the outbox is nearly full; at the cap a scan is refused, in words, until rows are delivered', async () => {
    rig.standin.setDown(true); // nothing leaves the outbox
    daemon = await startDaemon(rig, clock, { overrides: { ...gaugeBench(), queue: { max_rows: 5 } } });
    const station = daemon.stations.get('bench1')!;
    for (let i = 1; i <= 4; i++) await gaugeCell(station, `CELL-000${i}`, '5.000');
    expect((await (await fetch(`${daemon.http.url}/api/status`)).json() as StatusView).storage).toEqual({
      tone: 'warn',
      text: 'Storage nearly full (4 of 5 measurements are waiting to upload or failed); when it is full, new cells cannot be started. Call the administrator.',
    });
    await gaugeCell(station, 'CELL-0005', '5.000');
    const full = (await (await fetch(`${daemon.http.url}/api/status`)).json()) as StatusView;
    expect(full.storage?.text).toBe('Storage full: new cells cannot be started (5 of 5 measurements are waiting to upload or failed). Call the administrator.');

    rig.scanner.scan('CELL-0006');
    await waitFor('refused', () => station.snapshot().notice?.level === 'error');
    expect(station.snapshot()).toMatchObject({ activeCell: null, notice: { message: 'CELL-0006 not started: outbox full. Call the administrator.' } });
    expect(daemon.outbox.counts().pending).toBe(5);

    rig.standin.setDown(false);
    await clock.advance(3_600_000);
    daemon.uploader.kick();
    await waitFor('all delivered', () => daemon!.outbox.counts().delivered === 5, 15_000);
    await gaugeCell(station, 'CELL-0006', '5.000');
    expect((await page()).error).toBeNull();
  });
});

describe('traceability, end to end', { timeout: 30_000 }, () => {
  it('keeps the raw frames behind each measurement until raw_retention_days, then the housekeeper prunes them', async () => {
    daemon = await startDaemon(rig, clock, { overrides: gaugeBench({ raw_retention_days: 2 }) });
    const station = daemon.stations.get('bench1')!;
    const id = await gaugeCell(station, 'CELL-0005', '5.505');
    await waitFor('uploaded', () => daemon!.outbox.counts().delivered === 1);
    // The gauge's own line (Digimatic format), as it came over the wire.
    expect(daemon.trace.rawReadings(id)).toEqual([
      { property: 'thickness', device: 'gauge1', value: '5.505', unit: 'mm', raw: '01A+0005.505', at: clock.now() },
    ]);
    await clock.advance(86_400_000);
    daemon.housekeeper.runOnce();
    expect(daemon.trace.rawReadings(id)).toHaveLength(1);
    await clock.advance(86_400_000);
    daemon.housekeeper.runOnce();
    expect(daemon.trace.rawReadings(id)).toEqual([]);
    expect(daemon.outbox.get(id)?.state).toBe('delivered'); // the measurement row has its own retention
  });
});

describe('a config reload and the status page', { timeout: 30_000 }, () => {
  it('a station added by reload gets its own page, its recipe and the new lab name on the overview', async () => {
    daemon = await startDaemon(rig, clock, { overrides: gaugeBench() });
    expect((await fetch(`${daemon.http.url}/station/bench2`)).status).toBe(404);
    // What ConfigReloader applies on SIGHUP.
    const cfg = stationSchema.parse({ scanner: 'scanner1', cell_pattern: '^B2-[0-9]{4}$', properties: { mass: { device: 'balance1', unit: 'g', min_load: 0.5 } } });
    daemon.setStation('bench2', cfg, 'Reloaded lab');
    const res = await fetch(`${daemon.http.url}/station/bench2`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<body data-station="bench2">');
    const view = (await (await fetch(`${daemon.http.url}/api/status`)).json()) as StatusView;
    expect(view.lab).toBe('Reloaded lab');
    expect(view.stations.map((s) => [s.id, s.readings.map((r) => r.label), s.devices.map((d) => d.id)])).toEqual([
      ['bench1', ['Thickness'], ['scanner1', 'gauge1']],
      ['bench2', ['Mass'], ['scanner1', 'balance1']],
    ]);
  });
});

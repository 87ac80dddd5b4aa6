// Session and recipe rules of the bench, each on a FakeClock.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { pointStats } from '../../src/station/decimal-stats.js';
import { nameTemplateProblem } from '../../src/station/name-template.js';
import type { CellLookupResult } from '../../src/uploader/cell-lookup.js';
import { benchConfig, makeStation, type StationInput } from './helpers.js';

const gaugeOnly = (extra: Partial<StationInput> = {}, prop: Record<string, unknown> = {}): StationInput => ({
  scanner: 'scanner1',
  cell_pattern: '^CELL-[0-9]{4}$',
  properties: { thickness: { device: 'gauge1', unit: 'mm', ...prop } },
  ...extra,
});

describe('recipe', () => {
  it('shows an out-of-range value to the operator, does not take it, and takes the next plausible one', () => {
    const t = makeStation(gaugeOnly({}, { min: 0.1, max: 1 }));
    t.scan('CELL-0001');
    t.thickness('1.200');
    expect(t.saved).toHaveLength(0);
    expect(t.station.snapshot().rejected).toEqual([
      expect.objectContaining({ property: 'thickness', value: '1.200', message: 'thickness: 1.200 mm is above the maximum 1 mm: measure again' }),
    ]);
    expect(t.events('reading.rejected')).toHaveLength(1);
    t.thickness('1.000'); // the limit itself is inside
    expect(t.body().properties.thickness).toEqual({ value: 1, unit: 'mm' });
  });

  it('keeps a 5-point quantity as mean, min, max, std and each point, under the Ionworks name', () => {
    const t = makeStation(gaugeOnly({}, { points: 5, name: 'thickness_um_gauge' }));
    t.scan('CELL-0001');
    for (const v of ['0.512', '0.515', '0.510', '0.520', '0.513']) t.thickness(v);
    const p = t.body().properties;
    expect(p).toEqual({
      thickness_um_gauge: { value: 0.514, unit: 'mm' },
      thickness_um_gauge_min: { value: 0.51, unit: 'mm' },
      thickness_um_gauge_max: { value: 0.52, unit: 'mm' },
      thickness_um_gauge_std: { value: 0.0038, unit: 'mm' },
      thickness_um_gauge_p1: { value: 0.512, unit: 'mm' },
      thickness_um_gauge_p2: { value: 0.515, unit: 'mm' },
      thickness_um_gauge_p3: { value: 0.51, unit: 'mm' },
      thickness_um_gauge_p4: { value: 0.52, unit: 'mm' },
      thickness_um_gauge_p5: { value: 0.513, unit: 'mm' },
    });
    // Each point is a separate raw reading behind the measurement.
    expect(t.traces[0]!.raw.map((r) => r.value)).toEqual(['0.512', '0.515', '0.510', '0.520', '0.513']);
  });

  it('computes statistics in decimal: exact mean, std rounded one digit past the resolution', () => {
    expect(pointStats(['0.1', '0.2'])).toEqual({ mean: '0.15', meanExact: true, min: '0.1', max: '0.2', std: '0.07' });
    // 0.1 + 0.2 in floating point is 0.30000000000000004; here the mean of 0.1, 0.2, 0.3, 0.4 is exactly 0.25.
    expect(pointStats(['0.1', '0.2', '0.3', '0.4']).mean).toBe('0.25');
    expect(pointStats(['1', '1', '2'])).toMatchObject({ mean: '1.333', meanExact: false, std: '0.6' });
    expect(pointStats(['-0.005'])).toEqual({ mean: '-0.005', meanExact: true, min: '-0.005', max: '-0.005' });
  });

  it('builds the name from the template and sends protocol and notes', () => {
    const t = makeStation(gaugeOnly({ name_template: 'thk-{cell}-{uuid}', protocol: { name: 'incoming-inspection', ambient_temperature_degc: 21 }, notes: 'lot 7' }));
    t.scan('CELL-0001');
    t.thickness('0.5');
    expect(t.saved[0]!.name).toBe('thk-CELL-0001-00000000-0000-4000-8000-000000000001');
    expect(t.body()).toMatchObject({ protocol: { name: 'incoming-inspection', ambient_temperature_degc: 21 }, notes: 'lot 7' });
  });

  it('rejects name templates without a unique part or with unsafe characters', () => {
    expect(nameTemplateProblem('{station}_{cell}')).toBe('needs a unique part: {time}, {seq} or {uuid}');
    expect(nameTemplateProblem('{cell} {time}')).toMatch(/only letters, digits/);
    expect(nameTemplateProblem('{cell}_{when}_{seq}')).toMatch(/unknown placeholder\(s\) \{when\}/);
    expect(nameTemplateProblem('{station}_{cell}_{time}_{seq}')).toBeUndefined();
    const cfg = {
      lab: 'L',
      devices: { scanner1: { kind: 'scanner', port: { path: '/dev/null' } }, gauge1: { kind: 'mitutoyo', port: { path: '/dev/null' } } },
      stations: { bench1: gaugeOnly({ name_template: '{cell}(1)' }) },
    };
    const r = configSchema.safeParse(cfg);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('stations.bench1.name_template: only letters, digits, ".", "_" and "-" may appear outside placeholders');
  });
});

describe('session rules', () => {
  it('expires the active cell after idle_timeout_s and logs cell.expired', async () => {
    const t = makeStation({ ...benchConfig, idle_timeout_s: 60 });
    t.mass('0.000');
    t.scan('CELL-0001');
    await t.clock.advance(30_000);
    t.thickness('0.512'); // activity restarts the timer
    await t.clock.advance(59_000);
    expect(t.station.snapshot().activeCell?.id).toBe('CELL-0001');
    await t.clock.advance(1_000);
    expect(t.station.snapshot().activeCell).toBeNull();
    expect(t.events('cell.expired')).toEqual([expect.objectContaining({ level: 'warn', cell: 'CELL-0001', action: 'discard' })]);
    expect(t.station.snapshot().notice?.message).toBe('CELL-0001 was not complete and was discarded (idle too long)');
    expect(t.saved).toHaveLength(0);
  });

  it('restarts the cell when it is scanned again', () => {
    const t = makeStation();
    t.mass('0.000');
    t.scan('CELL-0001');
    t.thickness('0.512');
    t.scan('CELL-0001');
    expect(t.station.snapshot().readings).toEqual({});
    expect(t.events('cell.restarted')[0]).toMatchObject({ discarded: { thickness: ['0.512'] } });
    t.thickness('0.498');
    t.mass('45.1');
    expect(t.body().properties.thickness.value).toBe(0.498);
  });

  it('save_partial: a new scan saves the left cell when its required properties are in', () => {
    const t = makeStation({ ...benchConfig, on_new_scan: 'save_partial', properties: { ...benchConfig.properties, thickness: { device: 'gauge1', unit: 'mm', required: false } } });
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    expect(t.saved).toHaveLength(0); // optional thickness still awaited
    t.scan('CELL-0002');
    expect(t.saved).toHaveLength(1);
    expect(t.body().properties).toEqual({ mass: { value: 45.123, unit: 'g' } });
    expect(t.station.snapshot().activeCell?.id).toBe('CELL-0002');
  });

  it('save_partial still discards (with a warning) a cell whose required properties are missing; discard always does', () => {
    for (const on_new_scan of ['save_partial', 'discard'] as const) {
      const t = makeStation({ ...benchConfig, on_new_scan });
      t.scan('CELL-0001');
      t.thickness('0.512');
      t.scan('CELL-0002');
      expect(t.saved).toHaveLength(0);
      expect(t.events('cell.abandoned')).toEqual([expect.objectContaining({ level: 'warn', action: 'discard', readings: { thickness: ['0.512'] } })]);
      expect(t.station.snapshot().notice).toMatchObject({ level: 'warn', message: 'CELL-0001 was not complete and was discarded' });
    }
  });

  it('#CANCEL drops the cell, #REDO re-takes the last reading', () => {
    const t = makeStation(gaugeOnly({}, { points: 3 }));
    t.scan('CELL-0001');
    t.thickness('0.512');
    t.thickness('0.900'); // slip of the gauge
    t.scan('#REDO');
    expect(t.station.snapshot().points.thickness?.map((p) => p.value)).toEqual(['0.512']);
    t.thickness('0.515');
    t.thickness('0.510');
    expect(t.body().properties.thickness_p2).toEqual({ value: 0.515, unit: 'mm' });
    expect(t.traces[0]!.raw.map((r) => r.value)).toEqual(['0.512', '0.515', '0.510']);

    t.scan('CELL-0002');
    t.thickness('0.4');
    t.scan('#CANCEL');
    expect(t.station.snapshot().activeCell).toBeNull();
    expect(t.events('cell.cancelled')).toHaveLength(1);
    expect(t.saved).toHaveLength(1);
  });

  it('#VOID voids the last saved measurement through the hook, with the operator from the badge', async () => {
    const calls: unknown[] = [];
    const t = makeStation(gaugeOnly(), { voidMeasurement: async (req) => (calls.push(req), { ok: true, message: 'voided' }) });
    t.scan('#VOID');
    expect(t.station.snapshot().notice?.message).toBe('nothing to void');
    t.scan('OP:jdoe');
    t.scan('CELL-0001');
    t.thickness('0.5');
    expect(t.body().test_setup.operator).toBe('jdoe');
    t.scan('#VOID');
    await t.clock.advance(0);
    expect(calls).toEqual([{ id: 1, station: 'bench1', who: 'jdoe' }]);
    expect(t.station.snapshot().lastSaved).toMatchObject({ id: 1, voided: true });
    t.scan('#VOID');
    expect(t.station.snapshot().notice?.message).toBe('nothing to void');
    expect(calls).toHaveLength(1);
  });

  it('keeps the operator until another badge is scanned', () => {
    const t = makeStation(gaugeOnly());
    t.scan('OP:Ana Lima');
    for (const c of ['CELL-0001', 'CELL-0002']) {
      t.scan(c);
      t.thickness('0.5');
    }
    t.scan('OP:bo');
    t.scan('CELL-0003');
    t.thickness('0.5');
    expect(t.saved.map((m) => JSON.parse(m.body).test_setup.operator)).toEqual(['Ana Lima', 'Ana Lima', 'bo']);
    expect(t.station.snapshot().operator).toBe('bo');
  });

  it('refuses a new cell when the outbox cannot accept one', () => {
    const t = makeStation(gaugeOnly(), { canAccept: () => ({ ok: false, reason: 'outbox full' }) });
    t.scan('CELL-0001');
    expect(t.station.snapshot().activeCell).toBeNull();
    expect(t.station.snapshot().notice?.level).toBe('error');
  });
});

describe('traceability', () => {
  it("writes each property's instrument (with model and serial where it reports them), the software version, and keeps raw frames with a retention", () => {
    const properties = { ...benchConfig.properties, thickness: { device: 'gauge1', unit: 'mm', name: 'thickness_gauge' } };
    const t = makeStation({ ...benchConfig, properties, raw_retention_days: 7 }, { deviceIdentity: (id) => (id === 'balance1' ? { model: 'XPR204', serial: 'B207696838' } : undefined) });
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');
    expect(t.body().test_setup).toEqual({
      lab: 'Cell Lab North',
      station: 'bench1',
      software: 'ionworks-edge 0.1.0',
      // Keyed by the Ionworks property name, as in `properties`.
      instruments: { mass: { device: 'balance1', model: 'XPR204', serial: 'B207696838' }, thickness_gauge: { device: 'gauge1' } },
    });
    expect(t.traces[0]).toEqual({
      cellName: null,
      keepUntil: t.clock.now() + 7 * 86_400_000,
      raw: [
        expect.objectContaining({ property: 'mass', device: 'balance1', value: '45.123', raw: 'S S 45.123 g' }),
        expect.objectContaining({ property: 'thickness', device: 'gauge1', value: '0.512' }),
      ],
    });
  });
});

describe('cell ids', () => {
  function deferredLookup() {
    const asked: string[] = [];
    let answer: (r: CellLookupResult) => void = () => undefined;
    const next = () => new Promise<CellLookupResult>((r) => (answer = r));
    return {
      asked,
      answer: (r: CellLookupResult) => answer(r),
      lookup: {
        byId: (id: string) => (asked.push(`id:${id}`), next()),
        byName: (name: string, spec?: string) => (asked.push(`name:${spec}:${name}`), next()),
      },
    };
  }

  it('mode id: an unknown id is told at the bench and the cell is dropped', async () => {
    const d = deferredLookup();
    const t = makeStation(gaugeOnly(), { lookup: d.lookup });
    t.scan('CELL-0001');
    expect(t.station.snapshot().activeCell).toMatchObject({ lookup: 'pending' });
    t.thickness('0.5'); // taken, but the save waits for the answer
    expect(t.saved).toHaveLength(0);
    d.answer({ kind: 'unknown', reason: 'no cell instance with id "CELL-0001"' });
    await t.clock.advance(0);
    expect(t.saved).toHaveLength(0);
    expect(t.station.snapshot()).toMatchObject({ activeCell: null, notice: { level: 'error', message: 'CELL-0001: no cell instance with id "CELL-0001". Check the label and scan again.' } });
    expect(d.asked).toEqual(['id:CELL-0001']);
  });

  it('mode name: a found name is saved with its id; offline, it is saved with the name for resolution before upload', async () => {
    const d = deferredLookup();
    const t = makeStation(gaugeOnly({ cell_pattern: '.+', cell_id: { mode: 'name', cell_specification_id: 'spec-1' } }), { lookup: d.lookup });
    t.scan('SN-42');
    t.thickness('0.5');
    d.answer({ kind: 'found', id: 'ci_9f2', name: 'SN-42' });
    await t.clock.advance(0);
    expect(t.saved[0]).toMatchObject({ cellInstanceId: 'ci_9f2' });
    expect(t.traces[0]!.cellName).toBeNull();

    t.scan('SN-43');
    d.answer({ kind: 'unavailable', reason: 'connect ECONNREFUSED' });
    await t.clock.advance(0);
    t.thickness('0.6');
    expect(t.saved[1]).toMatchObject({ cellInstanceId: 'SN-43' });
    expect(t.traces[1]!.cellName).toBe('SN-43');
    expect(d.asked).toEqual(['name:spec-1:SN-42', 'name:spec-1:SN-43']);
  });

  it('mode name: an ambiguous name is refused', async () => {
    const d = deferredLookup();
    const t = makeStation(gaugeOnly({ cell_pattern: '.+', cell_id: { mode: 'name' } }), { lookup: d.lookup });
    t.scan('SN-42');
    d.answer({ kind: 'ambiguous', reason: '2 cells are named "SN-42" in the organisation; scan the cell id instead' });
    await t.clock.advance(0);
    expect(t.station.snapshot().activeCell).toBeNull();
    expect(t.station.snapshot().notice?.message).toMatch(/2 cells are named/);
  });
});

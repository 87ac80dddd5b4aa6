import { describe, expect, it } from 'vitest';
import type { NewMeasurement } from '../../src/queue/types.js';
import { makeStation } from './helpers.js';

describe('Station', () => {
  it('turns scan -> mass -> thickness into exactly one saved body', async () => {
    const t = makeStation();
    t.mass('0.000'); // empty pan before the scan
    t.scan('CELL-0001');
    await t.clock.advance(1_500);
    t.mass('45.120', false);
    t.mass('45.123');
    await t.clock.advance(2_000);
    t.thickness('0.512');

    expect(t.saved).toHaveLength(1);
    const m = t.saved[0]!;
    const asOutboxRow: NewMeasurement = m; // the station's output is the outbox's input, as is
    expect(asOutboxRow).toEqual({
      cellInstanceId: 'CELL-0001',
      name: 'bench1_CELL-0001_20260101T000003.500Z_1',
      body: m.body,
      station: 'bench1',
      createdAt: Date.UTC(2026, 0, 1, 0, 0, 3, 500),
    });
    expect(JSON.parse(m.body)).toEqual({
      name: 'bench1_CELL-0001_20260101T000003.500Z_1',
      measurement_type: 'properties',
      properties: {
        mass: { value: 45.123, unit: 'g' },
        thickness: { value: 0.512, unit: 'mm' },
      },
      start_time: '2026-01-01T00:00:00.000Z',
      test_setup: {
        lab: 'Cell Lab North',
        station: 'bench1',
        software: 'ionworks-edge 0.1.0',
        instruments: { mass: { device: 'balance1' }, thickness: { device: 'gauge1' } },
      },
    });
    // Optional fields are omitted, never sent as null.
    expect(m.body).not.toContain('null');

    const taken = t.events('reading.taken');
    expect(taken.map((l) => [l.property, l.value, l.unit, l.device, l.cell, l.station])).toEqual([
      ['mass', '45.123', 'g', 'balance1', 'CELL-0001', 'bench1'],
      ['thickness', '0.512', 'mm', 'gauge1', 'CELL-0001', 'bench1'],
    ]);
    // "saved" is logged only after save returned.
    const order = t.logs.map((l) => l.event);
    expect(order.indexOf('measurement.saved')).toBeGreaterThan(order.indexOf('test.save_returned'));
    expect(t.events('measurement.saved')[0]).toMatchObject({ id: 1, name: m.name, cell: 'CELL-0001' });
    expect(t.station.snapshot()).toMatchObject({ activeCell: null, lastSaved: { id: 1, name: m.name, cell: 'CELL-0001' } });
  });

  it('writes station notes into the body', () => {
    const t = makeStation({ scanner: 'scanner1', cell_pattern: '^CELL-[0-9]{4}$', properties: { thickness: { device: 'gauge1', unit: 'mm' } }, notes: 'incoming' });
    t.scan('CELL-0001');
    t.thickness('0.512');
    expect(JSON.parse(t.saved[0]!.body).notes).toBe('incoming');
  });

  it("never attaches the previous cell's weight, still on the pan, to the next cell", () => {
    const t = makeStation();
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');
    expect(t.saved).toHaveLength(1);

    // Nobody lifted CELL-0001 off: the balance keeps reading its weight after CELL-0002 is scanned.
    t.scan('CELL-0002');
    t.mass('45.123');
    t.mass('45.123');
    t.thickness('0.498');
    expect(t.saved).toHaveLength(1);
    expect(t.station.snapshot().readings).not.toHaveProperty('mass');
    expect(t.station.snapshot().missing).toEqual([{ property: 'mass', device: 'balance1', waitingFor: 'unload', required: true, pointsTaken: 0, pointsNeeded: 1 }]);
    expect(t.events('reading.dropped').at(-2)).toMatchObject({
      cell: 'CELL-0002',
      reason: 'pan still loaded since before the scan: lift it off, then weigh again',
    });

    t.mass('0.001'); // unloaded
    expect(t.station.snapshot().missing).toEqual([{ property: 'mass', device: 'balance1', waitingFor: 'reading', required: true, pointsTaken: 0, pointsNeeded: 1 }]);
    t.mass('46.200');
    expect(t.saved).toHaveLength(2);
    expect(JSON.parse(t.saved[1]!.body).properties).toEqual({ mass: { value: 46.2, unit: 'g' }, thickness: { value: 0.498, unit: 'mm' } });
  });

  it('demands an unload when the pan state is unknown at the scan (first reading ever is a load)', () => {
    const t = makeStation();
    t.scan('CELL-0001');
    t.mass('45.123');
    expect(t.station.snapshot().readings).not.toHaveProperty('mass');
    t.mass('0.000');
    t.mass('45.123');
    expect(t.station.snapshot().readings.mass).toMatchObject({ value: '45.123', unit: 'g' });
  });

  it('ignores unstable readings, for capture and for unloading', () => {
    const t = makeStation();
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('12.000', false);
    t.mass('45.100', false);
    expect(t.station.snapshot().readings).toEqual({});
    expect(t.events('reading.dropped').at(-1)).toMatchObject({ reason: 'unstable', stable: false });
    t.mass('45.123');
    t.thickness('0.512');
    // An unstable near-zero wobble with the cell on the pan does not count as lifting it off.
    t.scan('CELL-0002');
    t.mass('0.200', false);
    t.mass('45.123');
    expect(t.station.snapshot().readings).not.toHaveProperty('mass');
  });

  it('drops a reading before any scan with the reason, at info once and then at debug', () => {
    const t = makeStation();
    t.mass('0.000');
    t.mass('0.000');
    const dropped = t.events('reading.dropped');
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatchObject({ level: 'info', reason: 'no active cell', device: 'balance1', station: 'bench1' });
    expect(dropped[1]).toMatchObject({ level: 'debug', reason: 'no active cell' });
    expect(t.saved).toHaveLength(0);
  });

  it('rejects a scan that does not match cell_pattern, and keeps the current cell', () => {
    const t = makeStation();
    t.scan('CELL-0001');
    t.scan('4006381333931');
    expect(t.events('scan.rejected')).toEqual([
      expect.objectContaining({ level: 'warn', code: '4006381333931', reason: 'does not match cell_pattern ^CELL-[0-9]{4}$' }),
    ]);
    expect(t.station.snapshot().activeCell?.id).toBe('CELL-0001');
    expect(t.events('scan.accepted')).toHaveLength(1);
  });

  it('rejects a scan from another station\'s scanner', () => {
    const t = makeStation();
    t.station.handleScan({ device: 'scanner2', code: 'CELL-0001', at: t.clock.now() });
    expect(t.events('scan.rejected')[0]).toMatchObject({ reason: 'device "scanner2" is not this station\'s scanner' });
    expect(t.station.snapshot().activeCell).toBeNull();
  });

  it('converts a reading in another unit of the same dimension exactly, and drops one that cannot be converted', () => {
    const t = makeStation();
    t.scan('CELL-0001');
    t.thickness('512', 'um');
    expect(t.station.snapshot().readings.thickness).toMatchObject({ value: '0.512', unit: 'mm' });
    t.scan('CELL-0002');
    t.thickness('0.5', 'g');
    expect(t.events('reading.dropped').at(-1)).toMatchObject({ level: 'warn', reason: 'unit "g" cannot be converted to the configured "mm"' });
    expect(t.station.snapshot().readings).toEqual({});
  });

  it('takes the first stable gauge reading after the scan and ignores later presses', () => {
    const t = makeStation();
    t.thickness('0.700'); // before the scan: not this cell's
    t.scan('CELL-0001');
    t.thickness('0.512');
    t.thickness('0.530');
    expect(t.station.snapshot().readings.thickness?.value).toBe('0.512');
    expect(t.events('reading.dropped').at(-1)).toMatchObject({ reason: 'already taken for this cell' });
  });

  it('keeps the cell and its readings when save throws, logs not_saved, and a rescan retries with the same body', async () => {
    const t = makeStation();
    const changes: unknown[] = [];
    t.station.on('changed', (s) => changes.push(s));
    t.failure.error = new Error('SQLITE_FULL: database or disk is full');
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');

    expect(t.saved).toHaveLength(0);
    expect(t.events('measurement.saved')).toHaveLength(0);
    const notSaved = t.events('measurement.not_saved');
    expect(notSaved).toHaveLength(1);
    expect(notSaved[0]).toMatchObject({ level: 'error', cell: 'CELL-0001', err: 'SQLITE_FULL: database or disk is full' });
    const snap = t.station.snapshot();
    expect(snap.activeCell?.id).toBe('CELL-0001');
    expect(Object.keys(snap.readings)).toEqual(['mass', 'thickness']);
    expect(snap.unsaved).toEqual({ name: notSaved[0]!.name });
    expect(snap.lastError).toMatchObject({ cell: 'CELL-0001', message: 'SQLITE_FULL: database or disk is full' });
    expect(changes.at(-1)).toEqual(snap);

    await t.clock.advance(5_000);
    t.failure.error = null;
    t.scan('CELL-0001');
    expect(t.saved).toHaveLength(1);
    expect(t.saved[0]!.name).toBe(notSaved[0]!.name);
    expect(JSON.parse(t.saved[0]!.body).start_time).toBe('2026-01-01T00:00:00.000Z');
    expect(t.station.snapshot()).toMatchObject({ activeCell: null, unsaved: null, lastError: null });
  });

  it('logs an unsaved measurement in full when a new scan abandons it', () => {
    const t = makeStation();
    t.failure.error = new Error('disk I/O error');
    t.mass('0.000');
    t.scan('CELL-0001');
    t.mass('45.123');
    t.thickness('0.512');
    t.scan('CELL-0002');
    const abandoned = t.events('cell.abandoned');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatchObject({ level: 'error', cell: 'CELL-0001', next: 'CELL-0002' });
    expect(JSON.parse(abandoned[0]!.body as string).properties.mass).toEqual({ value: 45.123, unit: 'g' });
  });

  it('gives unique, safe names to many cells completed in the same millisecond', () => {
    const t = makeStation({ scanner: 'scanner1', cell_pattern: '.+', properties: { thickness: { device: 'gauge1', unit: 'mm' } } });
    for (let i = 0; i < 200; i++) {
      t.scan(i % 2 ? `CELL-${i}` : 'CELL/0001 (re-test)'); // same code several times, unsafe characters
      t.thickness('0.500');
    }
    const names = t.saved.map((m) => m.name);
    expect(names).toHaveLength(200);
    expect(new Set(names).size).toBe(200);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9._-]{1,255}$/);
    expect(names[0]).toBe('bench1_CELL-0001--re-test-_20260101T000000.000Z_1');
  });
});

import { describe, expect, it } from 'vitest';
import { jsonEqual, matchStored, parseListResponse, sameInstant } from '../../src/uploader/dedup.js';
import { SameFailureBreaker } from '../../src/uploader/breaker.js';
import { lookupPath } from '../../src/uploader/http.js';

const stored = JSON.stringify({
  name: 'thickness 2026-01-01T10:00:00Z #ab12',
  measurement_type: 'properties',
  properties: { thickness: { value: 0.52, unit: 'mm' }, binder: 'PVDF' },
  start_time: '2026-01-01T10:00:00Z',
});
const item = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'thickness 2026-01-01T10:00:00Z #ab12',
  properties: { binder: 'PVDF', thickness: { unit: 'mm', value: 0.52 } },
  start_time: '2026-01-01T11:00:00+01:00',
  ...extra,
});

describe('de-duplication lookup', () => {
  it('builds the lookup path with the name URL-encoded after eq.', () => {
    expect(lookupPath('CELL/1 #ä', 'm 1&x=eq.2?')).toBe(
      '/cell_instances/CELL%2F1%20%23%C3%A4/cell_measurements?name=eq.m%201%26x%3Deq.2%3F&measurement_type=properties&limit=100',
    );
  });

  it('reads {items,count,total} and a plain array; null for anything else', () => {
    expect(parseListResponse(JSON.stringify({ items: [item('a')], count: 1, total: 1 }))).toEqual([
      { id: 'a', properties: item('a').properties, start_time: item('a').start_time },
    ]);
    expect(parseListResponse(JSON.stringify([item('b')]))?.map((m) => m.id)).toEqual(['b']);
    expect(parseListResponse('{"detail":"x"}')).toBeNull();
    expect(parseListResponse('<html>')).toBeNull();
  });

  it('compares parsed JSON (key order ignored, array order and number values kept)', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 0.52 }, { a: 0.520000001 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });

  it('compares start_time as instants; absent equals null', () => {
    expect(sameInstant('2026-01-01T10:00:00Z', '2026-01-01T11:00:00+01:00')).toBe(true);
    expect(sameInstant('2026-01-01T10:00:00.000Z', '2026-01-01T10:00:00.001Z')).toBe(false);
    expect(sameInstant(undefined, null)).toBe(true);
    expect(sameInstant('2026-01-01T10:00:00Z', null)).toBe(false);
  });

  it('same properties and start_time -> same (first id); a different one under the name -> different; none -> none', () => {
    expect(matchStored(stored, [])).toEqual({ kind: 'none' });
    expect(matchStored(stored, parseListResponse(JSON.stringify([item('a'), item('b')]))!)).toEqual({ kind: 'same', serverId: 'a', matches: 2 });
    const other = parseListResponse(JSON.stringify([item('x', { properties: { thickness: { value: 0.53, unit: 'mm' }, binder: 'PVDF' } })]))!;
    expect(matchStored(stored, other)).toEqual({ kind: 'different', existing: other });
    const later = parseListResponse(JSON.stringify([item('y', { start_time: '2026-01-01T10:00:01Z' })]))!;
    expect(matchStored(stored, later).kind).toBe('different');
    // Never on the name alone, even when the found one lacks properties.
    expect(matchStored(stored, [{ id: 'z', properties: undefined, start_time: undefined }]).kind).toBe('different');
  });
});

describe('SameFailureBreaker', () => {
  it('trips on the limit-th identical rejection in a row, not before; other signatures and successes reset it', () => {
    const b = new SameFailureBreaker(3);
    expect([b.reject('A'), b.reject('A')]).toEqual([false, false]);
    expect(b.reject('B')).toBe(false);
    expect([b.reject('B'), b.reject('B')]).toEqual([false, true]);
    b.success();
    expect([b.reject('B'), b.reject('B')]).toEqual([false, false]);
    b.success();
    expect([b.reject('A'), b.reject('A'), b.reject('A')]).toEqual([false, false, true]);
  });
});

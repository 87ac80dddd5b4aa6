import { describe, expect, it } from 'vitest';
import { measurementName, sanitizeNamePart } from '../../src/station/name.js';

describe('measurementName', () => {
  it('is deterministic from station, cell, completion time and sequence', () => {
    const p = { station: 'bench1', cellId: 'CELL-0001', completedAt: Date.UTC(2026, 0, 1, 0, 0, 0, 123), seq: 1 };
    expect(measurementName(p)).toBe('bench1_CELL-0001_20260101T000000.123Z_1');
    expect(measurementName(p)).toBe(measurementName({ ...p }));
    expect(measurementName({ ...p, seq: 2 })).toBe('bench1_CELL-0001_20260101T000000.123Z_2');
  });

  it('replaces characters that are not safe in a name filter', () => {
    expect(sanitizeNamePart('A,B(1)*%/ é:x')).toBe('A-B-1-------x');
    expect(sanitizeNamePart('ok.name_-1')).toBe('ok.name_-1');
    expect(sanitizeNamePart('a b:c')).toBe('a-b-c');
  });

  it('stays within 255 characters by shortening the cell part, keeping time and sequence', () => {
    const name = measurementName({ station: 's'.repeat(64), cellId: 'C'.repeat(400), completedAt: 0, seq: 123456 });
    expect(name).toHaveLength(255);
    expect(name.endsWith('_19700101T000000.000Z_123456')).toBe(true);
    expect(name.startsWith(`${'s'.repeat(64)}_CCC`)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { createPropertiesMeasurementSchema } from '../../src/station/measurement-schema.js';

const ok = { name: 'n', properties: { mass: { value: 45.1, unit: 'g' } } };

describe('createPropertiesMeasurementSchema', () => {
  it('accepts the minimal body (name and properties are the only required keys) and explicit nulls', () => {
    expect(createPropertiesMeasurementSchema.safeParse(ok).success).toBe(true);
    const nulls = { ...ok, protocol: null, start_time: null, test_setup: null, notes: null, file_metadata: null };
    expect(createPropertiesMeasurementSchema.safeParse(nulls).success).toBe(true);
  });

  it.each([
    ['an empty name', { ...ok, name: '' }],
    ['a name over 255 chars', { ...ok, name: 'x'.repeat(256) }],
    ['a missing properties object', { name: 'n' }],
    ['a numeric value sent as text inside a Quantity', { ...ok, properties: { mass: { value: '45.1', unit: 'g' } } }],
    ['a Quantity without unit', { ...ok, properties: { mass: { value: 45.1 } } }],
    ['a non-finite value', { ...ok, properties: { mass: { value: Number.NaN, unit: 'g' } } }],
    ['an unknown measurement_type', { ...ok, measurement_type: 'weights' }],
    ['a start_time without timezone', { ...ok, start_time: '2026-01-01T00:00:00' }],
    ['a key the API does not define', { ...ok, cell_instance_id: 'x' }],
    ['step_labels_validated as text', { ...ok, step_labels_validated: 'false' }],
  ])('rejects %s', (_what, body) => {
    expect(createPropertiesMeasurementSchema.safeParse(body).success).toBe(false);
  });

  it('accepts a start_time with an offset, as the API allows', () => {
    expect(createPropertiesMeasurementSchema.safeParse({ ...ok, start_time: '2026-01-01T01:00:00+01:00' }).success).toBe(true);
  });
});

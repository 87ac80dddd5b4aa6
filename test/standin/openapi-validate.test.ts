import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENAPI_PATH } from '../../src/demo/standin/server.js';
import { loadOpenApi, validateSchema, type OpenApiDoc } from '../../src/demo/standin/openapi-validate.js';

const doc = loadOpenApi(DEFAULT_OPENAPI_PATH);
const req = (v: unknown) => validateSchema(doc, 'CreatePropertiesMeasurementRequest', v, ['body']);
const valid = { name: 'thickness 2026-01-01T00:00:00Z #1', properties: { thickness: { value: 0.52, unit: 'mm' } } };

describe('validator walking the OpenAPI text', () => {
  it('accepts a minimal valid body and fills the documented defaults', () => {
    const r = req(valid);
    expect(r.issues).toEqual([]);
    expect(r.value).toEqual({ ...valid, measurement_type: 'properties', step_labels_validated: false });
  });

  it('accepts every optional field in its documented shape, nulls included', () => {
    const body = {
      ...valid,
      protocol: { name: 'manual' },
      start_time: '2026-01-01T10:00:00.123+01:00',
      test_setup: { lab: 'L1' },
      step_labels_validated: false,
      notes: null,
      measurement_type: 'properties',
      file_metadata: null,
    };
    expect(req(body).issues).toEqual([]);
  });

  it.each([
    ['missing name', { properties: {} }, ['body', 'name'], 'missing'],
    ['empty name', { ...valid, name: '' }, ['body', 'name'], 'string_too_short'],
    ['name of 256 characters', { ...valid, name: 'x'.repeat(256) }, ['body', 'name'], 'string_too_long'],
    ['unknown measurement_type', { ...valid, measurement_type: 'weight' }, ['body', 'measurement_type'], 'enum'],
    ['properties an array', { ...valid, properties: [1] }, ['body', 'properties'], 'dict_type'],
    ['properties a string', { ...valid, properties: 'x' }, ['body', 'properties'], 'dict_type'],
    ['step_labels_validated a string', { ...valid, step_labels_validated: 'no' }, ['body', 'step_labels_validated'], 'bool_type'],
    ['start_time without a zone', { ...valid, start_time: '2026-01-01T10:00:00' }, ['body', 'start_time'], 'datetime_parsing'],
    ['body not an object', [valid], ['body'], 'dict_type'],
  ])('rejects %s', (_label, body, loc, type) => {
    const { issues } = req(body);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues).toContainEqual(expect.objectContaining({ loc, type }));
  });

  it('accepts a name of exactly 255 characters (counted as characters, not bytes)', () => {
    expect(req({ ...valid, name: 'é'.repeat(255) }).issues).toEqual([]);
  });

  it('a failed anyOf reports every branch', () => {
    const { issues } = req({ ...valid, notes: 5 });
    expect(issues.map((i) => i.type).sort()).toEqual(['none_required', 'string_type']);
  });

  it('also describes the 201 answer: CellMeasurement requires the server-side fields', () => {
    const { issues } = validateSchema(doc, 'CellMeasurement', { name: 'n' });
    expect(issues.map((i) => i.loc.join('.')).sort()).toEqual(['cell_instance_id', 'created_at', 'id', 'organization_id', 'updated_at']);
  });

  const tiny = (schema: Record<string, unknown>): OpenApiDoc => ({ components: { schemas: { T: schema } } });

  it('additionalProperties false and as a schema', () => {
    const closed = tiny({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false });
    expect(validateSchema(closed, 'T', { a: 'x', b: 1 }).issues).toEqual([expect.objectContaining({ loc: ['b'], type: 'extra_forbidden' })]);
    const typed = tiny({ type: 'object', additionalProperties: { type: 'string' } });
    expect(validateSchema(typed, 'T', { a: 'x' }).issues).toEqual([]);
    expect(validateSchema(typed, 'T', { a: 1 }).issues).toEqual([expect.objectContaining({ loc: ['a'], type: 'string_type' })]);
  });

  it('throws on a keyword or format it cannot check instead of passing it silently', () => {
    expect(() => validateSchema(tiny({ type: 'string', pattern: '^a$' }), 'T', 'b')).toThrow(/unsupported schema keyword "pattern"/);
    expect(() => validateSchema(tiny({ type: 'string', format: 'email' }), 'T', 'b')).toThrow(/unsupported format "email"/);
    expect(() => validateSchema(tiny({ $ref: '#/components/schemas/Nope' }), 'T', 1)).toThrow(/unresolved \$ref/);
  });
});

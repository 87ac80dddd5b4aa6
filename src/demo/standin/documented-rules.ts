// Rules the OpenAPI text states in prose rather than in schema keywords; the stand-in enforces them too.
import type { ValidationIssue } from './openapi-validate.js';

/**
 * "Key-value measurements using Quantity format for numerics" (CreatePropertiesMeasurementRequest.properties)
 * and "Must be 'properties' for this endpoint" (measurement_type). Call after the schema check passed.
 */
export function documentedRuleIssues(body: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (body.measurement_type !== undefined && body.measurement_type !== 'properties')
    issues.push({
      loc: ['body', 'measurement_type'],
      msg: "Must be 'properties' for this endpoint",
      type: 'value_error',
      input: body.measurement_type,
    });
  const props = body.properties as Record<string, unknown>;
  for (const [key, v] of Object.entries(props)) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const q = v as Record<string, unknown>;
    if (typeof q.value !== 'number')
      issues.push({ loc: ['body', 'properties', key, 'value'], msg: 'Quantity value should be a number', type: 'float_type', input: q.value });
    if (typeof q.unit !== 'string')
      issues.push({ loc: ['body', 'properties', key, 'unit'], msg: 'Quantity unit should be a string', type: 'string_type', input: q.unit });
  }
  return issues;
}

// A small JSON-Schema subset validator that walks the API's own OpenAPI text, so the stand-in judges bodies by
// the published contract and not by the project's zod schema (a mistake shared by both could never fail a test).
// Keywords outside the subset throw: a rule this validator cannot check must never be passed silently.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Loc = Array<string | number>;

/** One entry of FastAPI's HTTPValidationError.detail. */
export interface ValidationIssue {
  loc: Loc;
  msg: string;
  type: string;
  input?: unknown;
}

type Schema = Record<string, unknown>;

export interface OpenApiDoc {
  components: { schemas: Record<string, Schema> };
}

const SUPPORTED = new Set([
  'type',
  'required',
  'properties',
  'additionalProperties',
  'anyOf',
  '$ref',
  'enum',
  'minLength',
  'maxLength',
  'format',
  'default',
  // Annotations: no effect on validity.
  'title',
  'description',
]);

// RFC 3339 date-time; the API asks for an ISO 8601 datetime "with timezone", so an offset is required.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function loadOpenApi(path: string): OpenApiDoc {
  const doc = parse(readFileSync(path, 'utf8')) as OpenApiDoc;
  if (!doc?.components?.schemas) throw new Error(`${path}: no components.schemas`);
  return doc;
}

/**
 * Validates `value` against `#/components/schemas/<name>`. Returns the issues (empty when valid) and the value
 * with schema defaults filled in for absent object properties.
 */
export function validateSchema(
  doc: OpenApiDoc,
  name: string,
  value: unknown,
  loc: Loc = [],
): { issues: ValidationIssue[]; value: unknown } {
  return walk(doc, resolve(doc, { $ref: `#/components/schemas/${name}` }), value, loc);
}

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  const target = doc.components.schemas[ref.slice(prefix.length)];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  // OpenAPI 3.1 allows siblings next to $ref (description, default): they apply alongside the target.
  const { $ref: _ref, ...siblings } = schema;
  return { ...resolve(doc, target), ...siblings };
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const got = typeOf(v);
  return want === got || (want === 'number' && got === 'integer');
}

const TYPE_MSG: Record<string, [string, string]> = {
  object: ['Input should be a valid dictionary', 'dict_type'],
  string: ['Input should be a valid string', 'string_type'],
  boolean: ['Input should be a valid boolean', 'bool_type'],
  number: ['Input should be a valid number', 'float_type'],
  integer: ['Input should be a valid integer', 'int_type'],
  null: ['Input should be None', 'none_required'],
  array: ['Input should be a valid list', 'list_type'],
};

function walk(doc: OpenApiDoc, raw: Schema, value: unknown, loc: Loc): { issues: ValidationIssue[]; value: unknown } {
  const schema = resolve(doc, raw);
  for (const k of Object.keys(schema)) if (!SUPPORTED.has(k)) throw new Error(`unsupported schema keyword "${k}" at ${loc.join('.')}`);
  if (schema.format !== undefined && schema.format !== 'date-time') throw new Error(`unsupported format "${String(schema.format)}"`);
  const issue = (msg: string, type: string, at: Loc = loc): ValidationIssue => ({ loc: at, msg, type, input: value });

  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as Schema[]).map((b) => walk(doc, b, value, loc));
    const ok = branches.find((b) => b.issues.length === 0);
    return ok ?? { issues: branches.flatMap((b) => b.issues), value };
  }

  if (typeof schema.type === 'string' && !typeMatches(schema.type, value)) {
    const [msg, type] = TYPE_MSG[schema.type] ?? [`Input should be of type ${schema.type}`, 'type_error'];
    return { issues: [issue(msg, type)], value };
  }

  const issues: ValidationIssue[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    const options = schema.enum.map((e) => `'${String(e)}'`);
    const list = options.length > 1 ? `${options.slice(0, -1).join(', ')} or ${options.at(-1)}` : options.join('');
    issues.push(issue(`Input should be ${list}`, 'enum'));
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    if (typeof schema.minLength === 'number' && len < schema.minLength)
      issues.push(issue(`String should have at least ${schema.minLength} character${schema.minLength === 1 ? '' : 's'}`, 'string_too_short'));
    if (typeof schema.maxLength === 'number' && len > schema.maxLength)
      issues.push(issue(`String should have at most ${schema.maxLength} characters`, 'string_too_long'));
    if (schema.format === 'date-time' && !(DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))))
      issues.push(issue('Input should be a valid datetime with a timezone (RFC 3339)', 'datetime_parsing'));
  }
  if (typeOf(value) !== 'object') return { issues, value };

  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...obj };
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const key of (schema.required ?? []) as string[])
    if (!(key in obj)) issues.push({ loc: [...loc, key], msg: 'Field required', type: 'missing', input: value });
  for (const [key, sub] of Object.entries(props)) {
    if (key in obj) {
      const r = walk(doc, sub, obj[key], [...loc, key]);
      issues.push(...r.issues);
      out[key] = r.value;
    } else {
      const d = resolve(doc, sub).default;
      if (d !== undefined) out[key] = structuredClone(d);
    }
  }
  const extra = schema.additionalProperties;
  for (const key of Object.keys(obj)) {
    if (key in props || extra === undefined || extra === true) continue;
    if (extra === false) issues.push({ loc: [...loc, key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: obj[key] });
    else issues.push(...walk(doc, extra as Schema, obj[key], [...loc, key]).issues);
  }
  return { issues, value: out };
}

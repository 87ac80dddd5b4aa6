// Environment overrides: IONWORKS_EDGE_<KEY>__<KEY>... sets one config key, before validation, so an override
// is checked exactly like the file. Names are matched against the schema (case-insensitive), so a typo is an
// error naming the variable instead of a setting that silently does nothing.
import type { z } from 'zod';
import { configSchema } from './schema.js';

export const ENV_PREFIX = 'IONWORKS_EDGE_';
/** Separates levels: IONWORKS_EDGE_API__BASE_URL is api.base_url. */
export const ENV_SEPARATOR = '__';

export interface EnvOverride {
  /** The variable's name, e.g. IONWORKS_EDGE_HTTP__PORT. */
  variable: string;
  /** The config key it sets, as path segments with the config's own spelling: ['http', 'port']. */
  path: string[];
}

export interface EnvOverrideResult {
  /** The file's content with the overrides applied (a copy; the input is not changed). */
  value: unknown;
  applied: EnvOverride[];
  /** `IONWORKS_EDGE_X: problem` lines for variables that name no config key. */
  problems: string[];
}

type Schema = z.core.$ZodType;

/** Applies every IONWORKS_EDGE_* variable to `raw` (the parsed YAML). Values are JSON when they parse, else text. */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv, schema: Schema = configSchema): EnvOverrideResult {
  const found = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && env[name] !== undefined)
    .map((variable) => ({ variable, segments: variable.slice(ENV_PREFIX.length).split(ENV_SEPARATOR) }))
    // Shallow first, so IONWORKS_EDGE_API='{...}' and IONWORKS_EDGE_API__TIMEOUT_MS=... compose predictably.
    .sort((a, b) => a.segments.length - b.segments.length || a.variable.localeCompare(b.variable));
  if (found.length === 0) return { value: raw, applied: [], problems: [] };
  // An empty file plus overrides is a config built from the environment alone.
  const value: unknown = raw === undefined || raw === null ? {} : structuredClone(raw);
  const applied: EnvOverride[] = [];
  const problems: string[] = [];
  if (!isObject(value)) return { value, applied, problems: found.map((f) => `${f.variable}: cannot apply: the config file is not a mapping`) };
  for (const { variable, segments } of found) {
    if (segments.some((s) => s === '')) {
      problems.push(`${variable}: empty key name (levels are separated by exactly "${ENV_SEPARATOR}")`);
      continue;
    }
    const resolved = resolvePath(schema, segments, value);
    if (typeof resolved === 'string') {
      problems.push(`${variable}: ${resolved}`);
      continue;
    }
    const blocked = setAt(value, resolved, parseValue(env[variable] as string));
    if (blocked) problems.push(`${variable}: cannot set ${resolved.join('.')}: ${blocked} in the config file is not a mapping`);
    else applied.push({ variable, path: resolved });
  }
  return { value, applied, problems };
}

/** The override that set `at` (a dotted problem path) or one of its parents, if any. */
export function overrideFor(at: string, applied: readonly EnvOverride[]): EnvOverride | undefined {
  let best: EnvOverride | undefined;
  for (const o of applied) {
    const key = o.path.join('.');
    if ((at === key || at.startsWith(`${key}.`) || at.startsWith(`${key}[`)) && (!best || o.path.length > best.path.length)) best = o;
  }
  return best;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The path in the config's spelling, or a problem in words. `raw` supplies existing record keys (device ids). */
function resolvePath(schema: Schema, segments: string[], raw: unknown): string[] | string {
  const out: string[] = [];
  let node: Schema = schema;
  let here: unknown = raw;
  for (const segment of segments) {
    const where = out.length === 0 ? 'the config' : out.join('.');
    node = unwrap(node);
    const def = node._zod.def as unknown as Def;
    if (def.type === 'union' && def.options) node = pickOption(def.options, def.discriminator, here, segment);
    const obj = unwrap(node)._zod.def as unknown as Def;
    const lower = segment.toLowerCase();
    if (obj.type === 'object' && obj.shape) {
      const key = Object.keys(obj.shape).find((k) => k.toLowerCase() === lower);
      if (!key) return `${where} has no key "${lower}" (keys: ${Object.keys(obj.shape).join(', ')})`;
      out.push(key);
      node = obj.shape[key] as Schema;
    } else if (obj.type === 'record' && obj.valueType) {
      // Record keys are ids the file chose (balance1, Bench-A): reuse the file's spelling when one matches.
      const existing = isObject(here) ? Object.keys(here).find((k) => k.toLowerCase() === lower) : undefined;
      out.push(existing ?? lower);
      node = obj.valueType as Schema;
    } else {
      return `${where} is a single value, not a mapping, so it has no key "${lower}"`;
    }
    here = isObject(here) ? here[out[out.length - 1] as string] : undefined;
  }
  return out;
}

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  options?: Schema[];
  discriminator?: string;
}

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (;;) {
    const def = s._zod.def as unknown as Def;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** A device's shape depends on its kind: use the kind already in the file, else the first option with the key. */
function pickOption(options: Schema[], discriminator: string | undefined, here: unknown, segment: string): Schema {
  const kind = discriminator && isObject(here) ? here[discriminator] : undefined;
  const shapeOf = (o: Schema) => ((unwrap(o)._zod.def as unknown as Def).shape ?? {}) as Record<string, Schema>;
  const byKind = options.find((o) => {
    const d = discriminator ? (shapeOf(o)[discriminator]?._zod.def as unknown as { values?: unknown[] } | undefined) : undefined;
    return d?.values?.includes(kind);
  });
  return byKind ?? options.find((o) => Object.keys(shapeOf(o)).some((k) => k === segment.toLowerCase())) ?? (options[0] as Schema);
}

/** Sets `path` in `root`, creating missing mappings; returns the dotted path of a non-mapping in the way, if any. */
function setAt(root: unknown, path: string[], value: unknown): string | undefined {
  let node = root as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    if (node[key] === undefined || node[key] === null) node[key] = {};
    if (!isObject(node[key])) return path.slice(0, i + 1).join('.');
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Reads the YAML config, validates it with the schema, and finds the API key (environment first, then key file).
// The key is never part of the YAML, and never appears in a log line or an error message.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { ConfigError } from './errors.js';
import { applyEnvOverrides, overrideFor, type EnvOverride } from './env.js';

export type ApiKeySource = 'env' | 'key_file' | 'none';

export interface LoadedConfig {
  config: Config;
  apiKey?: string;
  /** Where the API key came from. */
  source: ApiKeySource;
  /** IONWORKS_EDGE_* variables that changed the file's settings. */
  overrides: EnvOverride[];
}

const KEY_ENV = 'IONWORKS_API_KEY';
const KEY_HOME = `put the API key in the file named by api.key_file (readable only by the service user) or in the ${KEY_ENV} environment variable, never in the config file`;
/** Key names that mean someone pasted a key into the YAML. */
const KEY_NAMES = /^(api[_-]?key|apikey|x-api-key|secret|token|password)$/i;
/** Ionworks keys look like iwk_...; a value shaped like one is a key wherever it sits. */
const KEY_VALUE = /^iwk_/;

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`(file): cannot read: ${(err as Error).message}`]);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(path, doc.errors.map(yamlProblem));
  const withEnv = applyEnvOverrides(doc.toJS(), env);
  const raw = withEnv.value;
  // A problem in a value set from the environment names the variable, so nobody searches the file for it.
  const where = (at: string) => {
    const o = overrideFor(at, withEnv.applied);
    return o ? `${at} (from ${o.variable})` : at;
  };

  const secrets = findSecrets(raw, []);
  const parsed = configSchema.safeParse(raw ?? undefined, { reportInput: true });
  const problems = [...withEnv.problems, ...secrets.map((p) => `${where(p)}: looks like an API key; ${KEY_HOME}`)];
  if (!parsed.success)
    for (const [at, problem] of parsed.error.issues.flatMap(issueProblems))
      // A pasted key is reported once, above, and its value is never echoed back.
      if (!secrets.some((s) => at === s || at.startsWith(`${s}.`))) problems.push(`${where(at)}: ${problem}`);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(path, problems);
  const overrides = withEnv.applied;

  const base = dirname(resolve(path));
  const config: Config = {
    ...parsed.data,
    state_dir: resolve(base, parsed.data.state_dir),
    api: { ...parsed.data.api, ...(parsed.data.api.key_file ? { key_file: resolve(base, parsed.data.api.key_file) } : {}) },
  };
  const fromEnv = env[KEY_ENV]?.trim();
  if (fromEnv) return { config, apiKey: fromEnv, source: 'env', overrides };
  if (!config.api.key_file) return { config, source: 'none', overrides };
  let key: string;
  try {
    key = readFileSync(config.api.key_file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(path, [`api.key_file: cannot read ${config.api.key_file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  if (key === '') throw new ConfigError(path, [`api.key_file: ${config.api.key_file} is empty`]);
  return { config, apiKey: key, source: 'key_file', overrides };
}

function yamlProblem(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }): string {
  const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'at the end';
  // yaml appends " at line L, column C:" and a source excerpt; the position is given once, in front.
  return `(yaml) ${where}: ${e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')}`;
}

/** Paths (dotted) of keys named like a secret, or of values shaped like an Ionworks key. */
function findSecrets(v: unknown, at: (string | number)[]): string[] {
  if (typeof v === 'string') return KEY_VALUE.test(v.trim()) ? [pathText(at)] : [];
  if (typeof v !== 'object' || v === null) return [];
  const out: string[] = [];
  for (const [k, child] of Object.entries(v)) {
    const here = [...at, Array.isArray(v) ? Number(k) : k];
    if (KEY_NAMES.test(k) || (at.length === 1 && at[0] === 'api' && k === 'key')) out.push(pathText(here));
    else out.push(...findSecrets(child, here));
  }
  return out;
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** [key path, problem] pairs for one zod issue (unknown keys give one pair per key). */
function issueProblems(issue: z.core.$ZodIssue): [string, string][] {
  const at = pathText(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined && issue.path.length > 0) return [[at, 'required key is missing']];
      return [[at, `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`]];
    case 'unrecognized_keys':
      return issue.keys.map((k) => [pathText([...issue.path, k]), 'unknown key']);
    case 'invalid_value':
      return [[at, `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(issue.input)}`]];
    case 'invalid_union':
      // A discriminated union (device `kind`) whose value matches no option; the path already ends in the key.
      if (issue.discriminator && 'options' in issue && issue.options)
        return [[at, `expected ${issue.options.map((o) => JSON.stringify(o)).join(' or ')}, got ${describe((issue.input as Record<string, unknown> | undefined)?.[issue.discriminator])}`]];
      return [[at, issue.message]];
    case 'invalid_key':
      return issue.issues.map((i) => [at, `invalid name: ${i.message}`]);
    case 'too_small':
      return [[at, `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : ''}, got ${describe(issue.input)}`]];
    case 'too_big':
      return [[at, `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : ''}, got ${describe(issue.input)}`]];
    case 'invalid_format':
      return [[at, `${issue.format === 'regex' && !issue.message.startsWith('Invalid') ? issue.message : `is not a valid ${issue.format}`}, got ${describe(issue.input)}`]];
    default:
      return [[at, issue.message]];
  }
}

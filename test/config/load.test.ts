import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';

const VALID = `
lab: Cell Lab North
state_dir: state
api:
  key_file: secrets/api-key
devices:
  scanner1:
    kind: scanner
    port: { path: /dev/ttyUSB0 }
  balance1:
    kind: mtsics
    port: { path: /dev/ttyUSB1, baud_rate: 9600 }
  gauge1:
    kind: mitutoyo
    port: { path: /dev/ttyUSB2 }
stations:
  bench1:
    scanner: scanner1
    cell_pattern: '^CELL-[0-9]{4}$'
    properties:
      mass: { device: balance1, unit: g, min_load: 1 }
      thickness: { device: gauge1, unit: mm }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iwe-config-'));
});

function write(text: string, name = 'config.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function writeKey(text: string): void {
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  writeFileSync(join(dir, 'secrets', 'api-key'), text);
}

/** The ConfigError thrown for `text` (fails the test if loading succeeds). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  const path = write(text);
  try {
    loadConfig(path, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.exitCode).toBe(78);
    for (const p of e.problems) expect(e.message).toContain(p);
    return e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads a valid file, resolving relative paths against its directory and reading the key file', () => {
    writeKey('  iwk_test_123\n');
    const r = loadConfig(write(VALID), {});
    expect(r.apiKey).toBe('iwk_test_123');
    expect(r.source).toBe('key_file');
    expect(r.config.state_dir).toBe(join(dir, 'state'));
    expect(r.config.api.key_file).toBe(join(dir, 'secrets', 'api-key'));
    expect(r.config.devices.balance1).toMatchObject({ kind: 'mtsics', poll_ms: 250, port: { baud_rate: 9600, parity: 'none' } });
  });

  it('takes the key from IONWORKS_API_KEY over the key file', () => {
    writeKey('iwk_from_file');
    const r = loadConfig(write(VALID), { IONWORKS_API_KEY: 'iwk_from_env' });
    expect(r).toMatchObject({ apiKey: 'iwk_from_env', source: 'env' });
  });

  it('runs without a key when neither is set (the uploader reports it)', () => {
    const r = loadConfig(write(VALID.replace('  key_file: secrets/api-key\n', '  timeout_ms: 5000\n')), {});
    expect(r.source).toBe('none');
    expect(r.apiKey).toBeUndefined();
  });

  it('reports an unreadable or empty key file under api.key_file', () => {
    const missing = problemsOf(VALID);
    expect(missing.problems).toEqual([`api.key_file: cannot read ${join(dir, 'secrets', 'api-key')}: ENOENT`]);
    writeKey(' \n');
    expect(problemsOf(VALID).problems).toEqual([`api.key_file: ${join(dir, 'secrets', 'api-key')} is empty`]);
  });

  it('reports a missing required key', () => {
    expect(problemsOf(VALID.replace('lab: Cell Lab North\n', '')).problems).toEqual(['lab: required key is missing']);
  });

  it('reports a wrong type with the offending value', () => {
    expect(problemsOf(VALID.replace('baud_rate: 9600', 'baud_rate: fast')).problems).toEqual([
      'devices.balance1.port.baud_rate: expected a number, got "fast"',
    ]);
  });

  it('reports an unknown key', () => {
    expect(problemsOf(VALID.replace('baud_rate: 9600', 'baud: 9600')).problems).toEqual(['devices.balance1.port.baud: unknown key']);
  });

  it('reports a bad enum value and an unknown device kind', () => {
    const text = VALID.replace('kind: mitutoyo', 'kind: micrometer').replace('baud_rate: 9600', 'parity: sometimes');
    expect(problemsOf(text).problems).toEqual([
      'devices.balance1.port.parity: expected "none" or "even" or "odd" or "mark" or "space", got "sometimes"',
      // The list of kinds grows with every family; what matters is that it names the known ones and the bad one.
      expect.stringMatching(/^devices\.gauge1\.kind: expected "scanner" or "mtsics" or "mitutoyo" or .*"hid-scanner".*, got "micrometer"$/),
    ]);
  });

  it('reports a reference to a device that does not exist', () => {
    expect(problemsOf(VALID.replace('device: balance1', 'device: balance9')).problems).toEqual([
      'stations.bench1.properties.mass.device: no device "balance9" in devices',
    ]);
  });

  it('reports a balance property without min_load', () => {
    expect(problemsOf(VALID.replace(', min_load: 1', '')).problems).toEqual([
      'stations.bench1.properties.mass.min_load: a balance property needs min_load, so a weight is never attached to the wrong cell',
    ]);
  });

  it('reports one device feeding two properties of a station', () => {
    expect(problemsOf(VALID.replace('device: gauge1, unit: mm', 'device: balance1, unit: mg, min_load: 1')).problems).toEqual([
      'stations.bench1.properties.thickness.device: device "balance1" already feeds property "mass"',
    ]);
  });

  it('reports a cell_pattern that is not a regular expression', () => {
    expect(problemsOf(VALID.replace("'^CELL-[0-9]{4}$'", () => "'^CELL-([0-9]{4}$'")).problems).toEqual([
      'stations.bench1.cell_pattern: is not a valid regular expression: Invalid regular expression: /^CELL-([0-9]{4}$/: Unterminated group',
    ]);
  });

  it('lists every problem at once, including cross-references next to type errors', () => {
    const text = VALID.replace('lab: Cell Lab North\n', '')
      .replace('baud_rate: 9600', 'baud_rate: fast')
      .replace('device: balance1', 'device: balance9')
      .replace('kind: scanner', 'kind: scanner\n    speed: 3');
    expect(problemsOf(text).problems).toEqual([
      'lab: required key is missing',
      'devices.scanner1.speed: unknown key',
      'devices.balance1.port.baud_rate: expected a number, got "fast"',
      'stations.bench1.properties.mass.device: no device "balance9" in devices',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const e = problemsOf('lab: x\ndevices: {a: 1\nstations: {}\n');
    expect(e.problems[0]).toMatch(/^\(yaml\) line 3, column \d+: /);
    expect(problemsOf('lab: a\nlab: b\n').problems).toEqual(['(yaml) line 2, column 1: Map keys must be unique']);
  });

  it('reports an empty file as a missing mapping', () => {
    expect(problemsOf('').problems).toEqual(['(root): expected a mapping, got nothing']);
  });

  it('reports a file that cannot be read', () => {
    expect(() => loadConfig(join(dir, 'nope.yaml'), {})).toThrow(/^config .*nope\.yaml: 1 problem\n {2}\(file\): cannot read: ENOENT/);
  });

  it.each([
    ['api.key', VALID.replace('api:\n', 'api:\n  key: iwk_secret_value_1\n'), 'api.key'],
    ['api_key at the top', `api_key: iwk_secret_value_1\n${VALID}`, 'api_key'],
    ['a key-shaped value anywhere', VALID.replace('lab: Cell Lab North', 'lab: iwk_secret_value_1'), 'lab'],
  ])('rejects an API key in the YAML (%s), without echoing it', (_what, text, at) => {
    writeKey('iwk_file');
    const e = problemsOf(text);
    expect(e.problems).toEqual([
      `${at}: looks like an API key; put the API key in the file named by api.key_file (readable only by the service user) or in the IONWORKS_API_KEY environment variable, never in the config file`,
    ]);
    expect(e.message).not.toContain('iwk_secret_value_1');
  });

  it('validates config/example.yaml', () => {
    const example = fileURLToPath(new URL('../../config/example.yaml', import.meta.url));
    const r = loadConfig(example, { IONWORKS_API_KEY: 'iwk_x' });
    expect(Object.keys(r.config.stations)).toEqual(['bench1']);
    expect(Object.keys(r.config.devices)).toEqual(['scanner1', 'balance1', 'gauge1']);
  });
});

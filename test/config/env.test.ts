import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { applyEnvOverrides } from '../../src/config/env.js';
import { configSchema } from '../../src/config/schema.js';

const VALID = `
lab: Cell Lab North
state_dir: state
devices:
  scanner1:
    kind: scanner
    port: { path: /dev/ttyUSB0 }
  Balance-A:
    kind: mtsics
    port: { path: /dev/ttyUSB1 }
stations:
  bench1:
    scanner: scanner1
    properties:
      mass: { device: Balance-A, unit: g, min_load: 1 }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iwe-env-'));
});

function load(env: NodeJS.ProcessEnv, text = VALID) {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return loadConfig(path, env);
}

/** Every problem line for `env`, exactly (the header line is left out). */
function problems(env: NodeJS.ProcessEnv, text = VALID): readonly string[] {
  try {
    load(env, text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('environment overrides', () => {
  it('sets keys at any depth, parsing JSON values and keeping other text as a string', () => {
    const r = load({
      IONWORKS_EDGE_API__BASE_URL: 'https://api.example.test',
      IONWORKS_EDGE_HTTP__PORT: '9000',
      IONWORKS_EDGE_LOG__LEVEL: 'debug',
      IONWORKS_EDGE_API__RETRY: '{"base_ms": 50}',
      IONWORKS_EDGE_API__RETRY__CAP_MS: '600',
      'IONWORKS_EDGE_DEVICES__BALANCE-A__POLL_MS': '500',
      IONWORKS_EDGE_DEVICES__SCANNER1__PORT__PATH: '/dev/serial/by-id/usb-scanner',
      UNRELATED: 'x',
    });
    expect(r.config.api).toMatchObject({ base_url: 'https://api.example.test', retry: { base_ms: 50, cap_ms: 600 } });
    expect(r.config.http.port).toBe(9000);
    expect(r.config.log.level).toBe('debug');
    // The device id keeps the file's spelling although environment names are upper case.
    expect(r.config.devices['Balance-A']).toMatchObject({ kind: 'mtsics', poll_ms: 500 });
    expect(r.config.devices.scanner1).toMatchObject({ port: { path: '/dev/serial/by-id/usb-scanner' } });
    expect(r.overrides.map((o) => [o.variable, o.path.join('.')])).toEqual([
      ['IONWORKS_EDGE_API__BASE_URL', 'api.base_url'],
      ['IONWORKS_EDGE_API__RETRY', 'api.retry'],
      ['IONWORKS_EDGE_HTTP__PORT', 'http.port'],
      ['IONWORKS_EDGE_LOG__LEVEL', 'log.level'],
      ['IONWORKS_EDGE_API__RETRY__CAP_MS', 'api.retry.cap_ms'],
      ['IONWORKS_EDGE_DEVICES__BALANCE-A__POLL_MS', 'devices.Balance-A.poll_ms'],
      ['IONWORKS_EDGE_DEVICES__SCANNER1__PORT__PATH', 'devices.scanner1.port.path'],
    ]);
  });

  it('leaves the file untouched without IONWORKS_EDGE_ variables', () => {
    const raw = { lab: 'x' };
    expect(applyEnvOverrides(raw, { IONWORKS_API_KEY: 'iwk_x' })).toEqual({ value: raw, applied: [], problems: [] });
  });

  it('does not change the object it was given', () => {
    const raw = { http: { port: 1 } };
    const r = applyEnvOverrides(raw, { IONWORKS_EDGE_HTTP__PORT: '2' });
    expect(r.value).toEqual({ http: { port: 2 } });
    expect(raw.http.port).toBe(1);
  });

  it('names the variable for a key the schema does not have, at the top and below', () => {
    expect(problems({ IONWORKS_EDGE_PORT: '1' })).toEqual([
      `IONWORKS_EDGE_PORT: the config has no key "port" (keys: ${Object.keys(configSchema.shape).join(', ')})`,
    ]);
    expect(problems({ IONWORKS_EDGE_HTTP__PROT: '1' })).toEqual([
      expect.stringMatching(/^IONWORKS_EDGE_HTTP__PROT: http has no key "prot" \(keys: host, port[,)]/),
    ]);
  });

  it('knows which keys a device kind has', () => {
    expect(problems({ IONWORKS_EDGE_DEVICES__SCANNER1__POLL_MS: '100' })).toEqual([
      'IONWORKS_EDGE_DEVICES__SCANNER1__POLL_MS: devices.scanner1 has no key "poll_ms" (keys: kind, port, reconnect, max_line_bytes)',
    ]);
  });

  it('rejects a key below a single value', () => {
    expect(problems({ IONWORKS_EDGE_HTTP__PORT__NUMBER: '1' })).toEqual([
      'IONWORKS_EDGE_HTTP__PORT__NUMBER: http.port is a single value, not a mapping, so it has no key "number"',
    ]);
  });

  it('rejects an empty level', () => {
    expect(problems({ IONWORKS_EDGE_HTTP__: '1', IONWORKS_EDGE_: '2' })).toEqual([
      'IONWORKS_EDGE_: empty key name (levels are separated by exactly "__")',
      'IONWORKS_EDGE_HTTP__: empty key name (levels are separated by exactly "__")',
    ]);
  });

  it('cannot set a key under a value the file gives as a non-mapping', () => {
    expect(problems({ IONWORKS_EDGE_HTTP__PORT: '1' }, `${VALID}http: 5\n`)).toEqual([
      'IONWORKS_EDGE_HTTP__PORT: cannot set http.port: http in the config file is not a mapping',
      'http: expected a mapping, got 5',
    ]);
  });

  it('cannot apply to a file that is not a mapping', () => {
    expect(problems({ IONWORKS_EDGE_LAB: 'x' }, '- a\n- b\n')).toEqual([
      'IONWORKS_EDGE_LAB: cannot apply: the config file is not a mapping',
      '(root): expected a mapping, got a list',
    ]);
  });

  it('names the variable in validation problems of the values it set', () => {
    expect(
      problems({
        IONWORKS_EDGE_HTTP__PORT: '70000',
        IONWORKS_EDGE_LAB: '42',
        IONWORKS_EDGE_LOG__LEVEL: 'loud',
        IONWORKS_EDGE_API__TIMEOUT_MS: '"5000"',
        IONWORKS_EDGE_HTTP: '{"bind": "0.0.0.0"}',
      }),
    ).toEqual([
      'lab (from IONWORKS_EDGE_LAB): expected a string, got 42',
      'api.timeout_ms (from IONWORKS_EDGE_API__TIMEOUT_MS): expected a number, got "5000"',
      'http.port (from IONWORKS_EDGE_HTTP__PORT): must be at most 65535, got 70000',
      'http.bind (from IONWORKS_EDGE_HTTP): unknown key',
      'log.level (from IONWORKS_EDGE_LOG__LEVEL): expected "fatal" or "error" or "warn" or "info" or "debug" or "trace", got "loud"',
    ]);
  });

  it('treats an API key set through an override like one pasted into the file, without echoing it', () => {
    const found = problems({ IONWORKS_EDGE_LAB: 'iwk_live_0123456789' });
    expect(found).toEqual([expect.stringMatching(/^lab \(from IONWORKS_EDGE_LAB\): looks like an API key; put the API key in/)]);
    expect(found.join('\n')).not.toContain('iwk_live_0123456789');
  });
});

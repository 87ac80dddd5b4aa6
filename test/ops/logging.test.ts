import { readFileSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createLogger, censorSecrets } from '../../src/ops/logger.js';
import { formatPretty, prettyDestination } from '../../src/ops/pretty.js';
import { LogThrottle } from '../../src/ops/log-throttle.js';
import { startFixture, until, type Fixture } from './daemon-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('redaction', () => {
  it('never writes the API key or an auth header, whatever shape it is logged in', () => {
    const KEY = 'iwk_live_5f2a9c7e1b3d4a6f';
    const TOKEN = 'status-page-token-0123456789'; // not key-shaped: censored because it is a known secret
    const out: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void out.push(s) }, secrets: () => [TOKEN, undefined] });
    const child = logger.child({ component: 'uploader' }).child({ device: 'balance1' });
    logger.info({ apiKey: KEY, api_key: KEY }, 'top-level fields');
    logger.info({ headers: { 'x-api-key': KEY, 'X-API-Key': KEY, authorization: `Bearer ${TOKEN}` } }, 'headers');
    logger.info({ request: { headers: { 'X-API-Key': KEY, Authorization: `Bearer ${TOKEN}` } } }, 'nested headers');
    logger.info({ config: { api: { key: KEY } }, opts: { deep: { apiKey: KEY } } }, 'deeply nested');
    logger.error({ err: new Error(`401 Unauthorized for key ${KEY}`) }, 'an error message carrying it');
    logger.warn(`a message carrying ${KEY} and ${TOKEN}`);
    logger.info({ url: `https://api.example.test/x?api_key=${KEY}&token=${TOKEN}` }, 'in a URL');
    logger.info({ http: { access_token: TOKEN } }, 'the status page token');
    child.debug({ event: 'x', headers: { 'X-API-Key': KEY } }, 'through a child logger');
    const text = out.join('');
    expect(out).toHaveLength(9);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(KEY.slice(4)); // nor its tail after a stripped prefix
    expect(text).not.toContain(TOKEN);
    const lines = out.map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines[0]).toMatchObject({ apiKey: '[redacted]', api_key: '[redacted]' });
    expect(lines[1]!.headers).toEqual({ 'x-api-key': '[redacted]', 'X-API-Key': '[redacted]', authorization: '[redacted]' });
    expect(lines[4]!.err.message).toBe('401 Unauthorized for key [redacted]');
  });

  it('censors a secret wherever it sits in a line, but not short strings that would hide ordinary words', () => {
    expect(censorSecrets('{"msg":"key abcdefgh12 used"}', ['abcdefgh12'])).toBe('{"msg":"key [redacted] used"}');
    expect(censorSecrets('{"msg":"info"}', ['info'])).toBe('{"msg":"info"}');
    expect(censorSecrets(JSON.stringify({ k: 'pa"ss\\word99' }), ['pa"ss\\word99'])).toBe('{"k":"[redacted]"}');
  });
});

describe('every line carries host, and station or device where it is about one', () => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('holds for a measurement from scan to upload', async () => {
    fx = await startFixture();
    const f = fx;
    f.scan('CELL-0001');
    await until('the scan', () => f.events('scan.accepted').length === 1);
    f.thickness('5.523');
    await until('the upload', () => f.events('upload.ok').length === 1);
    for (const line of f.lines) expect(line.host, JSON.stringify(line)).toBe(hostname());
    for (const event of ['scan.accepted', 'reading.taken', 'measurement.saved', 'upload.ok'])
      expect(f.events(event)[0], event).toMatchObject({ station: 'bench1' });
    // Any line about a cell or an outbox row says which bench it came from.
    const aboutACell = f.lines.filter((l) => 'cell' in l || 'cellInstanceId' in l || 'row' in l);
    expect(aboutACell.length).toBeGreaterThanOrEqual(4);
    for (const line of aboutACell) expect(line.station, JSON.stringify(line)).toBe('bench1');
    expect(f.events('device.connected').map((l) => [l.device, l.kind]).sort()).toEqual([['gauge1', 'mitutoyo'], ['scanner1', 'scanner']]);
    // Bindings are not repeated down the child loggers (JSON with a key twice confuses log processors).
    for (const raw of f.raw) expect(raw.match(/"device":/g)?.length ?? 0, raw).toBeLessThanOrEqual(1);
    expect(f.events('upload.ok')[0]).toMatchObject({ component: 'uploader', station: 'bench1', cellInstanceId: 'CELL-0001' });
  });
});

describe('pretty output for a terminal', () => {
  const line = JSON.stringify({
    level: 'warn',
    time: '2026-01-01T12:04:05.123Z',
    host: 'lab-pc-7',
    device: 'balance1',
    event: 'device.disconnected',
    path: '/dev/ttyUSB1',
    error: 'port disappeared (unplugged?)',
    down: { ms: 5 },
    msg: 'device disconnected; reconnecting',
  });

  it('puts time, level, event and message first, then the fields as key=value', () => {
    const text = formatPretty(line);
    expect(text).toMatch(
      /^\d\d:\d\d:\d\d\.123 WARN  device\.disconnected device disconnected; reconnecting  device=balance1 path=\/dev\/ttyUSB1 error="port disappeared \(unplugged\?\)" down=\{"ms":5\}\n$/,
    );
    expect(text).not.toContain('lab-pc-7');
  });

  it('prints an error stack indented under the line, colours the level when asked, and passes non-JSON through', () => {
    const err = JSON.stringify({ level: 'error', time: 0, event: 'x.failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)' }, msg: 'failed' });
    expect(formatPretty(err)).toMatch(/ERROR x\.failed failed {2}err=boom\n {4}Error: boom\n {8}at f \(a\.js:1:1\)\n$/);
    expect(formatPretty(line, { colour: true })).toContain('\x1b[33mWARN \x1b[0m');
    expect(formatPretty('not json')).toBe('not json\n');
  });

  it('is what a pretty logger writes, with secrets already censored', () => {
    const out: string[] = [];
    const logger = createLogger({ destination: prettyDestination({ write: (s) => out.push(s) }), secrets: () => ['secret-token-123'] });
    logger.info({ event: 'demo.step', station: 'bench1' }, 'token secret-token-123 in use');
    expect(out).toEqual([expect.stringMatching(/^\S+ INFO  demo\.step token \[redacted\] in use {2}station=bench1\n$/)]);
  });
});

describe('LogThrottle', () => {
  it('logs the first of a spell, then once per window with the repeats since, and counts the spell on clear', async () => {
    const clock = new FakeClock();
    const t = new LogThrottle(clock, 60_000);
    expect(t.hit('db')).toEqual({ log: true, repeated: 0 });
    expect(t.hit('other')).toEqual({ log: true, repeated: 0 });
    await clock.advance(10_000);
    expect(t.hit('db')).toEqual({ log: false, repeated: 1 });
    expect(t.hit('db')).toEqual({ log: false, repeated: 2 });
    await clock.advance(50_000);
    expect(t.hit('db')).toEqual({ log: true, repeated: 2 });
    expect(t.hit('db')).toEqual({ log: false, repeated: 1 });
    expect(t.clear('db')).toBe(5);
    expect(t.clear('db')).toBe(0);
    expect(t.hit('db')).toEqual({ log: true, repeated: 0 });
  });
});

describe('docs/logging.md', () => {
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });
  }

  it('documents every event name the daemon logs', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'logging.md'), 'utf8');
    const events = new Set<string>();
    for (const file of sources(join(ROOT, 'src')))
      for (const m of readFileSync(file, 'utf8').matchAll(/event: '([a-z_]+\.[a-z_.]+)'/g)) events.add(m[1]!);
    expect(events.size).toBeGreaterThan(30);
    const missing = [...events].filter((e) => !doc.includes(`\`${e}\``)).sort();
    expect(missing).toEqual([]);
  });
});

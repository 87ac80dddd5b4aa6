import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigReloader, changedKeys, type ReloadTarget } from '../../src/config/reload.js';
import type { StationConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/ops/logger.js';
import { API_KEY, configYaml, startFixture, until, type Fixture } from '../ops/daemon-fixture.js';

/** A daemon stand-in: stations that are busy or idle on demand, and a record of what was applied. */
class StubStation extends EventEmitter<{ changed: [] }> {
  cell: string | null = null;
  snapshot() {
    return { activeCell: this.cell === null ? null : { id: this.cell } };
  }
  finish(): void {
    this.cell = null;
    this.emit('changed');
  }
}

function stubTarget() {
  const stations = new Map<string, StubStation>([['bench1', new StubStation()]]);
  const applied: [string, StationConfig | undefined, string][] = [];
  const keys: (string | undefined)[] = [];
  const target: ReloadTarget = {
    stations,
    setStation: (id, cfg, lab) => {
      applied.push([id, cfg, lab]);
      if (cfg) stations.set(id, stations.get(id) ?? new StubStation());
      else stations.delete(id);
    },
    setApiKey: (k) => void keys.push(k),
  };
  return { stations, applied, keys, target };
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'iwe-reload-'));
  const path = join(dir, 'config.yaml');
  const write = (text: string, key = API_KEY) => {
    writeFileSync(path, text);
    writeFileSync(join(dir, 'api-key'), key);
  };
  write(configYaml());
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  const t = stubTarget();
  const reloader = new ConfigReloader({ configPath: path, load: (p) => loadConfig(p, {}), initial: loadConfig(path, {}), target: t.target, logger });
  return { ...t, dir, write, lines, logger, reloader, events: (e: string) => lines.filter((l) => l.event === e) };
}

describe('ConfigReloader', () => {
  it('applies a station change at once when the station is between cells', () => {
    const s = setup();
    s.write(configYaml({ cellPattern: '^B-[0-9]+$' }));
    const out = s.reloader.reload();
    expect(out).toEqual({ ok: true, problems: [], applied: ['bench1'], deferred: [], restartRequired: [] });
    expect(s.applied).toEqual([['bench1', expect.objectContaining({ cell_pattern: '^B-[0-9]+$' }), 'Cell Lab North']]);
    expect(s.events('config.station_applied')).toEqual([expect.objectContaining({ station: 'bench1', change: 'changed' })]);
  });

  it('changes nothing for an unchanged file, but still hands the key over for a re-check', () => {
    const s = setup();
    expect(s.reloader.reload()).toMatchObject({ ok: true, applied: [], deferred: [], restartRequired: [] });
    expect(s.applied).toEqual([]);
    expect(s.keys).toEqual([API_KEY]);
    expect(s.events('config.key_reloaded')).toEqual([expect.objectContaining({ source: 'key_file', changed: false })]);
  });

  it('waits for a busy station to finish its cell, then applies the latest config', async () => {
    const s = setup();
    s.stations.get('bench1')!.cell = 'CELL-0001';
    s.write(configYaml({ cellPattern: '^A$' }));
    expect(s.reloader.reload()).toMatchObject({ applied: [], deferred: ['bench1'] });
    s.write(configYaml({ cellPattern: '^B$' }));
    expect(s.reloader.reload()).toMatchObject({ applied: [], deferred: ['bench1'] });
    expect(s.events('config.station_deferred')).toEqual([expect.objectContaining({ station: 'bench1', cell: 'CELL-0001' })]);
    s.stations.get('bench1')!.emit('changed'); // still busy: a reading came in
    await Promise.resolve();
    expect(s.applied).toEqual([]);
    s.stations.get('bench1')!.finish();
    await Promise.resolve();
    expect(s.applied).toEqual([['bench1', expect.objectContaining({ cell_pattern: '^B$' }), 'Cell Lab North']]);
  });

  it('adds and removes stations, and rebuilds every station when the lab name changes', () => {
    const s = setup();
    const two = configYaml().replace('stations:\n', 'stations:\n  bench2:\n    scanner: scanner1\n    properties:\n      thickness: { device: gauge1, unit: mm }\n');
    s.write(two.replace(/  bench1:[\s\S]*$/, ''));
    expect(s.reloader.reload()).toMatchObject({ applied: ['bench1', 'bench2'] });
    expect(s.applied.map(([id, cfg]) => [id, cfg === undefined])).toEqual([['bench1', true], ['bench2', false]]);
    s.write(two.replace('lab: Cell Lab North', 'lab: Cell Lab South').replace(/  bench1:[\s\S]*$/, ''));
    s.applied.length = 0;
    expect(s.reloader.reload()).toMatchObject({ applied: ['bench2'] });
    expect(s.applied).toEqual([['bench2', expect.anything(), 'Cell Lab South']]);
  });

  it('names each changed setting that needs a restart, and keeps naming it until then', () => {
    const s = setup();
    s.write(configYaml({ httpPort: 9999, gaugePath: '/dev/ttyUSB7' }).replace('state_dir: state', 'state_dir: elsewhere'));
    const out = s.reloader.reload();
    expect(out.restartRequired.sort()).toEqual(['devices.gauge1.port.path', 'http.port', 'state_dir']);
    expect(s.events('config.restart_required').map((l) => l.key).sort()).toEqual(['devices.gauge1.port.path', 'http.port', 'state_dir']);
    expect(s.events('config.restart_required')[0]).toMatchObject({ level: 'warn' });
    expect(s.reloader.reload().restartRequired).toHaveLength(3);
  });

  it('sets the log level on the running logger', () => {
    const s = setup();
    s.write(configYaml({ level: 'warn' }));
    s.reloader.reload();
    expect(s.logger.level).toBe('warn');
    expect(s.events('log.level_changed')).toEqual([expect.objectContaining({ from: 'debug', to: 'warn' })]);
  });

  it('hands over a replaced key without logging it', () => {
    const s = setup();
    s.write(configYaml(), 'iwk_rotated_key_987654321');
    s.reloader.reload();
    expect(s.keys).toEqual(['iwk_rotated_key_987654321']);
    expect(s.events('config.key_reloaded')).toEqual([expect.objectContaining({ changed: true })]);
    expect(JSON.stringify(s.lines)).not.toContain('iwk_rotated');
  });

  it('refuses an invalid file, logs every problem and keeps the running config', () => {
    const s = setup();
    s.write(configYaml({ cellPattern: '(' }).replace('http: {', 'htp: {'));
    const out = s.reloader.reload();
    expect(out.ok).toBe(false);
    expect(out.problems).toEqual([expect.stringMatching(/^stations\.bench1\.cell_pattern: is not a valid regular expression/), 'htp: unknown key']);
    expect(s.applied).toEqual([]);
    expect(s.keys).toEqual([]);
    expect(s.events('config.reload_failed')).toEqual([expect.objectContaining({ level: 'error', problems: out.problems })]);
    // The next good file is compared with the config still running, not with the refused one.
    s.write(configYaml());
    expect(s.reloader.reload()).toMatchObject({ ok: true, applied: [], restartRequired: [] });
  });

  it('refuses an unreadable file', () => {
    const s = setup();
    const out = new ConfigReloader({
      configPath: join(s.dir, 'gone.yaml'),
      load: (p) => loadConfig(p, {}),
      initial: loadConfig(join(s.dir, 'config.yaml'), {}),
      target: s.target,
      logger: s.logger,
    }).reload();
    expect(out).toMatchObject({ ok: false, problems: [expect.stringMatching(/^\(file\): cannot read: ENOENT/)] });
  });
});

describe('changedKeys', () => {
  it('lists the paths that differ, ignoring key order', () => {
    expect(changedKeys({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 2, b: 1 }, d: [1] })).toEqual([]);
    expect(changedKeys({ a: { b: 1 }, d: [1] }, { a: { b: 2, x: 1 }, d: [2] })).toEqual(['a.b', 'a.x', 'd']);
  });
});

describe('SIGHUP reload on a running daemon', () => {
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('replaces the station: the new cell pattern takes scans, the old one no longer does', async () => {
    fx = await startFixture();
    const f = fx;
    const reloader = new ConfigReloader({
      configPath: f.configPath,
      load: (p) => loadConfig(p, {}),
      initial: f.loaded,
      target: f.daemon,
      logger: f.logger,
    });
    const before = f.daemon.stations.get('bench1');
    f.writeConfig(configYaml({ cellPattern: '^B-[0-9]{2}$' }));
    expect(reloader.reload()).toMatchObject({ ok: true, applied: ['bench1'] });
    expect(f.daemon.stations.get('bench1')).not.toBe(before);

    f.scan('CELL-0001');
    await until('the old pattern refused', () => f.events('scan.rejected').length === 1);
    f.scan('B-12');
    await until('the new pattern accepted', () => f.events('scan.accepted').length === 1);
    f.thickness('5.523');
    await until('saved by the new station', () => f.events('measurement.saved').length === 1);
    expect(f.events('measurement.saved')[0]).toMatchObject({ station: 'bench1', cell: 'B-12' });
    // One station listens, not two: the reading was taken once.
    expect(f.events('reading.taken')).toHaveLength(1);
  });
});

// End to end over real PTYs: two benches, each with its own scanner and gauge, measure interleaved cells; every
// body lands on the stand-in exactly once, carrying its own station's reading.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { openPty, type PtyPair } from '../../src/devices/pty.js';
import { ScannerSimulator } from '../../src/devices/scanner/simulator.js';
import { DigimaticSimulator } from '../../src/devices/mitutoyo/simulator.js';
import { startStandin, type Standin } from '../../src/demo/standin/server.js';
import { waitFor } from '../../src/demo/wait.js';
import { silentLogger } from '../../src/ops/logger.js';
import type { StatusView } from '../../src/ops/status-model.js';

const API_KEY = 'iwk_two_benches_test';

describe('two benches at once', () => {
  let dir: string;
  let standin: Standin;
  let ptys: PtyPair[];
  let daemon: Daemon;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ionworks-two-benches-'));
    standin = await startStandin({ apiKey: API_KEY, port: 0 });
    ptys = await Promise.all(['scanner1', 'gauge1', 'scanner2', 'gauge2'].map((n) => openPty({ link: join(dir, `${n}.tty`) })));
  });
  afterAll(async () => {
    await daemon?.stop();
    await Promise.all(ptys.map((p) => p.close()));
    await standin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps each bench to its own cells and readings', async () => {
    const [s1, g1, s2, g2] = ptys as [PtyPair, PtyPair, PtyPair, PtyPair];
    const config = configSchema.parse({
      lab: 'Two bench lab',
      state_dir: join(dir, 'state'),
      api: { base_url: standin.url, timeout_ms: 5_000, retry: { base_ms: 200, cap_ms: 2_000 } },
      http: { host: '127.0.0.1', port: 0 },
      devices: {
        scanner1: { kind: 'scanner', port: { path: s1.path } },
        gauge1: { kind: 'mitutoyo', port: { path: g1.path }, unit: 'mm' },
        scanner2: { kind: 'scanner', port: { path: s2.path } },
        gauge2: { kind: 'mitutoyo', port: { path: g2.path }, unit: 'mm' },
      },
      stations: {
        bench1: { scanner: 'scanner1', cell_pattern: '^CELL-[0-9]{4}$', properties: { thickness: { device: 'gauge1', unit: 'mm' } } },
        // bench2 sends micrometres from a gauge set to mm: converted exactly.
        bench2: { scanner: 'scanner2', cell_pattern: '^CELL-[0-9]{4}$', properties: { thickness: { device: 'gauge2', unit: 'um', name: 'thickness_b2' } } },
      },
    });
    daemon = new Daemon({ config, configPath: 'two-benches', apiKey: API_KEY, logger: silentLogger() });
    await daemon.start();
    await waitFor('devices connected', () => [...daemon.devices.values()].every((d) => d.status().state === 'connected'));
    const scanner1 = new ScannerSimulator(s1);
    const scanner2 = new ScannerSimulator(s2);
    const gauge1 = new DigimaticSimulator(g1);
    const gauge2 = new DigimaticSimulator(g2);
    const active = (station: string, cell: string | null) => () => daemon.stations.get(station)!.snapshot().activeCell?.id === (cell ?? undefined);

    // Interleaved: both benches hold an active cell at the same time.
    for (let i = 0; i < 3; i++) {
      const c1 = `CELL-1${i}00`;
      const c2 = `CELL-2${i}00`;
      scanner1.scan(c1);
      scanner2.scan(c2);
      await waitFor(`${c1} active`, active('bench1', c1));
      await waitFor(`${c2} active`, active('bench2', c2));
      gauge2.send(`0.2${i}0`);
      gauge1.send(`0.1${i}0`);
      await waitFor(`${c1} saved`, active('bench1', null));
      await waitFor(`${c2} saved`, active('bench2', null));
    }
    await waitFor('all six uploaded', () => standin.received().length >= 6, 10_000);
    const got = standin.received().map((r) => ({ cell: r.cellInstanceId, body: r.body as { name: string; properties: Record<string, { value: number; unit: string }>; test_setup: { station: string } } }));
    expect(got).toHaveLength(6);
    expect(new Set(got.map((g) => g.body.name)).size).toBe(6);
    for (const { cell, body } of got) {
      const i = Number(cell[6]);
      if (cell.startsWith('CELL-1')) {
        expect(body.test_setup.station).toBe('bench1');
        expect(body.properties).toEqual({ thickness: { value: Number(`0.1${i}`), unit: 'mm' } });
      } else {
        expect(body.test_setup.station).toBe('bench2');
        expect(body.properties).toEqual({ thickness_b2: { value: 200 + 10 * i, unit: 'um' } });
      }
    }
    // The overview shows both benches, each with its own last cell; each has its own page.
    await waitFor('both shown as uploaded', () => daemon.outbox.counts().delivered === 6);
    const view = (await (await fetch(`${daemon.http.url}/api/status`)).json()) as StatusView;
    expect(view.stations.map((s) => [s.id, s.headline, s.saved?.cell, s.saved?.upload?.state])).toEqual([
      ['bench1', 'Saved — scan the next cell', 'CELL-1200', 'uploaded'],
      ['bench2', 'Saved — scan the next cell', 'CELL-2200', 'uploaded'],
    ]);
    for (const id of ['bench1', 'bench2']) expect(await (await fetch(`${daemon.http.url}/station/${id}`)).text()).toContain(`data-station="${id}"`);
  }, 20_000);

  it('accepts the example configs', () => {
    for (const file of ['config/example.yaml', 'config/two-benches.yaml']) expect(() => loadConfig(file, { IONWORKS_API_KEY: 'iwk_x' })).not.toThrow();
  });
});

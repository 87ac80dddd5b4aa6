// `npm run release` end to end: build the artifact, unpack it into an empty directory and run it there with
// the npm registry unreachable: --version, the demo, and the daemon itself (`run --config`) on real PTYs and the
// stand-in API until it is ready and has uploaded, then SIGTERM. Slow but bounded: tsc, a copy and prune of
// node_modules, gzip (~10-20 s), then a few seconds for each run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/demo/wait.js';
import { DaemonProcess, startWorld } from '../crash/world.js';

const REPO = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const work = mkdtempSync(join(tmpdir(), 'release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Nothing may reach a registry from the unpacked tree: any attempt would fail against a closed local port.
const offlineEnv = {
  PATH: process.env.PATH,
  HOME: work,
  npm_config_registry: 'http://127.0.0.1:9',
  npm_config_offline: 'true',
  // The PTY relay is python3, which may be a pyenv shim that finds its root from HOME.
  ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
};
const dest = join(work, 'opt/ionworks-edge/releases', pkg.version);

describe('release artifact', () => {
  it('installs into an empty directory and runs there offline', { timeout: 120_000 }, () => {
    const out = join(work, 'out');
    const build = spawnSync('bash', [join(REPO, 'scripts/release.sh'), '--out', out], { cwd: REPO, encoding: 'utf8', timeout: 110_000 });
    expect(build.status, build.stdout + build.stderr).toBe(0);

    const name = `ionworks-edge-${pkg.version}-${process.platform}-${process.arch}.tar.gz`;
    expect(readdirSync(out).sort()).toEqual([name, `${name}.sha256`]);
    expect(execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: out, encoding: 'utf8' })).toContain(`${name}: OK`);

    const entries = execFileSync('tar', ['-tzf', join(out, name)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
    const musts = ['./package.json', './package-lock.json', './dist/', './systemd/ionworks-edge.service', './systemd/install.sh', './node_modules/better-sqlite3/package.json'];
    // The demo's stand-in validates bodies against the OpenAPI text in api/.
    for (const must of [...musts, './api/openapi-create-properties-measurement.yaml', './docs/operations.md', './docs/configuration.md'])
      expect(entries, must).toContain(must);
    for (const dev of ['./node_modules/vitest/', './node_modules/typescript/', './node_modules/vite/']) expect(entries, dev).not.toContain(dev);

    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', join(out, name), '-C', dest]);
    // Readable by the service user, whatever the builder's umask.
    expect(statSync(dest).mode & 0o755).toBe(0o755);

    // The native modules load from the unpacked tree alone (no node_modules above it in the temp dir).
    const natives = spawnSync(process.execPath, ['-e', "const D = require('better-sqlite3'); const db = new D(':memory:'); console.log(db.prepare('select 1 as one').get().one); require('@serialport/bindings-cpp')"], { cwd: dest, env: offlineEnv, encoding: 'utf8' });
    expect(natives.stderr).toBe('');
    expect(natives.stdout.trim()).toBe('1');

    const cli = spawnSync(process.execPath, ['dist/cli/main.js', '--version'], { cwd: dest, env: offlineEnv, encoding: 'utf8', timeout: 20_000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(pkg.version);
  });

  it('runs the demo from the unpacked tree, offline', { timeout: 60_000 }, () => {
    expect(existsSync(join(dest, 'dist/cli/main.js')), 'the artifact was not unpacked').toBe(true);
    const demo = spawnSync(process.execPath, ['dist/cli/main.js', 'demo'], { cwd: dest, env: offlineEnv, encoding: 'utf8', timeout: 50_000 });
    expect(demo.status, `${demo.stdout.slice(-3_000)}${demo.stderr}`).toBe(0);
    expect(demo.stdout).toContain('demo: 3 saved, 3 uploaded, 0 lost');
  });

  it('starts the daemon from the unpacked tree, offline: ready, one measurement uploaded, stopped by SIGTERM', { timeout: 60_000 }, async () => {
    const main = join(dest, 'dist/cli/main.js');
    expect(existsSync(main), 'the artifact was not unpacked').toBe(true);
    const world = await startWorld({ faults: {} });
    const d = DaemonProcess.spawn(world, null, { main, env: offlineEnv });
    try {
      expect(await d.waitFor((l) => l.event === 'daemon.starting', 'daemon.starting', 15_000)).toMatchObject({ version: pkg.version });
      await d.waitFor((l) => l.event === 'daemon.ready', 'daemon.ready', 15_000);
      await waitFor('both devices', () => d.lines.filter((l) => l.event === 'device.connected').length === 2, 15_000);
      world.scanner.scan('CELL-0001');
      await d.waitFor((l) => l.event === 'scan.accepted', 'scan.accepted', 15_000);
      world.gauge.send('5.523');
      expect(await d.waitFor((l) => l.event === 'upload.ok', 'upload.ok', 15_000)).toMatchObject({ cellInstanceId: 'CELL-0001', status: 201 });
      d.kill('SIGTERM');
      expect(await d.closed, d.tail()).toEqual({ code: 0, signal: null });
      expect(d.lines.at(-1)?.event).toBe('daemon.stopped');
    } finally {
      d.kill();
      await world.close();
    }
  });
});

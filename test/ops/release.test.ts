// `npm run release` end to end: build the artifact, unpack it into an empty directory and run it there with
// the npm registry unreachable. Slow but bounded: tsc, a copy and prune of node_modules, gzip (~10-20 s).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const work = mkdtempSync(join(tmpdir(), 'release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Nothing may reach a registry from the unpacked tree: any attempt would fail against a closed local port.
const offlineEnv = { PATH: process.env.PATH, HOME: work, npm_config_registry: 'http://127.0.0.1:9', npm_config_offline: 'true' };

describe('release artifact', () => {
  it('installs into an empty directory and runs there offline', { timeout: 120_000 }, () => {
    const out = join(work, 'out');
    const build = spawnSync('bash', [join(REPO, 'scripts/release.sh'), '--out', out], { cwd: REPO, encoding: 'utf8', timeout: 110_000 });
    expect(build.status, build.stdout + build.stderr).toBe(0);

    const name = `ionworks-edge-${pkg.version}-${process.platform}-${process.arch}.tar.gz`;
    expect(readdirSync(out).sort()).toEqual([name, `${name}.sha256`]);
    expect(execFileSync('sha256sum', ['-c', `${name}.sha256`], { cwd: out, encoding: 'utf8' })).toContain(`${name}: OK`);

    const entries = execFileSync('tar', ['-tzf', join(out, name)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
    for (const must of ['./package.json', './package-lock.json', './dist/', './systemd/ionworks-edge.service', './systemd/install.sh', './node_modules/better-sqlite3/package.json'])
      expect(entries, must).toContain(must);
    for (const dev of ['./node_modules/vitest/', './node_modules/typescript/', './node_modules/vite/']) expect(entries, dev).not.toContain(dev);

    const dest = join(work, 'opt/ionworks-edge/releases', pkg.version);
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
});

// `ionworks-edge status` run as another user (nobody) against the real daemon, whose state directory and config
// that user cannot read: it works over HTTP alone, and an unreadable --config says what to do instead.
// Needs root to switch users (CI runs as root) and the built CLI (`npm test` builds it first).
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { startBenchRig, type BenchRig } from '../../src/demo/bench-rig.js';
import type { Daemon } from '../../src/daemon.js';
import { startDaemon, waitFor } from '../e2e/helpers.js';
import { missingTools } from './tools.js';

const MAIN = resolve('dist/cli/main.js');
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping: switching to another user needs root');
const missing = isRoot ? missingTools(['setpriv']) : [];

/** Runs the built CLI as nobody:nogroup with no supplementary groups. */
function asNobody(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: 20_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(!isRoot || missing.length > 0)('ionworks-edge status as another user', { timeout: 30_000 }, () => {
  let rig: BenchRig;
  let daemon: Daemon;

  beforeAll(async () => {
    expect(existsSync(MAIN), 'run `npm run build` first').toBe(true);
    rig = await startBenchRig();
    daemon = await startDaemon(rig, new FakeClock());
    rig.scanner.scan('CELL-0001');
    await waitFor('CELL-0001 active', () => daemon.stations.get('bench1')!.snapshot().activeCell !== null);
  });
  afterAll(async () => {
    await daemon?.stop();
    await rig?.close();
  });

  it('shows the running daemon over HTTP, though the state directory is closed to that user', async () => {
    // The rig's directory (state, outbox) is root's and mode 0700.
    expect(statSync(rig.dir).mode & 0o077).toBe(0);
    const { code, stdout, stderr } = await asNobody(['status', '--url', daemon.http.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('bench1');
    expect(stdout).toContain('  Cell: CELL-0001');
    expect(stdout).toContain('  Still needed: Mass, Thickness');
  });

  it('an unreadable --config is refused with the way out (--url)', async () => {
    const config = join(rig.dir, 'config.yaml');
    writeFileSync(config, `lab: x\nhttp:\n  port: ${new URL(daemon.http.url).port}\n`, { mode: 0o600 });
    const { code, stderr } = await asNobody(['status', '--config', config]);
    expect(code).toBe(64);
    expect(stderr).toContain(`cannot read ${config}: EACCES (not readable by this user: pass --url instead`);
  });
});

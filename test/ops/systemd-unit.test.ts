// The shipped unit passes `systemd-analyze verify` without a single line of output, and keeps the settings
// the operations story relies on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingTools } from './tools.js';
import { EX_CONFIG, EX_DATAERR } from '../../src/cli/run.js';

const UNIT = readFileSync(new URL('../../systemd/ionworks-edge.service', import.meta.url), 'utf8');
const RULES = readFileSync(new URL('../../systemd/60-ionworks-edge.rules', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** key -> every value it is given (DeviceAllow= repeats). */
function settings(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** verify checks that ExecStart's binary exists: point it at this node when /usr/bin/node is absent. */
function verify(unitText: string, name = 'ionworks-edge.service'): { status: number | null; output: string } {
  const text = existsSync('/usr/bin/node') ? unitText : unitText.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
  const path = join(dir, name);
  writeFileSync(path, text);
  const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const missing = missingTools(['systemd-analyze']);

describe.skipIf(missing.length > 0)('systemd-analyze verify', () => {
  it('passes on the shipped unit with no warning', () => {
    expect(verify(UNIT)).toEqual({ status: 0, output: '' });
  });

  it('would report a mistake (the check is not vacuous)', () => {
    const broken = verify(UNIT.replace('ProtectHome=yes', 'ProtectHomes=yes'), 'broken.service');
    expect(broken.output).toMatch(/Unknown key.*'ProtectHomes'/);
  });
});

describe('ionworks-edge.service settings', () => {
  const s = settings(UNIT);
  const one = (k: string) => s.get(k)?.join(' ');

  it('is a notify service with a watchdog, restarting on failure but not on a config error or a damaged outbox', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all'); // systemd-notify is a child, not the main pid
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/ionworks-edge/current/dist/cli/main.js run --config /etc/ionworks-edge/config.yaml');
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartSec')).toBe('5');
    expect(one('RestartPreventExitStatus')).toBe(`${EX_CONFIG} ${EX_DATAERR}`);
    expect(one('WatchdogSec')).toBe('30');
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(10); // api.timeout_ms default: 10 s
  });

  it('runs as its own user with serial and input access and its state and config directories', () => {
    expect(one('User')).toBe('ionworks-edge');
    expect(one('SupplementaryGroups')).toBe('dialout input');
    expect(one('StateDirectory')).toBe('ionworks-edge');
    expect(one('ConfigurationDirectory')).toBe('ionworks-edge');
    expect(one('EnvironmentFile')).toBe('-/etc/ionworks-edge/env');
  });

  it('is hardened without hiding devices or breaking the V8 JIT', () => {
    for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'ProtectKernelTunables', 'ProtectControlGroups', 'RestrictSUIDSGID', 'LockPersonality'])
      expect(one(k), k).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('DevicePolicy')).toBe('closed');
    expect(s.get('DeviceAllow')).toEqual(['char-ttyUSB rw', 'char-ttyACM rw', 'char-ttyS rw', 'char-input r']);
    expect(s.has('PrivateDevices')).toBe(false);
    expect(s.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

describe('60-ionworks-edge.rules', () => {
  it('hides USB-serial ports from ModemManager on add/change, for ttyUSB and ttyACM only', () => {
    const rules = RULES.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(rules).toEqual([
      'ACTION=="remove", GOTO="ionworks_edge_end"',
      'SUBSYSTEM!="tty", GOTO="ionworks_edge_end"',
      'KERNEL!="ttyUSB[0-9]*|ttyACM[0-9]*", GOTO="ionworks_edge_end"',
      'ENV{ID_MM_DEVICE_IGNORE}="1"',
      'LABEL="ionworks_edge_end"',
    ]);
  });
});

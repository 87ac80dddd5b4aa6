// systemd/install.sh run against a temporary root: what it writes, that a rerun changes nothing, and what
// --uninstall and --purge leave behind. It runs from a fake unpacked release, as on a lab PC.
import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_SYSTEMD = new URL('../../systemd', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'install-root-'));
const release = join(root, 'opt/ionworks-edge/releases/0.1.0');
const script = join(release, 'systemd/install.sh');
const asRoot = process.getuid?.() === 0;

function install(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', [script, '--root', root, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Every path under the root with its type, mode, owner and content: equal snapshots mean nothing changed. */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    const what = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : readFileSync(p, 'utf8');
    out.push(`${relative(root, p)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${what}`);
    if (st.isDirectory() && !st.isSymbolicLink()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  walk(root);
  return out;
}

const read = (p: string) => readFileSync(join(root, p), 'utf8');
const mode = (p: string) => (lstatSync(join(root, p)).mode & 0o777).toString(8);
const idOf = (file: 'passwd' | 'group', name: string) => Number(read(`etc/${file}`).split('\n').find((l) => l.startsWith(`${name}:`))?.split(':')[2]);

beforeAll(() => {
  cpSync(REPO_SYSTEMD, join(release, 'systemd'), { recursive: true });
  mkdirSync(join(release, 'dist/cli'), { recursive: true });
  writeFileSync(join(release, 'dist/cli/main.js'), '');
  // A distro with brltty installed, and an existing system group the script must reuse.
  mkdirSync(join(root, 'usr/lib/udev/rules.d'), { recursive: true });
  writeFileSync(join(root, 'usr/lib/udev/rules.d/85-brltty.rules'), '# brltty\n');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:alice\n');
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'config.yaml'), 'lab: test\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('install.sh --root', () => {
  it('creates the user, directories, unit, udev rules and the current link', () => {
    const r = install('--config', join(root, 'config.yaml'));
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('skip: systemctl daemon-reload');
    expect(r.out).toContain('skip: modprobe -a usbserial cdc_acm');

    const passwd = read('etc/passwd').split('\n').find((l) => l.startsWith('ionworks-edge:'));
    expect(passwd).toMatch(/^ionworks-edge:x:\d+:\d+:ionworks-edge daemon:\/var\/lib\/ionworks-edge:\S*nologin$/);
    expect(Number(passwd!.split(':')[3])).toBe(idOf('group', 'ionworks-edge'));
    expect(read('etc/group')).toContain('dialout:x:20:alice,ionworks-edge\n');
    expect(read('etc/group')).toMatch(/^input:x:\d+:ionworks-edge$/m);

    expect(read('etc/systemd/system/ionworks-edge.service')).toBe(readFileSync(join(REPO_SYSTEMD, 'ionworks-edge.service'), 'utf8'));
    expect(read('etc/udev/rules.d/60-ionworks-edge.rules')).toBe(readFileSync(join(REPO_SYSTEMD, '60-ionworks-edge.rules'), 'utf8'));
    expect(read('etc/modules-load.d/ionworks-edge.conf')).toMatch(/^usbserial\ncdc_acm\n$/m);
    expect(read('etc/udev/rules.d/85-brltty.rules')).toMatch(/^# ionworks-edge: masks brltty/);
    expect(readlinkSync(join(root, 'opt/ionworks-edge/current'))).toBe('releases/0.1.0');
    // The CLI on the PATH runs the current release with the node the unit uses.
    expect(read('usr/local/bin/ionworks-edge')).toBe(
      '#!/bin/sh\n# ionworks-edge CLI, installed by install.sh: the release /opt/ionworks-edge/current points at.\n' +
        'exec /usr/bin/node /opt/ionworks-edge/current/dist/cli/main.js "$@"\n',
    );
    expect(mode('usr/local/bin/ionworks-edge')).toBe('755');

    expect(read('etc/ionworks-edge/config.yaml')).toBe('lab: test\n');
    expect(mode('etc/ionworks-edge/config.yaml')).toBe('640');
    expect(read('etc/ionworks-edge/env')).toContain('#IONWORKS_API_KEY=');
    expect(mode('etc/ionworks-edge/env')).toBe('600');
    expect(mode('var/lib/ionworks-edge')).toBe('750');
    if (asRoot) {
      const uid = idOf('passwd', 'ionworks-edge');
      const gid = idOf('group', 'ionworks-edge');
      expect(lstatSync(join(root, 'etc/ionworks-edge/config.yaml'))).toMatchObject({ uid: 0, gid });
      expect(lstatSync(join(root, 'etc/ionworks-edge/env'))).toMatchObject({ uid: 0, gid: 0 });
      expect(lstatSync(join(root, 'var/lib/ionworks-edge'))).toMatchObject({ uid, gid });
    }
  });

  it('changes nothing when run again, and never overwrites config or key', () => {
    writeFileSync(join(root, 'etc/ionworks-edge/env'), 'IONWORKS_API_KEY=secret\n');
    writeFileSync(join(root, 'other.yaml'), 'lab: other\n');
    const before = snapshot();
    const r = install('--config', join(root, 'other.yaml'));
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('unchanged /etc/systemd/system/ionworks-edge.service');
    expect(r.out).toContain('keeping the existing /etc/ionworks-edge/config.yaml');
    expect(snapshot()).toEqual(before);
  });

  it('--uninstall removes the service files but keeps config, outbox, releases and user', () => {
    const r = install('--uninstall');
    expect(r.status, r.out).toBe(0);
    for (const gone of ['etc/systemd/system/ionworks-edge.service', 'etc/udev/rules.d/60-ionworks-edge.rules', 'etc/modules-load.d/ionworks-edge.conf', 'etc/udev/rules.d/85-brltty.rules', 'usr/local/bin/ionworks-edge'])
      expect(() => lstatSync(join(root, gone)), gone).toThrow();
    expect(read('etc/ionworks-edge/env')).toBe('IONWORKS_API_KEY=secret\n');
    expect(lstatSync(join(root, 'var/lib/ionworks-edge')).isDirectory()).toBe(true);
    expect(readlinkSync(join(root, 'opt/ionworks-edge/current'))).toBe('releases/0.1.0');
    expect(read('etc/passwd')).toMatch(/^ionworks-edge:/m);
  });

  it('--purge removes config, outbox, releases, user and group memberships', () => {
    // The script lives in the release it purges; bash has it open and finishes.
    const r = install('--purge');
    expect(r.status, r.out).toBe(0);
    for (const gone of ['etc/ionworks-edge', 'var/lib/ionworks-edge', 'opt/ionworks-edge']) expect(() => lstatSync(join(root, gone)), gone).toThrow();
    expect(read('etc/passwd')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(read('etc/group')).toContain('dialout:x:20:alice\n');
    expect(read('etc/group')).not.toContain('ionworks-edge');
  });

  it('rejects an unknown argument', () => {
    const r = spawnSync('bash', [join(REPO_SYSTEMD, 'install.sh'), '--root', root, '--frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('unknown argument: --frobnicate');
  });
});

// A halted uploader, as the ops person meets it: /readyz and the status page say so, and `ionworks-edge status
// --resume` on this PC (POST /api/uploader/resume) sets it going again without a restart or a signal.
import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runStatus, type StatusDeps } from '../../src/cli/status.js';
import { ACTION_HEADER, localAction, RESUME_PATH } from '../../src/ops/uploader-routes.js';
import { startFixture, until, type Fixture } from './daemon-fixture.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const deps: StatusDeps = { fetch: (i, init) => fetch(i, init), env: {}, readFile: () => '', out: (s) => void out.push(s), err: (s) => void err.push(s) };
  return { deps, out: () => out.join(''), err: () => err.join('') };
}

async function measure(f: Fixture, n: number): Promise<void> {
  f.scan(`CELL-000${n}`);
  await until('the scan', () => f.events('scan.accepted').length === n);
  f.thickness('5.523');
  await until('the save', () => f.events('measurement.saved').length === n);
}

describe('resuming a halted uploader', () => {
  it('shows the halt in /readyz and the status, and `status --resume` resumes it without a restart', async () => {
    fx = await startFixture();
    const f = fx;
    // Every row refused the same way: api.halt_after_same_failures (3) in a row halt the uploader.
    f.answer.status = 422;
    for (const n of [1, 2, 3]) await measure(f, n);
    await until('the halt', () => f.daemon.uploader.state().mode === 'halted');

    const ready = await f.get('/readyz');
    expect(ready.status).toBe(503);
    expect((ready.json() as { reasons: string[]; uploader: string }).uploader).toBe('halted');
    expect((ready.json() as { reasons: string[] }).reasons).toEqual([expect.stringMatching(/^uploads halted since .*HTTP 422/)]);
    const status = await f.get('/api/status');
    expect((status.json() as { upload: { tone: string; text: string } }).upload).toMatchObject({ tone: 'error', text: expect.stringContaining('uploads are halted') });

    // Without the CLI's header (a web page's form post, say), nothing happens.
    const plain = await globalThis.fetch(`${f.daemon.http.url}${RESUME_PATH}`, { method: 'POST' });
    expect(plain.status).toBe(403);
    expect(f.daemon.uploader.state().mode).toBe('halted');

    // The cause is fixed; the ops person resumes.
    f.answer.status = 201;
    const cli = io();
    expect(await runStatus(['--url', f.daemon.http.url, '--resume'], cli.deps)).toBe(0);
    expect(cli.out()).toMatch(/^Uploads resumed\./);
    expect(cli.out()).toContain('Uploads:');
    await until('the held row to go', () => f.daemon.outbox.counts().pending === 0);
    expect(f.daemon.outbox.counts()).toEqual({ pending: 0, delivered: 1, dead: 2 });
    expect(f.events('upload.resume_requested')).toEqual([expect.objectContaining({ resumed: true, mode: 'running' })]);
    expect(f.events('upload.resumed')).toHaveLength(1);
    expect((await f.get('/readyz')).status).toBe(200);

    // Not halted: said so (on stderr with --json, so stdout stays JSON), nothing changes.
    const again = io();
    expect(await runStatus(['--url', f.daemon.http.url, '--resume', '--json'], again.deps)).toBe(0);
    expect(again.err()).toMatch(/^Uploads were not halted \(running\); nothing to resume\./);
    expect(JSON.parse(again.out())).toMatchObject({ upload: { queued: 0, dead: 2 } });
  });
});

describe('localAction', () => {
  const call = (remoteAddress: string, headers: Record<string, string>) => {
    let status = 0;
    let handled = false;
    const req = { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
    const res = { writeHead: (s: number) => (status = s), end: () => undefined } as unknown as ServerResponse;
    void localAction(() => void (handled = true))(req, res, new URL('http://127.0.0.1/'));
    return handled ? 'handled' : status;
  };
  const action = { [ACTION_HEADER]: 'resume' };

  it('lets through only a request from this machine, to a loopback Host, with the action header', () => {
    expect(call('127.0.0.1', { host: '127.0.0.1:8787', ...action })).toBe('handled');
    expect(call('::1', { host: '[::1]:8787', ...action })).toBe('handled');
    expect(call('::ffff:127.0.0.1', { host: 'localhost:8787', ...action })).toBe('handled');
    // Another machine, even with the header and a loopback Host.
    expect(call('10.1.2.3', { host: '127.0.0.1:8787', ...action })).toBe(403);
    // A page whose name was rebound to 127.0.0.1 (DNS rebinding) keeps its own Host.
    expect(call('127.0.0.1', { host: 'evil.example:8787', ...action })).toBe(403);
    expect(call('127.0.0.1', { host: '127.0.0.1:8787' })).toBe(403);
  });
});

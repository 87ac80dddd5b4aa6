// `ionworks-edge queue` on real SQLite files, run in-process (stdout captured) beside an open read-write Outbox
// connection that stands in for the running daemon, plus one spawned smoke test through the built CLI entry.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { createQueueCommand } from '../../src/cli/queue.js';
import { openDatabase, outboxPath } from '../../src/queue/db.js';
import type { Outbox } from '../../src/queue/outbox.js';
import { measurement, openOutbox, rowIn, tempDir } from '../queue/helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const open: Outbox[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

/** A state dir whose outbox the "daemon" connection keeps open for the whole test. */
function bench() {
  const dir = tempDir();
  const { outbox: daemon } = openOutbox(outboxPath(dir), new FakeClock(T0));
  open.push(daemon);
  const clock = new FakeClock(T0 + 2 * HOUR);
  const queue = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const cmd = createQueueCommand({ stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, clock });
    const code = await cmd.run([...args, '--state-dir', dir]);
    return { code, stdout, stderr };
  };
  return { dir, daemon, queue };
}

describe('queue list / show / stats', () => {
  it('lists rows as a table, filtered by state and limited, beside the open daemon connection', async () => {
    const { daemon, queue } = bench();
    const p = rowIn(daemon, 1, 'pending', T0);
    const d = rowIn(daemon, 2, 'dead', T0);
    rowIn(daemon, 3, 'delivered', T0);

    const all = await queue('list');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+CELL\s+NAME\s+ATTEMPTS\s+LAST\s+AGE$/);
    expect(lines[1]).toMatch(new RegExp(`^${p.id}\\s+pending\\s+cell-1\\s+${p.name}\\s+0\\s+-\\s+2h00m$`));
    expect(lines[2]).toMatch(new RegExp(`^${d.id}\\s+dead\\s+cell-2\\s+${d.name}\\s+1\\s+422\\s+2h00m$`));
    expect(lines.at(-1)).toBe('3 of 3 row(s)');

    const dead = await queue('list', '--state', 'dead');
    expect(dead.stdout).toContain(d.name);
    expect(dead.stdout).not.toContain(p.name);
    const limited = await queue('list', '--limit', '1');
    expect(limited.stdout.trim().split('\n').at(-1)).toBe('1 of 3 row(s) (raise --limit to see more)');

    expect((await queue('list', '--state', 'lost')).code).toBe(64);
    expect((await queue('list', '--limit', '0')).code).toBe(64);
  });

  it('shows one row whole: pretty body, every attempt with its outcome, the dead reason and the edit history', async () => {
    const { daemon, queue } = bench();
    const { id, name } = rowIn(daemon, 1, 'pending', T0);
    daemon.beginAttempt(id, T0);
    daemon.recordRetry(id, T0 + 250, { status: 503, detail: 'upstream down', correlationId: 'c-1' }, T0 + 1_000);
    daemon.beginAttempt(id, T0 + 1_000);
    daemon.recordDead(id, T0 + 1_100, { status: 422, detail: '{"detail":[{"msg":"unit not allowed"}]}', reason: 'rejected by the API (422)' });
    daemon.admin().editDead(id, { cellInstanceId: 'cell-1b' });

    const { code, stdout } = await queue('show', String(id));
    expect(code).toBe(0);
    expect(stdout).toContain(`row ${id}  dead`);
    expect(stdout).toContain(`name:         ${name}`);
    expect(stdout).toContain('dead reason:  rejected by the API (422)');
    expect(stdout).toContain('    "properties": {'); // pretty-printed
    expect(stdout).toContain('  #1  2026-01-01T00:00:00.000Z  HTTP 503 after 250 ms  (correlation c-1)\n    upstream down');
    expect(stdout).toContain('  #2  2026-01-01T00:00:01.000Z  HTTP 422 after 100 ms\n    {"detail":[{"msg":"unit not allowed"}]}');
    expect(stdout).toContain('edits (1):\n  2026-01-01T00:00:00.000Z\n    cell: cell-1 -> cell-1b');

    expect(await queue('show', '999')).toMatchObject({ code: 66, stderr: 'ionworks-edge queue show: no outbox row 999\n' });
    expect((await queue('show', 'abc')).code).toBe(64);
    expect((await queue('show')).code).toBe(64);
  });

  it('reports counts and storage use against the cap', async () => {
    const { daemon, queue } = bench();
    rowIn(daemon, 1, 'pending', T0);
    rowIn(daemon, 2, 'dead', T0);
    rowIn(daemon, 3, 'delivered', T0);
    const { code, stdout } = await queue('stats');
    expect(code).toBe(0);
    expect(stdout).toMatch(/pending:\s+1\ndead:\s+1\ndelivered:\s+1 \(pruned after 30 day\(s\)\)/);
    expect(stdout).toContain('oldest pending: 2h00m old');
    expect(stdout).toMatch(/storage:\s+2 of 100000 rows \(pending \+ dead\): ok/);
  });
});

describe('queue requeue / edit / purge (writes beside the daemon)', () => {
  it('re-queues one dead row or all of them; the daemon connection sees them due', async () => {
    const { daemon, queue } = bench();
    const a = rowIn(daemon, 1, 'dead', T0);
    const b = rowIn(daemon, 2, 'dead', T0);
    const p = rowIn(daemon, 3, 'pending', T0);

    expect(await queue('requeue', String(a.id))).toMatchObject({ code: 0, stdout: `row ${a.id} re-queued (was dead: rejected: 422)\n` });
    expect(daemon.get(a.id)?.state).toBe('pending');
    expect(await queue('requeue', String(p.id))).toMatchObject({ code: 65, stderr: expect.stringContaining('only dead rows can be re-queued') });
    expect((await queue('requeue', '404')).code).toBe(66);
    expect((await queue('requeue')).code).toBe(64);
    expect((await queue('requeue', '1', '--all-dead')).code).toBe(64);

    expect(await queue('requeue', '--all-dead')).toMatchObject({ code: 0, stdout: '1 dead row(s) re-queued\n' });
    expect(daemon.get(b.id)?.state).toBe('pending');
    expect(daemon.due(T0 + 3 * HOUR, 10).map((r) => r.id)).toEqual([a.id, b.id, p.id]);
  });

  it('edits only a dead row, keeps its name, records the old body, and leaves it dead', async () => {
    const { daemon, queue } = bench();
    const dead = rowIn(daemon, 1, 'dead', T0);
    const pending = rowIn(daemon, 2, 'pending', T0);
    const oldBody = daemon.get(dead.id)!.body;
    const dir = tempDir();
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: dead.name, properties: { mass: { value: 1.5, unit: 'g' } } }, null, 2));
    const renamed = join(dir, 'renamed.json');
    writeFileSync(renamed, JSON.stringify({ name: 'other-name', properties: {} }));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"name": ');

    const r = await queue('edit', String(dead.id), '--body-file', good, '--cell', 'cell-7');
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`It stays dead until: queue requeue ${dead.id}`);
    // Seen through the daemon's own connection.
    expect(daemon.get(dead.id)).toMatchObject({
      state: 'dead',
      name: dead.name,
      cellInstanceId: 'cell-7',
      body: JSON.stringify({ name: dead.name, properties: { mass: { value: 1.5, unit: 'g' } } }),
    });
    expect(daemon.admin().edits(dead.id)).toEqual([expect.objectContaining({ oldBody, oldCellInstanceId: 'cell-1', newCellInstanceId: 'cell-7' })]);

    expect(await queue('edit', String(dead.id), '--body-file', renamed)).toMatchObject({ code: 65, stderr: expect.stringContaining('the name cannot change') });
    expect((await queue('edit', String(dead.id), '--body-file', broken)).code).toBe(65);
    expect((await queue('edit', String(dead.id), '--body-file', join(dir, 'missing.json'))).code).toBe(66);
    expect(await queue('edit', String(pending.id), '--cell', 'x')).toMatchObject({ code: 65, stderr: expect.stringContaining('only dead rows can be edited') });
    expect((await queue('edit', '999', '--cell', 'x')).code).toBe(66);
    expect((await queue('edit', String(dead.id))).code).toBe(64);
    expect(daemon.admin().edits(dead.id)).toHaveLength(1);
    expect(daemon.get(pending.id)?.cellInstanceId).toBe('cell-2');
  });

  it('purges only with --yes-really, refuses pending outright, and never touches pending rows', async () => {
    const { daemon, queue } = bench();
    const p = rowIn(daemon, 1, 'pending', T0);
    rowIn(daemon, 2, 'dead', T0);
    rowIn(daemon, 3, 'dead', T0);
    rowIn(daemon, 4, 'delivered', T0);

    expect(await queue('purge', '--state', 'dead')).toMatchObject({
      code: 64,
      stderr: 'ionworks-edge queue purge: purge would delete 2 dead row(s) for good; add --yes-really to do it\n',
    });
    expect(daemon.counts()).toEqual({ pending: 1, dead: 2, delivered: 1 });
    expect(await queue('purge', '--state', 'pending', '--yes-really')).toMatchObject({ code: 64, stderr: expect.stringContaining('can never be purged') });
    expect((await queue('purge', '--state', 'all', '--yes-really')).code).toBe(64);
    expect((await queue('purge', '--yes-really')).code).toBe(64);
    expect(daemon.counts()).toEqual({ pending: 1, dead: 2, delivered: 1 });

    expect(await queue('purge', '--state', 'dead', '--yes-really')).toMatchObject({ code: 0, stdout: '2 dead row(s) purged\n' });
    expect(await queue('purge', '--state', 'delivered', '--yes-really')).toMatchObject({ code: 0, stdout: '1 delivered row(s) purged\n' });
    expect(daemon.counts()).toEqual({ pending: 1, dead: 0, delivered: 0 });
    expect(daemon.get(p.id)?.state).toBe('pending');
  });
});

describe('queue export / backup', () => {
  it('exports rows as JSON lines with attempts and edits, streamed across pages', async () => {
    const { dir, daemon, queue } = bench();
    const dead = rowIn(daemon, 1, 'dead', T0);
    daemon.admin().editDead(dead.id, { cellInstanceId: 'cell-x' });
    // More rows than one export page.
    const db = openDatabase(outboxPath(dir));
    const ins = db.prepare(`INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at) VALUES ('c', ?, '{}', 'b', ?, ?)`);
    db.transaction(() => {
      for (let i = 0; i < 1_200; i++) ins.run(`bulk-${i}`, T0, T0);
    })();
    db.close();

    const all = await queue('export');
    expect(all.code).toBe(0);
    const rows = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(rows).toHaveLength(1_201);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    expect(rows[0]).toMatchObject({ id: dead.id, state: 'dead', name: dead.name, body: daemon.get(dead.id)!.body, deadReason: 'rejected: 422' });
    expect(rows[0]!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, status: 422, detail: '{"detail":"bad unit"}' })]);
    expect(rows[0]!.edits).toEqual([expect.objectContaining({ oldCellInstanceId: 'cell-1', newCellInstanceId: 'cell-x' })]);

    const onlyDead = await queue('export', '--state', 'dead');
    expect(onlyDead.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('backs up while the daemon connection writes, and refuses to overwrite without --force', async () => {
    const { daemon, queue } = bench();
    for (let i = 0; i < 50; i++) rowIn(daemon, i, 'pending', T0);
    const file = join(tempDir(), 'outbox-backup.db');
    let n = 1_000;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        daemon.save(measurement(n++, T0));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const r = await queue('backup', file);
    writing = false;
    await writer;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^backed up \\d+ row\\(s\\) to ${file} \\(integrity check ok\\)\\n$`));
    const copy = openDatabase(file, { readonly: true });
    const copied = (copy.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    copy.close();
    expect(copied).toBeGreaterThanOrEqual(50);

    expect(await queue('backup', file)).toMatchObject({ code: 73, stderr: expect.stringContaining('pass --force') });
    expect((await queue('backup', file, '--force')).code).toBe(0);
    expect((await queue('backup')).code).toBe(64);
  });
});

describe('queue command errors', () => {
  it('needs a state dir or config, refuses a missing outbox without creating one, and knows its subcommands', async () => {
    const run = async (...args: string[]) => {
      let stderr = '';
      const cmd = createQueueCommand({ stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, clock: new FakeClock(T0) });
      return { code: await cmd.run(args), stderr };
    };
    expect((await run('list')).code).toBe(64);
    expect((await run()).code).toBe(64);
    expect((await run('frobnicate')).stderr).toContain('unknown subcommand "frobnicate"');
    expect((await run('help')).code).toBe(0);
    const empty = tempDir();
    expect(await run('requeue', '--all-dead', '--state-dir', empty)).toMatchObject({ code: 66, stderr: expect.stringContaining('no outbox at') });
    expect(existsSync(outboxPath(empty))).toBe(false);
    expect((await run('list', '--config', join(empty, 'nope.yaml'))).code).toBe(78);
    expect((await run('list', '--config', 'a', '--state-dir', empty)).code).toBe(64);
  });
});

describe('queue through the built CLI entry', () => {
  it('lists, re-queues and shows through node dist/cli/main.js while another connection holds the outbox open', () => {
    const main = resolve('dist/cli/main.js');
    expect(existsSync(resolve('dist/cli/queue.js')), 'run `npm run build` first').toBe(true);
    const { dir, daemon } = bench();
    const dead = rowIn(daemon, 1, 'dead', T0);
    const run = (...args: string[]) => spawnSync(process.execPath, [main, 'queue', ...args, '--state-dir', dir], { encoding: 'utf8', timeout: 20_000 });

    const list = run('list', '--state', 'dead');
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(dead.name);
    const requeue = run('requeue', String(dead.id));
    expect(requeue.status).toBe(0);
    expect(daemon.get(dead.id)?.state).toBe('pending');
    expect(run('show', '12345').status).toBe(66);
  });
});

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { BackupExistsError, BadEditError } from '../../src/queue/admin.js';
import { openDatabase } from '../../src/queue/db.js';
import { OutboxStateError } from '../../src/queue/outbox.js';
import { capturingLogger, measurement, openOutbox, rowIn, tempDir } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function fresh() {
  const path = join(tempDir(), 'outbox.db');
  return { path, ...openOutbox(path, new FakeClock(T0)) };
}

describe('OutboxAdmin.editDead', () => {
  it('changes a dead row, keeps the old body and cell in the history, and leaves it dead', () => {
    const { outbox } = fresh();
    const { id, name } = rowIn(outbox, 1, 'dead', T0);
    const old = outbox.get(id)!;
    const newBody = JSON.stringify({ name, properties: { mass: { value: 12.5, unit: 'g' } } });
    const edit = outbox.admin().editDead(id, { body: `  ${newBody}\n`, cellInstanceId: 'cell-fixed' });

    expect(edit).toEqual({ editedAt: T0, oldCellInstanceId: 'cell-1', newCellInstanceId: 'cell-fixed', oldBody: old.body, newBody });
    expect(outbox.get(id)).toMatchObject({ state: 'dead', body: newBody, cellInstanceId: 'cell-fixed', name });
    expect(outbox.admin().edits(id)).toEqual([edit]);
    outbox.close();
  });

  it('refuses a body whose name differs, a non-object, or invalid JSON, and changes nothing', () => {
    const { outbox } = fresh();
    const { id, name } = rowIn(outbox, 1, 'dead', T0);
    const before = outbox.get(id)!;
    const admin = outbox.admin();
    expect(() => admin.editDead(id, { body: JSON.stringify({ name: `${name}-x` }) })).toThrow(/differs from the row's name/);
    expect(() => admin.editDead(id, { body: JSON.stringify({ properties: {} }) })).toThrow(BadEditError);
    expect(() => admin.editDead(id, { body: '[1,2]' })).toThrow('the new body must be a JSON object');
    expect(() => admin.editDead(id, { body: '{"name":' })).toThrow(/not valid JSON/);
    expect(() => admin.editDead(id, {})).toThrow(/nothing to change/);
    expect(outbox.get(id)).toEqual(before);
    expect(admin.edits(id)).toEqual([]);
    outbox.close();
  });

  it('refuses pending and delivered rows and unknown ids', () => {
    const { outbox } = fresh();
    const pending = rowIn(outbox, 1, 'pending', T0);
    const delivered = rowIn(outbox, 2, 'delivered', T0);
    const body = (name: string) => JSON.stringify({ name });
    expect(() => outbox.admin().editDead(pending.id, { body: body(pending.name) })).toThrow(`row ${pending.id} is pending; only dead rows can be edited`);
    expect(() => outbox.admin().editDead(delivered.id, { body: body(delivered.name) })).toThrow(OutboxStateError);
    expect(() => outbox.admin().editDead(999, { cellInstanceId: 'x' })).toThrow('no outbox row 999');
    outbox.close();
  });
});

describe('OutboxAdmin.purge and pruneDelivered', () => {
  it('purges one finished state with its attempts and edits, and never a pending row', () => {
    const { outbox } = fresh();
    const pending = rowIn(outbox, 1, 'pending', T0);
    const dead = rowIn(outbox, 2, 'dead', T0);
    rowIn(outbox, 3, 'delivered', T0);
    outbox.admin().editDead(dead.id, { cellInstanceId: 'cell-x' });

    expect(outbox.admin().purge('dead')).toBe(1);
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 1, dead: 0 });
    expect(outbox.admin().edits(dead.id)).toEqual([]);
    expect(outbox.admin().purge('delivered')).toBe(1);
    expect(() => outbox.admin().purge('pending' as never)).toThrow('rows in state "pending" cannot be purged');
    expect(outbox.get(pending.id)?.state).toBe('pending');
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 0, dead: 0 });
    outbox.close();
  });

  it('never hands out an id again, even after the newest rows were purged or pruned', () => {
    const { outbox } = fresh();
    rowIn(outbox, 1, 'delivered', T0);
    const newest = rowIn(outbox, 2, 'dead', T0);
    expect(outbox.admin().purge('dead')).toBe(1);
    expect(outbox.save(measurement(3, T0)).id).toBe(newest.id + 1);
    // Everything gone (a long idle spell past the retention): the ids still go on.
    rowIn(outbox, 4, 'delivered', T0);
    outbox.admin().purge('dead');
    outbox.connection().exec(`UPDATE outbox SET state = 'delivered', finished_at = ${T0}`);
    expect(outbox.admin().pruneDelivered(T0 + 1)).toBe(3);
    expect(outbox.counts()).toEqual({ pending: 0, delivered: 0, dead: 0 });
    expect(outbox.save(measurement(5, T0)).id).toBe(newest.id + 3);
    outbox.close();
  });

  it('prunes only delivered rows finished before the cutoff, in batches, keeping dead and pending of any age', () => {
    const { outbox, path } = fresh();
    rowIn(outbox, 1, 'pending', T0);
    rowIn(outbox, 2, 'dead', T0);
    const fresh1 = rowIn(outbox, 3, 'delivered', T0 + 10 * DAY);
    outbox.close();
    // 2,500 old delivered rows, more than one delete batch.
    const db = openDatabase(path);
    const ins = db.prepare(
      `INSERT INTO outbox (cell_instance_id, name, body, station, created_at, next_attempt_at, state, finished_at, attempts)
       VALUES ('c', ?, '{}', 'bench1', ?, ?, 'delivered', ?, 1)`,
    );
    const att = db.prepare('INSERT INTO attempts (outbox_id, attempt, started_at, finished_at, status) VALUES (?, 1, ?, ?, 201)');
    db.transaction(() => {
      for (let i = 0; i < 2_500; i++) att.run(ins.run(`old-${i}`, T0, T0, T0 + i).lastInsertRowid, T0, T0 + i);
    })();
    db.close();

    const { outbox: o } = openOutbox(path, new FakeClock(T0));
    expect(o.admin().pruneDelivered(T0 + 5 * DAY)).toBe(2_500);
    expect(o.counts()).toEqual({ pending: 1, delivered: 1, dead: 1 });
    expect(o.get(fresh1.id)?.state).toBe('delivered');
    expect(o.admin().pruneDelivered(T0 + 5 * DAY)).toBe(0);
    o.close();
  });
});

describe('OutboxAdmin.usage', () => {
  it('counts pending and dead rows and their body bytes (UTF-8), not delivered ones', () => {
    const { outbox } = fresh();
    outbox.save(measurement(1, T0, { body: '{"n":"é"}' })); // 10 bytes
    rowIn(outbox, 2, 'delivered', T0);
    const dead = rowIn(outbox, 3, 'dead', T0);
    const deadBytes = Buffer.byteLength(outbox.get(dead.id)!.body);
    expect(outbox.admin().usage()).toEqual({ rows: 2, bytes: 10 + deadBytes });
    outbox.close();
  });
});

describe('OutboxAdmin.backup', () => {
  it('copies a consistent snapshot while another connection keeps writing, and refuses to overwrite without force', async () => {
    const { path, outbox } = fresh();
    for (let i = 0; i < 200; i++) rowIn(outbox, i, i % 3 === 0 ? 'dead' : 'pending', T0 + i);
    // The "CLI" side: its own read-only connection, as `queue backup` opens it.
    const { outbox: reader } = openOutbox(path, new FakeClock(T0), { readonly: true });
    const file = join(tempDir(), 'copy.db');

    let n = 1_000;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        outbox.save(measurement(n++, T0));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const { rows } = await reader.admin().backup(file);
    writing = false;
    await writer;
    expect(n).toBeGreaterThan(1_000); // writes really happened during the backup

    const copy = openDatabase(file, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const copied = copy.prepare('SELECT id, name, body, state FROM outbox ORDER BY id').all() as { id: number }[];
    expect(copied).toHaveLength(rows);
    copy.close();
    // The copy is exactly the source's rows up to the last one it holds: a snapshot, not a torn mix.
    const src = openDatabase(path, { readonly: true });
    const maxId = copied[copied.length - 1]!.id;
    expect(src.prepare('SELECT id, name, body, state FROM outbox WHERE id <= ? ORDER BY id').all(maxId)).toEqual(copied);
    src.close();
    expect(rows).toBeGreaterThanOrEqual(200);

    await expect(reader.admin().backup(file)).rejects.toBeInstanceOf(BackupExistsError);
    const second = await reader.admin().backup(file, { force: true });
    expect(second.rows).toBe(outbox.counts().pending + outbox.counts().dead);
    expect(existsSync(`${file}.partial`)).toBe(false);
    reader.close();
    outbox.close();
  });

  it('leaves no partial file and the old backup intact when the copy fails', async () => {
    const { outbox } = fresh();
    const dir = tempDir();
    const file = join(dir, 'missing-dir', 'copy.db');
    await expect(outbox.admin().backup(file)).rejects.toThrow(/directory does not exist/);
    const existing = join(dir, 'keep.db');
    writeFileSync(existing, 'old');
    await expect(outbox.admin().backup(existing)).rejects.toThrow(`${existing} already exists; pass --force to overwrite it`);
    outbox.close();
  });
});

describe('edit and purge logging', () => {
  it('logs outbox.edited with the old body and outbox.purged with a count', () => {
    const path = join(tempDir(), 'outbox.db');
    const { logger, lines } = capturingLogger();
    const { outbox } = openOutbox(path, new FakeClock(T0), { logger });
    const dead = rowIn(outbox, 1, 'dead', T0);
    const oldBody = outbox.get(dead.id)!.body;
    outbox.admin().editDead(dead.id, { cellInstanceId: 'cell-9' });
    outbox.admin().purge('dead');
    expect(lines.find((l) => l.event === 'outbox.edited')).toMatchObject({ id: dead.id, oldBody, oldCell: 'cell-1', newCell: 'cell-9' });
    expect(lines.find((l) => l.event === 'outbox.purged')).toMatchObject({ state: 'dead', count: 1 });
    outbox.close();
  });
});

// A damaged outbox stops `run` with one clear line and exit 65 (the unit does not restart on it), leaves the file
// as it was, and the recovery in docs/operations.md ("A corrupted outbox") works: move the file aside, put the last
// `queue backup` in its place, start again.
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { serve, EX_DATAERR } from '../../src/cli/run.js';
import { createLogger, silentLogger } from '../../src/ops/logger.js';
import { outboxPath, openDatabase } from '../../src/queue/db.js';
import { LOCK_FILE } from '../../src/queue/lock.js';
import { Outbox } from '../../src/queue/outbox.js';
import type { FetchLike } from '../../src/uploader/http.js';
import { API_KEY, MockBinding, configYaml } from '../ops/daemon-fixture.js';
import { measurement } from '../queue/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  MockBinding.reset();
});

function workdir(): { configPath: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iwe-corrupt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, configYaml());
  writeFileSync(join(dir, 'api-key'), API_KEY);
  return { configPath, db: outboxPath(join(dir, 'state')) };
}

// The API is down throughout: rows that start pending stay pending, so the counts below are the file's.
const fetch: FetchLike = async () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:9');
};

/** One `run` until ready (then SIGTERM) or until it gives up; its log lines and exit code. */
async function start(configPath: string): Promise<{ code: number; lines: Record<string, any>[] }> {
  MockBinding.createPort('/dev/ttyMOCK0');
  MockBinding.createPort('/dev/ttyMOCK1');
  const lines: Record<string, any>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  const signals = new EventEmitter();
  const clock = new FakeClock();
  const code = await serve({
    configPath,
    env: {},
    logger,
    signals,
    run: async () => ({ code: 0, stdout: 'yes\n', stderr: '' }),
    daemon: { clock, timers: clock, fetch, binding: MockBinding },
    onReady: () => signals.emit('SIGTERM'),
  });
  MockBinding.reset();
  return { code, lines };
}

/** An outbox with three pending rows, closed cleanly (WAL checkpointed into the main file). */
function seed(db: string): void {
  const outbox = new Outbox({ path: db, clock: new FakeClock(), logger: silentLogger() });
  outbox.open();
  for (const n of [1, 2, 3]) outbox.save(measurement(n, 1_000 + n));
  outbox.close();
}

/** Overwrites a table's root page (one page in these small files) with bytes no b-tree page can start with. */
function damageTable(db: string, table: string): void {
  const conn = openDatabase(db, { readonly: true });
  const pageSize = conn.pragma('page_size', { simple: true }) as number;
  const root = (conn.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number }).rootpage;
  conn.close();
  const fd = openSync(db, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (root - 1) * pageSize);
  closeSync(fd);
}

describe('run on a damaged outbox', () => {
  it('refuses a file that is not a database, naming it, with exit 65, and changes nothing', async () => {
    const { configPath, db } = workdir();
    mkdirSync(dirname(db));
    const garbage = Buffer.from('this is not an SQLite database, it is a text file that took its name\n'.repeat(64));
    writeFileSync(db, garbage, { flag: 'w' });
    const { code, lines } = await start(configPath);
    expect(code).toBe(EX_DATAERR);
    const fatal = lines.filter((l) => l.level === 'fatal');
    expect(fatal).toEqual([expect.objectContaining({ event: 'outbox.corrupt', path: db, detail: 'file is not a database' })]);
    expect(fatal[0]!.msg).toContain(`the outbox ${db} is damaged (file is not a database); refusing to start on it`);
    expect(fatal[0]!.msg).toContain('docs/operations.md');
    // The refusal is the last word: a start that failed is not logged as a stop.
    expect(lines.at(-1)).toMatchObject({ event: 'outbox.corrupt' });
    expect(lines.some((l) => l.event === 'daemon.stopped' || l.event === 'daemon.stopping')).toBe(false);
    expect(lines.some((l) => l.event === 'daemon.ready')).toBe(false);
    expect(readFileSync(db)).toEqual(garbage);
    expect(existsSync(join(db, '..', LOCK_FILE))).toBe(false);
  });

  it('refuses a damaged page that the start-up queries would not read (quick_check), and starts on the restored backup', async () => {
    const { configPath, db } = workdir();
    seed(db);
    const backup = `${db}.bak`;
    const conn = new Outbox({ path: db, clock: new FakeClock(), logger: silentLogger() });
    conn.open();
    await conn.admin().backup(backup);
    conn.close();
    // The edit history of dead rows: nothing reads it until someone runs `queue show` or `queue edit`.
    damageTable(db, 'edits');
    const damaged = readFileSync(db);

    const refused = await start(configPath);
    expect(refused.code).toBe(EX_DATAERR);
    const line = refused.lines.find((l) => l.event === 'outbox.corrupt');
    expect(line, JSON.stringify(refused.lines)).toMatchObject({ level: 'fatal', path: db });
    expect(line!.detail).toBe('quick_check: database disk image is malformed');
    expect(readFileSync(db)).toEqual(damaged);

    // The documented recovery: move the damaged file aside (with -wal/-shm if any), restore the backup.
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${db}${suffix}`)) renameSync(`${db}${suffix}`, `${db}.broken${suffix}`);
    copyFileSync(backup, db);
    const restored = await start(configPath);
    expect(restored.code).toBe(0);
    expect(restored.lines.find((l) => l.event === 'daemon.ready')).toMatchObject({ pending: 3, dead: 0 });
  });

  it('refuses a file whose damage only quick_check reports (a wrong free-page count in the header)', async () => {
    const { configPath, db } = workdir();
    seed(db);
    // Header offset 36: the number of free pages (a few, left by migrations that dropped indexes), raised by 3.
    const fd = openSync(db, 'r+');
    const header = Buffer.alloc(4);
    readSync(fd, header, 0, 4, 36);
    const free = header.readUInt32BE(0);
    header.writeUInt32BE(free + 3, 0);
    writeSync(fd, header, 0, 4, 36);
    closeSync(fd);
    const { code, lines } = await start(configPath);
    expect(code).toBe(EX_DATAERR);
    expect(lines.find((l) => l.event === 'outbox.corrupt')).toMatchObject({
      path: db,
      detail: expect.stringMatching(new RegExp(`^quick_check: (Main )?freelist: size is ${free} but should be ${free + 3}$`, 'i')),
    });
  });

  it('refuses a damaged rows page that fails the first query, with the same event and exit code', async () => {
    const { configPath, db } = workdir();
    seed(db);
    damageTable(db, 'outbox');
    const { code, lines } = await start(configPath);
    expect(code).toBe(EX_DATAERR);
    expect(lines.find((l) => l.event === 'outbox.corrupt')).toMatchObject({ level: 'fatal', path: db, detail: expect.stringMatching(/malformed|quick_check/) });
  });
});

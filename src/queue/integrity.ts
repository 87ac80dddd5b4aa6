// A damaged outbox must stop the start with a clear message, not fail later one query at a time: the daemon would
// take scans it cannot save and retry uploads it cannot record. A restart cannot repair the file, so the caller
// exits with a code systemd does not restart on (see systemd/ionworks-edge.service).
import type { Db } from './db.js';

/** SQLite's answers for a file that is not (or no longer) a well-formed database. */
const CORRUPTION_CODES: ReadonlySet<string> = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

export class OutboxCorruptError extends Error {
  override name = 'OutboxCorruptError';
  constructor(
    readonly path: string,
    /** SQLite's own words: the error message, or the first problem quick_check found. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the outbox ${path} is damaged (${detail}); refusing to start on it. ` +
        'Move it aside with its -wal and -shm files, then restore the last `queue backup` or let the daemon start ' +
        'an empty outbox: docs/operations.md, "A corrupted outbox"',
      options,
    );
  }
}

export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && [...CORRUPTION_CODES].some((c) => code === c || code.startsWith(`${c}_`));
}

/**
 * PRAGMA quick_check: every page and record well-formed (it skips the index-content cross-check of
 * integrity_check, so it reads the file once): ~60 ms warm and ~0.7 s with the page cache dropped for a 61 MB
 * outbox of 100,000 rows on the bench VM (bench/README.md, "Restart, cold page cache"). SQLite answers with a
 * list of problems, or throws when a page is too damaged to walk.
 */
export function verifyOutbox(db: Db, path: string): void {
  let answers: string[];
  try {
    // One row per problem; a row may start with a "*** in database main ***" heading line.
    answers = (db.pragma('quick_check') as { quick_check: string }[]).flatMap((r) => r.quick_check.split('\n'));
  } catch (err) {
    if (isCorruption(err)) throw new OutboxCorruptError(path, `quick_check: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  if (answers[0] === 'ok') return;
  const problems = answers.filter((a) => !a.startsWith('*** in database'));
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  throw new OutboxCorruptError(path, `quick_check: ${problems[0] ?? 'no answer'}${more}`);
}

/** The corruption error for `err` when it is one (thrown while opening or checking), else `err` itself. */
export function asCorruption(err: unknown, path: string): unknown {
  if (err instanceof OutboxCorruptError || !isCorruption(err)) return err;
  return new OutboxCorruptError(path, (err as Error).message, { cause: err });
}

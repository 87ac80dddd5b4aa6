// `ionworks-edge queue`: inspect and administer the outbox beside a running daemon. Its own connection (same
// WAL + synchronous=FULL settings via src/queue/db.ts); read-only for list/show/export/stats/backup, short
// IMMEDIATE transactions with busy_timeout for writes, which SQLite serialises with the daemon's.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { systemClock, type Clock } from '../core/clock.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { configSchema } from '../config/schema.js';
import { silentLogger } from '../ops/logger.js';
import { BackupExistsError, BadEditError, type FinishedState, type StateFilter } from '../queue/admin.js';
import { outboxPath } from '../queue/db.js';
import { SchemaVersionError } from '../queue/migrations.js';
import { Outbox, OutboxStateError } from '../queue/outbox.js';
import { formatAge, renderRow, renderTable } from '../queue/report.js';
import { StorageGuard } from '../queue/storage-guard.js';
import type { Command } from './commands.js';

export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOINPUT = 66;
export const EX_SOFTWARE = 70;
export const EX_CANTCREAT = 73;
export const EX_IOERR = 74;
export const EX_TEMPFAIL = 75;
export const EX_CONFIG = 78;

export interface QueueCommandDeps {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  clock: Clock;
}

const USAGE = `usage: ionworks-edge queue <subcommand> (--config <file> | --state-dir <dir>) [options]

  list [--state pending|dead|delivered|all] [--limit N]   rows, oldest first (default: all, 100)
  show <id>                                             one row whole: body, every attempt, dead reason, edits
  requeue <id> | --all-dead                             dead -> pending, due now
  export [--state pending|dead|delivered|all]           JSON lines on stdout (default: all)
  purge --state dead|delivered --yes-really             delete finished rows for good (never pending ones)
  edit <id> [--body-file F] [--cell ID]                 change a dead row's body and/or cell id (name kept)
  backup <file> [--force]                               online copy with SQLite's backup API
  stats                                                 counts, storage use against the caps

exit codes: 0 ok, 64 usage, 65 bad data or wrong row state, 66 no such row or file, 73 backup target exists,
74 database I/O error, 75 database busy or schema not yet upgraded, 78 bad config
`;

/** A failure with its exit code and message; thrown by the subcommands, printed once by run(). */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const common = {
  config: { type: 'string', short: 'c' },
  'state-dir': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: ParseArgsConfig['options'], positionals: number): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new Exit(EX_USAGE, (err as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new Exit(EX_USAGE, `unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

interface Target {
  path: string;
  queue: ReturnType<typeof configSchema.shape.queue.parse>;
}

function target(values: Parsed['values']): Target {
  const configFile = values.config as string | undefined;
  const stateDir = values['state-dir'] as string | undefined;
  if (configFile && stateDir) throw new Exit(EX_USAGE, 'give --config or --state-dir, not both');
  if (stateDir) return { path: outboxPath(stateDir), queue: configSchema.shape.queue.parse(undefined) };
  if (!configFile) throw new Exit(EX_USAGE, '--config <file> or --state-dir <dir> is required');
  try {
    const { config } = loadConfig(configFile);
    return { path: outboxPath(config.state_dir), queue: config.queue };
  } catch (err) {
    if (err instanceof ConfigError) throw new Exit(EX_CONFIG, err.message);
    throw err;
  }
}

function rowId(text: string | undefined): number {
  if (text === undefined) throw new Exit(EX_USAGE, 'a row id is required');
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new Exit(EX_USAGE, `"${text}" is not a row id`);
  return Number(text);
}

const STATES: readonly StateFilter[] = ['pending', 'dead', 'delivered', 'all'];

function stateFilter(text: string | boolean | undefined, fallback: StateFilter): StateFilter {
  if (text === undefined) return fallback;
  if (!STATES.includes(text as StateFilter)) throw new Exit(EX_USAGE, `--state must be one of ${STATES.join(', ')}`);
  return text as StateFilter;
}

export function createQueueCommand(deps: QueueCommandDeps): Command {
  const { stdout, clock } = deps;

  /** Opens the outbox, runs fn, always closes. Writers never create a missing outbox. */
  function withOutbox<T>(t: Target, mode: 'read' | 'write', fn: (o: Outbox) => T): T {
    if (!existsSync(t.path)) throw new Exit(EX_NOINPUT, `no outbox at ${t.path}`);
    const outbox = new Outbox({ path: t.path, clock, logger: silentLogger(), readonly: mode === 'read' });
    outbox.open();
    try {
      return fn(outbox);
    } finally {
      outbox.close();
    }
  }

  function getRow(o: Outbox, id: number) {
    const row = o.get(id);
    if (!row) throw new Exit(EX_NOINPUT, `no outbox row ${id}`);
    return row;
  }

  const subcommands: Record<string, (args: string[]) => Promise<void> | void> = {
    list(args) {
      const { values } = parse(args, { state: { type: 'string' }, limit: { type: 'string' } }, 0);
      const state = stateFilter(values.state, 'all');
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Exit(EX_USAGE, '--limit must be a positive integer');
      withOutbox(target(values), 'read', (o) => {
        const admin = o.admin();
        const rows = admin.page(state, 0, limit);
        const total = admin.count(state);
        stdout.write(renderTable(rows, clock.now()));
        stdout.write(`${rows.length} of ${total} ${state === 'all' ? '' : `${state} `}row(s)${rows.length < total ? ` (raise --limit to see more)` : ''}\n`);
      });
    },

    show(args) {
      const { values, positionals } = parse(args, {}, 1);
      const id = rowId(positionals[0]);
      withOutbox(target(values), 'read', (o) => stdout.write(renderRow(getRow(o, id), o.admin().edits(id), clock.now())));
    },

    requeue(args) {
      const { values, positionals } = parse(args, { 'all-dead': { type: 'boolean' } }, 1);
      if (values['all-dead'] === (positionals[0] !== undefined)) throw new Exit(EX_USAGE, 'give one row id or --all-dead');
      const t = target(values);
      if (values['all-dead']) {
        withOutbox(t, 'write', (o) => stdout.write(`${o.requeueAllDead()} dead row(s) re-queued\n`));
        return;
      }
      const id = rowId(positionals[0]);
      withOutbox(t, 'write', (o) => {
        const reason = getRow(o, id).deadReason;
        o.requeue(id);
        stdout.write(`row ${id} re-queued${reason ? ` (was dead: ${reason})` : ''}\n`);
      });
    },

    export(args) {
      const { values } = parse(args, { state: { type: 'string' } }, 0);
      const state = stateFilter(values.state, 'all');
      withOutbox(target(values), 'read', (o) => {
        const admin = o.admin();
        for (const row of admin.rows(state)) stdout.write(`${JSON.stringify({ ...row, edits: admin.edits(row.id) })}\n`);
      });
    },

    purge(args) {
      const { values } = parse(args, { state: { type: 'string' }, 'yes-really': { type: 'boolean' } }, 0);
      if (values.state === 'pending') throw new Exit(EX_USAGE, 'pending rows are owed to the API and can never be purged');
      if (values.state !== 'dead' && values.state !== 'delivered') throw new Exit(EX_USAGE, '--state dead|delivered is required');
      const state: FinishedState = values.state;
      const t = target(values);
      if (!values['yes-really']) {
        const n = withOutbox(t, 'read', (o) => o.admin().count(state));
        throw new Exit(EX_USAGE, `purge would delete ${n} ${state} row(s) for good; add --yes-really to do it`);
      }
      withOutbox(t, 'write', (o) => stdout.write(`${o.admin().purge(state)} ${state} row(s) purged\n`));
    },

    edit(args) {
      const { values, positionals } = parse(args, { 'body-file': { type: 'string' }, cell: { type: 'string' } }, 1);
      const id = rowId(positionals[0]);
      const bodyFile = values['body-file'] as string | undefined;
      const cell = values.cell as string | undefined;
      if (bodyFile === undefined && cell === undefined) throw new Exit(EX_USAGE, 'give --body-file <file> and/or --cell <id>');
      let body: string | undefined;
      if (bodyFile !== undefined) {
        try {
          body = readFileSync(bodyFile, 'utf8');
        } catch (err) {
          throw new Exit(EX_NOINPUT, `cannot read ${bodyFile}: ${(err as Error).message}`);
        }
      }
      withOutbox(target(values), 'write', (o) => {
        getRow(o, id);
        o.admin().editDead(id, { ...(body === undefined ? {} : { body }), ...(cell === undefined ? {} : { cellInstanceId: cell }) });
        stdout.write(`row ${id} edited; the old version is in its edit history. It stays dead until: queue requeue ${id}\n`);
      });
    },

    async backup(args) {
      const { values, positionals } = parse(args, { force: { type: 'boolean' } }, 1);
      const file = positionals[0];
      if (!file) throw new Exit(EX_USAGE, 'a backup file name is required');
      const t = target(values);
      if (!existsSync(t.path)) throw new Exit(EX_NOINPUT, `no outbox at ${t.path}`);
      const outbox = new Outbox({ path: t.path, clock, logger: silentLogger(), readonly: true });
      outbox.open();
      try {
        const { rows } = await outbox.admin().backup(file, { force: values.force === true });
        stdout.write(`backed up ${rows} row(s) to ${file} (integrity check ok)\n`);
      } finally {
        outbox.close();
      }
    },

    stats(args) {
      const { values } = parse(args, {}, 0);
      const t = target(values);
      withOutbox(t, 'read', (o) => {
        const counts = o.counts();
        const limits = { maxRows: t.queue.max_rows, ...(t.queue.max_bytes === undefined ? {} : { maxBytes: t.queue.max_bytes }) };
        const guard = new StorageGuard({ usage: () => o.admin().usage(), limits, logger: silentLogger() });
        guard.check();
        const { usage, level } = guard.status();
        const oldest = o.oldestPendingAt();
        const next = o.nextDueAt();
        const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
        const now = clock.now();
        const lines = [
          `outbox:        ${t.path} (schema v${o.admin().schemaVersion()})`,
          `pending:       ${counts.pending}`,
          `dead:          ${counts.dead}`,
          `delivered:     ${counts.delivered} (pruned after ${t.queue.retention_days} day(s))`,
          `oldest pending: ${oldest === null ? '-' : `${formatAge(now - oldest)} old`}`,
          `next attempt:  ${next === null ? '-' : next <= now ? 'due now' : `in ${formatAge(next - now)}`}`,
          `storage:       ${usage.rows} of ${limits.maxRows} rows` +
            (limits.maxBytes === undefined ? '' : `, ${usage.bytes} of ${limits.maxBytes} body bytes`) +
            ` (pending + dead): ${level === 'ok' ? 'ok' : level === 'full' ? 'FULL, scans refused' : 'nearly full'}`,
          `files:         ${size(t.path)} bytes + ${size(`${t.path}-wal`)} bytes WAL`,
        ];
        stdout.write(`${lines.join('\n')}\n`);
      });
    },
  };

  return {
    summary: 'inspect and administer the outbox: queue list|show|requeue|export|purge|edit|backup|stats',
    async run(args) {
      const [sub, ...rest] = args;
      const handler = sub === undefined ? undefined : subcommands[sub];
      if (!handler) {
        deps.stderr.write(`${sub && sub !== '--help' && sub !== 'help' ? `unknown subcommand "${sub}"\n\n` : ''}${USAGE}`);
        return sub === '--help' || sub === 'help' ? 0 : EX_USAGE;
      }
      try {
        await handler(rest);
        return 0;
      } catch (err) {
        const [code, message] = classify(err);
        deps.stderr.write(`ionworks-edge queue ${sub}: ${message}\n`);
        return code;
      }
    },
  };
}

function classify(err: unknown): [number, string] {
  if (err instanceof Exit) return [err.code, err.message];
  if (err instanceof BadEditError) return [EX_DATAERR, err.message];
  if (err instanceof BackupExistsError) return [EX_CANTCREAT, err.message];
  if (err instanceof OutboxStateError) return [/^no outbox row/.test(err.message) ? EX_NOINPUT : EX_DATAERR, err.message];
  if (err instanceof SchemaVersionError) return [EX_TEMPFAIL, err.message];
  const code = (err as { code?: unknown } | null)?.code;
  const message = `${String(code)}: ${(err as Error).message}`;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return [EX_TEMPFAIL, `the outbox stayed locked by another writer (${message})`];
  if (code === 'SQLITE_CANTOPEN') return [EX_NOINPUT, message];
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return [EX_DATAERR, message];
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return [EX_IOERR, message];
  return [EX_SOFTWARE, err instanceof Error ? (err.stack ?? err.message) : String(err)];
}

export const queueCommand = createQueueCommand({ stdout: process.stdout, stderr: process.stderr, clock: systemClock });

// The upload loop: take due rows from the outbox, commit the attempt, POST, classify, record. The outbox is the
// only record of what is owed; the loop's own state (mode, breaker, probe backoff) is advice a restart may forget.
import type { Clock, Timers } from '../core/clock.js';
import type { CellResolution } from './cell-lookup.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import type { AttemptOutcome, OutboxRow } from '../queue/types.js';
import { jitteredBackoff, parseRetryAfter, retryDelay } from './backoff.js';
import { SameFailureBreaker } from './breaker.js';
import { classify, failureSignature, type Verdict } from './classify.js';
import { matchStored, parseListResponse } from './dedup.js';
import { apiRequest, lookupPath, measurementPath, PostError, type ApiRequest, type FetchLike, type HttpAnswer } from './http.js';

/** The outbox methods the uploader uses; src/queue/outbox.ts's Outbox satisfies it structurally. */
export interface UploaderOutbox {
  due(now: number, limit: number): OutboxRow[];
  /** Commits the attempt before the POST; returns the attempt number (1 for the first). */
  beginAttempt(id: number, at: number): number;
  recordDelivered(id: number, at: number, outcome: AttemptOutcome & { serverId: string | null }): void;
  recordRetry(id: number, at: number, outcome: AttemptOutcome, nextAttemptAt: number): void;
  recordDead(id: number, at: number, outcome: AttemptOutcome & { reason: string }): void;
  /** Takes back a committed attempt whose request was never sent. */
  releaseAttempt(id: number, attempt: number): void;
  /** Runs `fn` in one transaction (one fsync); the calls inside it commit together or not at all. */
  atomically<T>(fn: () => T): T;
  nextDueAt(): number | null;
}

export interface UploaderDeps {
  outbox: UploaderOutbox;
  fetch: FetchLike;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Read on every batch, so a replaced key file takes effect without a restart. */
  getApiKey: () => string | undefined;
  config: Config['api'];
  /** For the backoff jitter; tests pass a seeded one. */
  random?: () => number;
  /**
   * Resolves a row saved with a scanned cell name (offline at the bench) to its cell instance id before the POST
   * (src/uploader/cell-lookup.ts makeCellResolver). Without it rows are posted to the id they were saved with.
   */
  resolveCell?: (row: { id: number; cellInstanceId: string; station: string }) => Promise<CellResolution>;
  /**
   * Called once per round of sending, as soon as its first requests are on the wire: the thread would only wait
   * for the network now. The daemon checkpoints the WAL here, so that the checkpoint, and the WAL restart it
   * causes (SQLite syncs the new WAL header on the next commit), land on the uploader's commits, not inside a
   * station's save.
   */
  onSending?: () => void;
}

/**
 * running: sending. offline: the API cannot be reached; probing GET /healthz. auth_failed: the key is refused;
 * re-checking GET /users/me. halted: rows kept failing the same way; waiting for resume(). no_key: none configured.
 */
export type UploaderMode = 'running' | 'offline' | 'auth_failed' | 'halted' | 'no_key';

export interface UploaderState {
  mode: UploaderMode;
  since: number;
  detail: string | null;
}

/** What an attempt finally comes to once 403s and 409s have been looked into. */
type Final = Exclude<Verdict, { kind: 'forbidden' } | { kind: 'conflict' }> & { found?: number };

/** A row whose attempt is committed. */
interface Started {
  row: OutboxRow;
  attempt: number;
}

// A mode is left only by its own recovery (probe, re-check, resume); a failure never lowers it.
const SEVERITY: Record<UploaderMode, number> = { running: 0, no_key: 0, offline: 1, auth_failed: 2, halted: 3 };
// Re-check at least this often while idle, so a wall-clock step or a missing key never strands the loop.
const MAX_IDLE_MS = 60_000;
// Never spin: even a row due "now" that due() did not return waits this long before the next look.
const MIN_IDLE_MS = 100;
// How many rows' attempts are committed ahead of their requests, at most (at least two per slot): one fsync covers
// that many attempts and the outcomes that came back meanwhile. A crash leaves at most this many extra rows to look
// up before re-sending (a GET each, well under a second). 256 rather than 64: draining at concurrency 2, a row took
// 274 us instead of 282 (270 with no fsync at all); 1,024 gained nothing more (bench/README.md). The price: while a
// backlog drains, a station save that comes during a round waits for it, ~5 ms (max 8.5) instead of ~2 (max 4.8).
export const READY_AHEAD = 256;
/** Prefix of the attempt detail for a 401: the attempt is logged but says it was the key, not the row. */
export const AUTH_DETAIL_PREFIX = 'auth: ';

export class Uploader {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private inflight = new AbortController();
  private wake: (() => void) | undefined;
  /** Failed attempts since the last answer from the server: only the first of a streak is logged at warn. */
  private failures = 0;
  private current: UploaderState;
  private breaker: SameFailureBreaker;
  /** Grows with each failed probe and each fall back into offline; reset by any HTTP answer to real work. */
  private probeFailures = 0;
  /** A Retry-After applies to the whole API, not just the row that got it. */
  private holdUntil = 0;
  /** While auth_failed: when to ask GET /users/me next (0: now). */
  private authCheckAt = 0;

  constructor(private readonly deps: UploaderDeps) {
    this.current = { mode: 'running', since: deps.clock.now(), detail: null };
    this.breaker = new SameFailureBreaker(deps.config.halt_after_same_failures);
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.inflight = new AbortController();
    this.loop = this.run();
  }

  /** Lets attempts in flight finish for up to `graceMs`, then aborts them (they are retried on the next start). */
  async stop(graceMs: number): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.stopping = true;
    this.wake?.();
    const grace = this.deps.timers.setTimeout(() => this.inflight.abort(new Error('uploader stopping')), graceMs);
    try {
      await loop;
    } finally {
      this.deps.timers.clearTimeout(grace);
      this.loop = undefined;
    }
  }

  /** A new row was saved: look now instead of at the next due time (a paused uploader keeps its own pace). */
  kick(): void {
    if (SEVERITY[this.current.mode] === 0) this.wake?.();
  }

  /** For status and health. */
  state(): UploaderState {
    return { ...this.current };
  }

  /** The key file was re-read (SIGHUP): if the key was refused, check the new one now. */
  reloadKey(): void {
    this.authCheckAt = 0;
    this.wake?.();
  }

  /** After a halt: the operator fixed the cause. Rows held back are due as they were. False if it was not halted. */
  resume(): boolean {
    if (this.current.mode !== 'halted') return false;
    this.breaker.success();
    this.setMode('running', null);
    this.wake?.();
    return true;
  }

  private async run(): Promise<void> {
    const { logger } = this.deps;
    while (!this.stopping) {
      try {
        const mode = this.current.mode;
        if (mode === 'offline') await this.probeHealth();
        else if (mode === 'auth_failed') await this.recheckAuth();
        else if (mode === 'halted') await this.idle(MAX_IDLE_MS);
        else await this.sendDue();
      } catch (err) {
        // The outbox failed (disk full, I/O error): say so and try again later rather than die silently.
        logger.error({ event: 'upload.loop_error', err }, 'upload loop failed; retrying');
        await this.idle(MAX_IDLE_MS);
      }
    }
  }

  private async sendDue(): Promise<void> {
    const { outbox, clock } = this.deps;
    const now = clock.now();
    if (this.holdUntil > now) return this.idle(this.holdUntil - now);
    if (outbox.due(now, 1).length === 0) {
      const next = outbox.nextDueAt();
      return this.idle(next === null ? MAX_IDLE_MS : next - now);
    }
    const apiKey = this.deps.getApiKey();
    if (!apiKey) {
      this.setMode('no_key', 'no API key configured; uploads wait until one is');
      return this.idle(MAX_IDLE_MS);
    }
    if (this.current.mode === 'no_key') this.setMode('running', null);
    await this.pump(apiKey);
  }

  /** Sending is allowed now: running, not stopping, no Retry-After hold. */
  private canSend(): boolean {
    return !this.stopping && SEVERITY[this.current.mode] === 0 && this.holdUntil <= this.deps.clock.now();
  }

  /**
   * Keeps `concurrency` requests in flight until no row is due or sending must stop. The outbox is written in
   * rounds: one transaction records the outcomes that have come back and commits the attempts of the next rows
   * (up to READY_AHEAD of them), so a row costs a fraction of an fsync instead of two, and the transaction runs
   * while requests are on the wire. Every attempt is still committed before its request leaves (invariant 2).
   * An outcome not yet recorded when the process dies leaves its attempt open (outcome unknown): the row is looked
   * up before it is sent again, as after any crash. An attempt committed for a row that is then not sent (the mode
   * changed, a Retry-After hold, shutdown) is released.
   */
  private async pump(apiKey: string): Promise<void> {
    const { outbox, clock, config } = this.deps;
    const slots = config.concurrency;
    const ahead = Math.max(READY_AHEAD, 2 * slots);
    const ready: Started[] = [];
    const answered: Array<Started & { verdict: Final }> = [];
    const inflight = new Map<number, Promise<void>>();
    const failure: { err?: unknown; failed: boolean } = { failed: false };
    // Set when a request settles; the loop waits for the next one only when none has settled since it last looked.
    let settled = false;
    let answer: (() => void) | undefined;

    const commit = (): void => {
      const now = clock.now();
      const results = answered.splice(0);
      const started = outbox.atomically(() => {
        for (const a of results) this.record(a.row, a.attempt, a.verdict);
        if (!this.canSend()) {
          for (const s of ready.splice(0)) outbox.releaseAttempt(s.row.id, s.attempt);
          return [];
        }
        const want = ahead - ready.length;
        if (want <= 0) return [];
        // Rows in hand are still pending and due: skip them.
        const inHand = new Set([...inflight.keys(), ...ready.map((s) => s.row.id)]);
        const rows = outbox.due(now, want + inHand.size).filter((r) => !inHand.has(r.id)).slice(0, want);
        return rows.map((row) => ({ row, attempt: outbox.beginAttempt(row.id, now) }));
      });
      ready.push(...started);
    };
    const launch = (): boolean => {
      let sent = false;
      while (inflight.size < slots && ready.length > 0 && this.canSend()) {
        const s = ready.shift()!;
        const sending = this.resolve(s.row, apiKey).then(
          (verdict) => void answered.push({ ...s, verdict }),
          (err: unknown) => {
            if (!failure.failed) Object.assign(failure, { failed: true, err });
          },
        );
        inflight.set(
          s.row.id,
          sending.finally(() => {
            inflight.delete(s.row.id);
            settled = true;
            answer?.();
          }),
        );
        sent = true;
      }
      return sent;
    };

    let first = true;
    try {
      commit();
      for (;;) {
        if (failure.failed) throw failure.err;
        // Anything but a clean delivery may change the mode or set a hold: record it before sending more.
        if (answered.some((a) => a.verdict.kind !== 'delivered')) commit();
        const sent = launch();
        // Write when the next answer would find no row ready, or when nothing is left in flight.
        if (ready.length < slots || inflight.size === 0 || (sent && first)) {
          // undici writes a request on a later tick: let it leave before the commit blocks the thread.
          if (sent) await new Promise<void>((resolve) => setImmediate(resolve));
          if (sent && first) {
            first = false;
            this.deps.onSending?.();
          }
          commit();
        }
        if (inflight.size === 0) {
          if (ready.length === 0 || !this.canSend()) break;
          continue;
        }
        if (!settled) await new Promise<void>((resolve) => (answer = resolve));
        settled = false;
        answer = undefined;
      }
    } finally {
      // On an outbox failure the answers in hand stay unrecorded: those rows keep an open attempt (outcome
      // unknown) and are looked up before any re-send, as after a crash.
      await Promise.all(inflight.values());
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const { timers } = this.deps;
    return new Promise((resolve) => {
      const done = () => {
        timers.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
      const handle = timers.setTimeout(done, Math.min(MAX_IDLE_MS, Math.max(MIN_IDLE_MS, ms)));
      this.wake = done;
    });
  }

  private call(req: Omit<ApiRequest, 'baseUrl' | 'timeoutMs' | 'signal'>): Promise<HttpAnswer | PostError> {
    const { config } = this.deps;
    return apiRequest(this.deps.fetch, { ...req, baseUrl: config.base_url, timeoutMs: config.timeout_ms, signal: this.inflight.signal }).catch(
      (err: unknown) => {
        if (err instanceof PostError) return err;
        throw err;
      },
    );
  }

  /** Offline: GET /healthz on a capped backoff; any answer that is not "busy" means the API is reachable again. */
  private async probeHealth(): Promise<void> {
    const { config, logger } = this.deps;
    await this.idle(jitteredBackoff(this.probeFailures, { baseMs: config.retry.base_ms, capMs: config.probe_cap_ms }, this.random));
    if (this.stopping) return;
    const res = await this.call({ method: 'GET', path: '/healthz' });
    const verdict = classify(res);
    if (verdict.kind === 'retry') {
      this.probeFailures++;
      logger.debug({ event: 'upload.probe_failed', reason: verdict.reason }, 'API still unreachable');
      return;
    }
    this.setMode('running', null);
  }

  /** Key refused: GET /users/me on a slow timer (or at once after reloadKey()) until it is accepted. */
  private async recheckAuth(): Promise<void> {
    const { clock, config, logger } = this.deps;
    // idle() wakes at least every minute; only the due time (or reloadKey) triggers the check.
    if (clock.now() < this.authCheckAt) return this.idle(this.authCheckAt - clock.now());
    this.authCheckAt = clock.now() + config.auth_recheck_ms;
    const apiKey = this.deps.getApiKey();
    if (!apiKey) return this.setMode('no_key', 'no API key configured; uploads wait until one is');
    const res = await this.call({ method: 'GET', path: '/users/me', apiKey });
    if (!(res instanceof PostError) && res.status >= 200 && res.status < 300) return this.setMode('running', null);
    logger.debug({ event: 'upload.auth_recheck', status: res instanceof PostError ? null : res.status }, 'API key still not accepted');
  }

  private async resolve(saved: OutboxRow, apiKey: string): Promise<Final> {
    const cell = this.deps.resolveCell ? await this.deps.resolveCell(saved) : null;
    if (cell && cell.kind !== 'ready') {
      const outcome: AttemptOutcome = { status: null, detail: cell.reason };
      return cell.kind === 'retry'
        ? { kind: 'retry', reason: cell.reason, retryAfter: null, offline: false, outcome }
        : { kind: 'dead', reason: cell.reason, signature: cell.reason, outcome };
    }
    const row = cell ? { ...saved, cellInstanceId: cell.cellInstanceId } : saved;
    // Any earlier attempt may have reached the server, whatever the outbox last recorded (a failed lookup
    // overwrites the status of the POST before it), so every re-send starts with a lookup: a GET is cheap, a
    // duplicate is not.
    if (row.attempts > 0) {
      const found = await this.lookup(row, apiKey);
      if (found) return found;
    }
    const verdict = classify(await this.call({ method: 'POST', path: measurementPath(row.cellInstanceId), apiKey, body: row.body }));
    if (verdict.kind === 'forbidden') return this.forbidden(verdict, apiKey);
    if (verdict.kind !== 'conflict') return verdict;
    return (
      (await this.lookup(row, apiKey, verdict)) ?? {
        kind: 'retry',
        reason: `${verdict.reason}, but none is listed under this name yet; will look again`,
        retryAfter: null,
        offline: false,
        outcome: verdict.outcome,
      }
    );
  }

  /**
   * GET the measurements with this row's name on its cell. Null: none, so POST. Otherwise the row's result:
   * delivered (the same measurement is there), dead (a different one holds the name), or the lookup's own failure.
   */
  private async lookup(row: OutboxRow, apiKey: string, conflict?: Extract<Verdict, { kind: 'conflict' }>): Promise<Final | null> {
    const res = await this.call({ method: 'GET', path: lookupPath(row.cellInstanceId, row.name), apiKey });
    const verdict = classify(res);
    if (verdict.kind === 'retry' || verdict.kind === 'auth') return verdict;
    if (verdict.kind === 'forbidden') return this.forbidden(verdict, apiKey);
    const answer = res as HttpAnswer;
    const outcome: AttemptOutcome = { status: answer.status, detail: answer.text, correlationId: answer.correlationId };
    // No such cell instance listed: nothing to find; the POST will get the authoritative answer.
    if (answer.status === 404 && !conflict) return null;
    const list = verdict.kind === 'delivered' ? parseListResponse(answer.text) : null;
    if (!list) {
      const why = 'reason' in verdict ? verdict.reason : 'an unreadable list';
      return { kind: 'dead', reason: `could not check the API for an earlier copy before re-sending: ${why}`, signature: `lookup ${failureSignature(answer.status, answer.text)}`, outcome };
    }
    const match = matchStored(row.body, list);
    if (match.kind === 'none') return null;
    if (match.kind === 'same') return { kind: 'delivered', serverId: match.serverId, outcome, found: match.matches };
    const ids = match.existing.map((m) => m.id ?? '?').join(', ');
    return {
      kind: 'dead',
      reason: `name collision: the API holds a different measurement named "${row.name}" on this cell (id ${ids})${conflict ? ` (${conflict.reason})` : ''}; not sent again`,
      signature: 'name collision',
      outcome,
    };
  }

  /** 403: if GET /users/me fails too, the key is the problem (pause all); if it works, the row is (dead-letter it). */
  private async forbidden(verdict: Extract<Verdict, { kind: 'forbidden' }>, apiKey: string): Promise<Final> {
    const me = await this.call({ method: 'GET', path: '/users/me', apiKey });
    if (me instanceof PostError) return classify(me) as Final;
    if (me.status >= 200 && me.status < 300) {
      const text = verdict.outcome.detail ?? '';
      return { kind: 'dead', reason: `${verdict.reason} (the key itself is accepted by GET /users/me)`, signature: failureSignature(403, text), outcome: verdict.outcome };
    }
    if (me.status === 401 || me.status === 403)
      return { kind: 'auth', reason: `${verdict.reason}; GET /users/me answered ${me.status} too`, outcome: verdict.outcome };
    return { kind: 'retry', reason: `${verdict.reason}; could not check the key (GET /users/me: HTTP ${me.status})`, retryAfter: me.retryAfter, offline: false, outcome: verdict.outcome };
  }

  private record(row: OutboxRow, attempt: number, verdict: Final): void {
    const { outbox, clock, logger, config } = this.deps;
    const at = clock.now();
    const ctx = { row: row.id, station: row.station, cellInstanceId: row.cellInstanceId, name: row.name, attempt };
    const { status, correlationId } = verdict.outcome;
    if (status !== null) this.probeFailures = 0;

    if (verdict.kind === 'retry' && this.inflight.signal.aborted) {
      // Shutting down: no backoff, the row is due again on the next start.
      outbox.recordRetry(row.id, at, verdict.outcome, at);
      logger.info({ event: 'upload.interrupted', ...ctx }, 'upload interrupted by shutdown');
      return;
    }
    if (verdict.kind === 'delivered') {
      // A 2xx body is our measurement echoed with its id (or, after a lookup, the list that held it): the id is
      // kept, the echo is not (it would double what each delivered row leaves in the outbox, and what each
      // commit writes). An answer without a readable id is kept whole, to show what came back.
      const detail = verdict.serverId === null ? verdict.outcome.detail : null;
      outbox.recordDelivered(row.id, at, { ...verdict.outcome, detail, serverId: verdict.serverId });
      this.breaker.success();
      this.answered();
      const fields = { ...ctx, status, serverId: verdict.serverId, correlationId };
      if (verdict.found !== undefined)
        logger.info({ event: 'upload.found_existing', ...fields, matches: verdict.found }, 'the API already holds this measurement; not sent again');
      else if (verdict.serverId === null) logger.warn({ event: 'upload.ok', ...fields }, 'uploaded, but the answer carried no measurement id');
      else logger.info({ event: 'upload.ok', ...fields }, 'uploaded');
      return;
    }
    if (verdict.kind === 'auth') {
      // Not the row's fault: back to pending, due at once when the key works; the attempt says it was the key.
      outbox.recordRetry(row.id, at, { ...verdict.outcome, detail: `${AUTH_DETAIL_PREFIX}${verdict.outcome.detail ?? ''}` }, at);
      this.answered();
      this.escalate('auth_failed', verdict.reason, { status, correlationId });
      return;
    }
    if (verdict.kind === 'dead') {
      if (this.current.mode === 'halted' || this.breaker.reject(verdict.signature)) {
        // One problem, not a thousand: keep the row pending instead of dead-lettering the backlog.
        outbox.recordRetry(row.id, at, verdict.outcome, at);
        this.escalate('halted', verdict.reason, { signature: verdict.signature, status, detail: verdict.outcome.detail, ...ctx });
        return;
      }
      outbox.recordDead(row.id, at, { ...verdict.outcome, reason: verdict.reason });
      this.answered();
      logger.error(
        { event: 'upload.dead', ...ctx, status, detail: verdict.outcome.detail, correlationId, reason: verdict.reason },
        'upload rejected; moved to dead letters',
      );
      return;
    }
    let nextAttemptAt = at;
    if (verdict.offline) this.escalate('offline', verdict.reason);
    else {
      // The API is reachable but busy: this row backs off, and a Retry-After holds back every row.
      const policy = { baseMs: config.retry.base_ms, capMs: config.retry.cap_ms, maxRetryAfterMs: config.retry.max_retry_after_ms };
      nextAttemptAt = at + retryDelay(attempt - 1, verdict.retryAfter, at, policy, this.random);
      const floor = parseRetryAfter(verdict.retryAfter, at);
      if (floor !== null) this.holdUntil = Math.max(this.holdUntil, at + Math.min(floor, policy.maxRetryAfterMs));
    }
    outbox.recordRetry(row.id, at, verdict.outcome, nextAttemptAt);
    const fields = { event: 'upload.retry', ...ctx, status, reason: verdict.reason, correlationId, nextAttemptAt: new Date(nextAttemptAt).toISOString() };
    if (this.failures++ === 0) logger.warn(fields, 'upload failed; will retry');
    else logger.debug(fields, 'upload failed again; will retry');
  }

  private get random(): () => number {
    return this.deps.random ?? Math.random;
  }

  /** The server answered (yes or no): a retry streak, if any, is over. */
  private answered(): void {
    if (this.failures > 0) this.deps.logger.info({ event: 'upload.recovered', failures: this.failures }, 'uploads reach the API again');
    this.failures = 0;
  }

  private escalate(mode: UploaderMode, detail: string, fields: Record<string, unknown> = {}): void {
    if (SEVERITY[mode] > SEVERITY[this.current.mode]) this.setMode(mode, detail, fields);
  }

  /** Logs once per change of mode. */
  private setMode(mode: UploaderMode, detail: string | null, fields: Record<string, unknown> = {}): void {
    const previous = this.current;
    if (previous.mode === mode) return;
    const now = this.deps.clock.now();
    this.current = { mode, since: now, detail };
    const { logger, config } = this.deps;
    const was = { previous: previous.mode, forMs: now - previous.since };
    switch (mode) {
      case 'offline':
        this.probeFailures++;
        logger.warn({ event: 'upload.offline', reason: detail, ...fields }, 'API unreachable; uploads paused, probing GET /healthz');
        break;
      case 'auth_failed':
        this.authCheckAt = now + config.auth_recheck_ms;
        logger.error(
          { event: 'upload.auth_failed', reason: detail, ...fields },
          'the API refuses the key; all uploads paused without spending attempts. Replace the key file and send SIGHUP (or restart)',
        );
        break;
      case 'halted':
        logger.error(
          { event: 'upload.halted', reason: detail, rows: config.halt_after_same_failures, ...fields },
          `${config.halt_after_same_failures} rows in a row were rejected the same way; uploads halted and the rest stay pending. ` +
            'Fix the cause (api.base_url, the key\'s organisation, the configured units or cell ids), then resume: `ionworks-edge status --resume` on this PC, a reload (SIGHUP) or a restart',
        );
        break;
      case 'no_key':
        logger.error({ event: 'upload.no_api_key', reason: detail, ...fields }, 'no API key configured; uploads wait until one is');
        break;
      case 'running': {
        const event = { offline: 'upload.online', auth_failed: 'upload.auth_ok', halted: 'upload.resumed', no_key: 'upload.api_key_found', running: 'upload.running' }[previous.mode];
        logger.info({ event, ...was }, `uploads running again (were ${previous.mode})`);
        break;
      }
    }
  }
}

// The upload loop: take due rows from the outbox, commit the attempt, POST, classify, record. The outbox is the
// only record of what is owed; this loop keeps no state a crash could lose.
import type { Clock, Timers } from '../core/clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../ops/logger.js';
import type { AttemptOutcome, OutboxRow } from '../queue/types.js';
import { retryDelay } from './backoff.js';
import { classify } from './classify.js';
import { PostError, postMeasurement, type FetchLike, type HttpAnswer } from './http.js';

/** The outbox methods the uploader uses; src/queue/outbox.ts's Outbox satisfies it structurally. */
export interface UploaderOutbox {
  due(now: number, limit: number): OutboxRow[];
  /** Commits the attempt before the POST; returns the attempt number (1 for the first). */
  beginAttempt(id: number, at: number): number;
  recordDelivered(id: number, at: number, outcome: AttemptOutcome & { serverId: string | null }): void;
  recordRetry(id: number, at: number, outcome: AttemptOutcome, nextAttemptAt: number): void;
  recordDead(id: number, at: number, outcome: AttemptOutcome & { reason: string }): void;
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
}

// Re-check at least this often while idle, so a wall-clock step or a missing key never strands the loop.
const MAX_IDLE_MS = 60_000;
// Never spin: even a row due "now" that due() did not return waits this long before the next look.
const MIN_IDLE_MS = 100;

export class Uploader {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private inflight = new AbortController();
  private wake: (() => void) | undefined;
  /** Failed attempts since the last answer from the server: only the first of a streak is logged at warn. */
  private failures = 0;
  private keyMissingLogged = false;

  constructor(private readonly deps: UploaderDeps) {}

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

  /** A new row was saved: look now instead of at the next due time. */
  kick(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { outbox, clock, logger, config } = this.deps;
    while (!this.stopping) {
      try {
        const rows = outbox.due(clock.now(), config.concurrency);
        if (rows.length === 0) {
          const next = outbox.nextDueAt();
          await this.idle(next === null ? MAX_IDLE_MS : next - clock.now());
          continue;
        }
        const apiKey = this.deps.getApiKey();
        if (!apiKey) {
          if (!this.keyMissingLogged)
            logger.error({ event: 'upload.no_api_key', pending: rows.length }, 'no API key configured; uploads wait until one is');
          this.keyMissingLogged = true;
          await this.idle(MAX_IDLE_MS);
          continue;
        }
        this.keyMissingLogged = false;
        await Promise.all(rows.map((row) => this.attempt(row, apiKey)));
      } catch (err) {
        // The outbox failed (disk full, I/O error): say so and try again later rather than die silently.
        logger.error({ event: 'upload.loop_error', err }, 'upload loop failed; retrying');
        await this.idle(MAX_IDLE_MS);
      }
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

  private async attempt(row: OutboxRow, apiKey: string): Promise<void> {
    const { outbox, clock, logger, config } = this.deps;
    const attempt = outbox.beginAttempt(row.id, clock.now());
    let result: HttpAnswer | PostError;
    try {
      result = await postMeasurement(this.deps.fetch, {
        baseUrl: config.base_url,
        apiKey,
        cellInstanceId: row.cellInstanceId,
        body: row.body,
        timeoutMs: config.timeout_ms,
        signal: this.inflight.signal,
      });
    } catch (err) {
      if (!(err instanceof PostError)) throw err;
      result = err;
    }
    const verdict = classify(result);
    const at = clock.now();
    const ctx = { row: row.id, cellInstanceId: row.cellInstanceId, name: row.name, attempt };

    if (verdict.kind === 'delivered') {
      outbox.recordDelivered(row.id, at, { ...verdict.outcome, serverId: verdict.serverId });
      this.answered();
      const fields = { event: 'upload.ok', ...ctx, status: verdict.outcome.status, serverId: verdict.serverId, correlationId: verdict.outcome.correlationId };
      if (verdict.serverId === null) logger.warn(fields, 'uploaded, but the answer carried no measurement id');
      else logger.info(fields, 'uploaded');
      return;
    }
    if (verdict.kind === 'dead') {
      outbox.recordDead(row.id, at, { ...verdict.outcome, reason: verdict.reason });
      this.answered();
      logger.error(
        { event: 'upload.dead', ...ctx, status: verdict.outcome.status, detail: verdict.outcome.detail, correlationId: verdict.outcome.correlationId, reason: verdict.reason },
        'upload rejected; moved to dead letters',
      );
      return;
    }
    if (result instanceof PostError && result.kind === 'aborted') {
      // Shutting down: no backoff, the row is due again on the next start.
      outbox.recordRetry(row.id, at, verdict.outcome, at);
      logger.info({ event: 'upload.interrupted', ...ctx }, 'upload interrupted by shutdown');
      return;
    }
    const policy = { baseMs: config.retry.base_ms, capMs: config.retry.cap_ms, maxRetryAfterMs: config.retry.cap_ms };
    const nextAttemptAt = at + retryDelay(attempt - 1, verdict.retryAfter, at, policy, this.deps.random ?? Math.random);
    outbox.recordRetry(row.id, at, verdict.outcome, nextAttemptAt);
    const fields = { event: 'upload.retry', ...ctx, status: verdict.outcome.status, reason: verdict.reason, correlationId: verdict.outcome.correlationId, nextAttemptAt: new Date(nextAttemptAt).toISOString() };
    if (this.failures++ === 0) logger.warn(fields, 'upload failed; will retry');
    else logger.debug(fields, 'upload failed again; will retry');
  }

  /** The server answered (yes or no): a retry streak, if any, is over. */
  private answered(): void {
    if (this.failures > 0) this.deps.logger.info({ event: 'upload.recovered', failures: this.failures }, 'uploads reach the API again');
    this.failures = 0;
  }
}

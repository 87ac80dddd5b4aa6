// Test-only crash hook: the crash test (test/crash) makes the daemon SIGKILL itself at a named point, the n-th time
// that point is reached, to prove that no moment between "saved" and "delivered" loses or doubles a measurement.
//   IONWORKS_CRASH_AT=<point>:<n>      e.g. after_save:3
// Unset (as in production) every point is a no-op. The variable is read once, when this module is first imported.
// (Not IONWORKS_EDGE_*: that prefix is the config override namespace, src/config/env.ts, and would be refused.)
//
// The two HTTP points are taken from undici's diagnostics channels rather than from calls in the uploader: a call
// placed after fetch() is started would kill before undici writes the request (it does so on a later tick), and
// "the 2xx has arrived" is most exactly the moment undici hands over the response headers. No durable step happens
// between those events and the uploader's own code, so the crash windows are the same.
import { subscribe } from 'node:diagnostics_channel';

export const CRASH_ENV = 'IONWORKS_CRASH_AT';

/**
 * after_save: a new measurement's outbox commit has returned (the station has not yet said "saved").
 * after_post_sent: the attempt is committed and the whole POST .../create body has been written to the socket.
 * after_2xx: a 2xx answer to that POST has arrived; the row is not yet recorded as delivered.
 */
export const CRASH_POINTS = ['after_save', 'after_post_sent', 'after_2xx'] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

export interface CrashPlan {
  point: CrashPointName;
  /** Kill on the n-th time the point is reached in this process (1 = the first). */
  nth: number;
}

/** Parses `<point>:<n>`; undefined or empty means no plan. A malformed value throws, so a typo is never silent. */
export function parseCrashPlan(text: string | undefined): CrashPlan | null {
  if (text === undefined || text.trim() === '') return null;
  const m = /^([a-z_0-9]+):([1-9][0-9]*)$/.exec(text.trim());
  const point = m?.[1] as CrashPointName | undefined;
  if (!m || !point || !CRASH_POINTS.includes(point))
    throw new Error(`${CRASH_ENV}="${text}": expected <point>:<n> with point one of ${CRASH_POINTS.join(', ')}`);
  return { point, nth: Number(m[2]) };
}

const plan = parseCrashPlan(process.env[CRASH_ENV]);
let hits = 0;

/** Marks a crash point. Kills this process with SIGKILL if the plan names it and this is its n-th time. */
export function crashPoint(point: CrashPointName): void {
  if (plan?.point !== point) return;
  hits++;
  if (hits === plan.nth) process.kill(process.pid, 'SIGKILL');
}

interface UndiciRequest {
  method?: string;
  path?: string;
}

const isCreate = (req: UndiciRequest | undefined) => req?.method === 'POST' && /\/cell_measurements\/create(\?|$)/.test(req.path ?? '');

if (plan?.point === 'after_post_sent')
  subscribe('undici:request:bodySent', (msg) => {
    if (isCreate((msg as { request?: UndiciRequest }).request)) crashPoint('after_post_sent');
  });
if (plan?.point === 'after_2xx')
  subscribe('undici:request:headers', (msg) => {
    const { request, response } = msg as { request?: UndiciRequest; response?: { statusCode?: number } };
    const status = response?.statusCode ?? 0;
    if (isCreate(request) && status >= 200 && status < 300) crashPoint('after_2xx');
  });

import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_DETAIL_PREFIX } from '../../src/uploader/uploader.js';
import { body, runCleanups, setup, until } from './harness.js';

afterEach(runCleanups);

describe('authorisation', () => {
  it('401 pauses all uploads without dead-lettering, logs once, re-checks /users/me slowly, resumes on reloadKey()', async () => {
    const { standin, clock, outbox, uploader, save, calls, events } = await setup();
    for (const n of [1, 2, 3]) save(`m${n}`);
    standin.setAuthFailing(true);
    uploader.start();
    await until(clock, () => uploader.state().mode === 'auth_failed');
    const [r1, r2, r3] = outbox.rows;
    // The row goes back to pending, due at once; the attempt is recorded as the key's, and nothing is dead.
    expect([r1!.state, r1!.attempts, r1!.nextAttemptAt, r1!.lastStatus]).toEqual(['pending', 1, clock.now(), 401]);
    expect(r1!.history.at(-1)!.outcome!.detail).toBe(`${AUTH_DETAIL_PREFIX}{"detail":"Invalid or missing API key"}`);
    expect([r2!.attempts, r3!.attempts]).toEqual([0, 0]);
    expect(uploader.state()).toMatchObject({ mode: 'auth_failed', detail: expect.stringContaining('HTTP 401') });
    expect(events('upload.auth_failed')).toEqual([expect.objectContaining({ level: 50, status: 401 })]);

    // Slow timer: nothing until auth_recheck_ms, then one GET /users/me (still refused: no new log line).
    const sent = calls.length;
    await clock.advance(299_999);
    await until(clock, () => true);
    expect(calls.length).toBe(sent);
    await clock.advance(1);
    await until(clock, () => calls.length === sent + 1);
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: '/users/me' });
    uploader.kick(); // a new save does not hammer the API while the key is refused
    await until(clock, () => true);
    expect(calls.length).toBe(sent + 1);
    expect(events('upload.auth_failed')).toHaveLength(1);

    standin.setAuthFailing(false);
    uploader.reloadKey();
    await until(clock, () => outbox.rows.every((r) => r.state === 'delivered'));
    expect(standin.received().map((r) => r.measurement.name)).toEqual(['m1', 'm2', 'm3']);
    expect(events('upload.auth_ok')).toEqual([expect.objectContaining({ level: 30, previous: 'auth_failed' })]);
    expect(outbox.rows.filter((r) => r.state === 'dead')).toEqual([]);
    expect(uploader.state().mode).toBe('running');
  });

  it('resumes by itself on the slow timer once the key works again', async () => {
    const { standin, clock, outbox, uploader, save } = await setup();
    save('m1');
    standin.setAuthFailing(true);
    uploader.start();
    await until(clock, () => uploader.state().mode === 'auth_failed');
    standin.setAuthFailing(false);
    await clock.advance(300_000);
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
  });

  it('403 while GET /users/me works -> that row is dead; the others go through', async () => {
    const { standin, clock, outbox, uploader, save, calls, events } = await setup();
    standin.setForbidden((path) => path.startsWith('/cell_instances/cell-x/'));
    save('m1', 'cell-x');
    save('m2');
    uploader.start();
    await until(clock, () => outbox.rows.every((r) => r.state !== 'pending'));
    expect(outbox.rows.map((r) => r.state)).toEqual(['dead', 'delivered']);
    expect(outbox.rows[0]!.deadReason).toMatch(/^HTTP 403 forbidden: .* \(the key itself is accepted by GET \/users\/me\)$/);
    expect(calls.map((c) => `${c.method} ${c.path}`).slice(0, 2)).toEqual(['POST /cell_instances/cell-x/cell_measurements/create', 'GET /users/me']);
    expect(events('upload.auth_failed')).toEqual([]);
  });

  it('403 when GET /users/me is refused too -> the key: pause, the row stays pending', async () => {
    const { standin, clock, outbox, uploader, save, events } = await setup();
    standin.setForbidden(() => true);
    save('m1');
    uploader.start();
    await until(clock, () => uploader.state().mode === 'auth_failed');
    expect(outbox.rows[0]).toMatchObject({ state: 'pending', lastStatus: 403 });
    expect(events('upload.auth_failed')[0]!.reason).toMatch(/GET \/users\/me answered 403 too$/);
    standin.setForbidden(null);
    uploader.reloadKey();
    await until(clock, () => outbox.rows[0]!.state === 'delivered');
  });
});

describe('duplicates', () => {
  it('outcome unknown + the server already holds the identical measurement -> finished with its id, no second POST', async () => {
    const { standin, clock, outbox, uploader, save, posts, postDirect, events } = await setup();
    const row = save('m1', 'cell-1', body('m1', { start_time: '2026-01-01T10:00:00Z' }));
    // A crash after the attempt was committed and the POST stored: the server has it (start_time as another offset).
    outbox.beginAttempt(row.id, clock.now());
    const stored = await postDirect('cell-1', body('m1', { start_time: '2026-01-01T11:00:00+01:00' }));
    expect(stored.status).toBe(201);
    uploader.start();
    await until(clock, () => row.state === 'delivered');
    expect(row.serverId).toBe(stored.json.id);
    expect(posts()).toEqual([]);
    expect(standin.received()).toHaveLength(1);
    expect(events('upload.found_existing')).toEqual([expect.objectContaining({ level: 30, row: 1, serverId: stored.json.id, matches: 1 })]);
  });

  it('outcome unknown + a different measurement under the name -> dead as a name collision, nothing sent', async () => {
    const { standin, clock, outbox, uploader, save, posts, postDirect } = await setup();
    const row = save('m1');
    outbox.beginAttempt(row.id, clock.now());
    const other = await postDirect('cell-1', body('m1', { properties: { thickness: { value: 0.61, unit: 'mm' } } }));
    uploader.start();
    await until(clock, () => row.state === 'dead');
    expect(row.deadReason).toBe(`name collision: the API holds a different measurement named "m1" on this cell (id ${other.json.id}); not sent again`);
    expect(JSON.parse(row.lastError!).items[0].properties.thickness.value).toBe(0.61);
    expect([posts(), standin.received().length]).toEqual([[], 1]);
  });

  it('outcome unknown + nothing on the server -> POSTed again', async () => {
    const { standin, clock, outbox, uploader, save, calls } = await setup();
    const row = save('m 1&x');
    outbox.beginAttempt(row.id, clock.now());
    uploader.start();
    await until(clock, () => row.state === 'delivered');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /cell_instances/cell-1/cell_measurements?name=eq.m%201%26x&measurement_type=properties&limit=100',
      'POST /cell_instances/cell-1/cell_measurements/create',
    ]);
    expect(standin.received()).toHaveLength(1);
  });

  it.each([
    ['a 5xx after the server stored it', { error5xxAfterCommit: 1 }],
    ['a connection reset after the server stored it', { resetAfterCommit: 1 }],
  ])('%s -> looked up before re-sending, found, delivered once', async (_label, faults) => {
    const { standin, clock, outbox, uploader, save, posts } = await setup({ faults });
    const row = save('m1');
    uploader.start();
    await until(clock, () => row.attempts === 1 && !row.outcomeUnknown);
    standin.setFaults({ error5xxAfterCommit: 0, resetAfterCommit: 0 });
    await clock.advance(60_000);
    await until(clock, () => row.state === 'delivered');
    expect(standin.received()).toHaveLength(1);
    expect(row.serverId).toBe(standin.received()[0]!.measurement.id);
    expect([posts().length, row.attempts]).toEqual([1, 2]);
  });

  it('409 with unique names enforced: the identical measurement -> delivered; a different one -> dead as a collision', async () => {
    const { standin, clock, outbox, uploader, save, postDirect, events } = await setup({ faults: { enforceUniqueNames: true } });
    const same = await postDirect('cell-1', body('m1'));
    await postDirect('cell-1', body('m2', { properties: { thickness: { value: 9, unit: 'mm' } } }));
    save('m1');
    save('m2');
    uploader.start();
    await until(clock, () => outbox.rows.every((r) => r.state !== 'pending'));
    expect(outbox.rows.map((r) => [r.state, r.attempts])).toEqual([['delivered', 1], ['dead', 1]]);
    expect(outbox.rows[0]!.serverId).toBe(same.json.id);
    expect(outbox.rows[1]!.deadReason).toMatch(/^name collision: .*\(HTTP 409 a measurement with this name exists\); not sent again$/);
    expect(standin.counters().conflicts409).toBe(2);
    expect(standin.received()).toHaveLength(2);
    expect(events('upload.found_existing')).toHaveLength(1);
  });
});

describe('systemic failures', () => {
  const rejectBad = (b: unknown) => String((b as { name: string }).name).startsWith('bad');

  it('N identical 422s in a row halt: N-1 dead, the rest pending, one upload.halted; resume() carries on', async () => {
    const { standin, clock, outbox, uploader, save, posts, events } = await setup();
    standin.reject422(rejectBad);
    for (const n of [1, 2, 3, 4, 5]) save(`bad${n}`);
    uploader.start();
    await until(clock, () => uploader.state().mode === 'halted');
    expect(outbox.rows.map((r) => [r.state, r.attempts])).toEqual([['dead', 1], ['dead', 1], ['pending', 1], ['pending', 0], ['pending', 0]]);
    expect(posts()).toHaveLength(3);
    const [halted] = events('upload.halted');
    expect(events('upload.halted')).toHaveLength(1);
    expect(halted).toMatchObject({ level: 50, rows: 3, signature: 'HTTP 422: body: rejected by the stand-in test hook' });
    expect(halted!.msg).toMatch(/then resume: `ionworks-edge status --resume` on this PC, a reload \(SIGHUP\) or a restart$/);
    expect(uploader.state()).toMatchObject({ mode: 'halted', detail: expect.stringContaining('HTTP 422') });

    await clock.advance(600_000);
    await until(clock, () => true);
    expect(posts()).toHaveLength(3);

    standin.reject422(null);
    uploader.resume();
    await until(clock, () => outbox.rows.slice(2).every((r) => r.state === 'delivered'));
    expect(outbox.rows.map((r) => r.state)).toEqual(['dead', 'dead', 'delivered', 'delivered', 'delivered']);
    expect(events('upload.resumed')).toHaveLength(1);
  });

  it('N-1 identical rejections, then a success or a different rejection, do not halt', async () => {
    const { standin, clock, outbox, uploader, save } = await setup();
    standin.reject422(rejectBad);
    for (const name of ['bad1', 'bad2', 'good3', 'bad4', 'bad5']) save(name);
    save('bad6', 'cell-1', body('bad6', { properties: { thickness: { value: 'x', unit: 'mm' } } }));
    save('bad7');
    uploader.start();
    await until(clock, () => outbox.rows.every((r) => r.state !== 'pending'));
    expect(outbox.rows.map((r) => r.state)).toEqual(['dead', 'dead', 'delivered', 'dead', 'dead', 'dead', 'dead']);
    expect(uploader.state().mode).toBe('running');
  });
});

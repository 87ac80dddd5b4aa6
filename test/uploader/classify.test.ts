import { describe, expect, it } from 'vitest';
import { classify, failureSignature } from '../../src/uploader/classify.js';
import { PostError, type HttpAnswer } from '../../src/uploader/http.js';

const answer = (status: number, text = '', retryAfter: string | null = null): HttpAnswer => ({ status, text, correlationId: 'corr-1', retryAfter });

describe('classify', () => {
  it.each([200, 201, 202, 204])('%i -> delivered', (status) => {
    expect(classify(answer(status, '{"id":"srv-1"}'))).toEqual({
      kind: 'delivered',
      serverId: 'srv-1',
      outcome: { status, detail: '{"id":"srv-1"}', correlationId: 'corr-1' },
    });
  });

  it('a 2xx without a readable id is still delivered (sending it again would duplicate it)', () => {
    expect(classify(answer(201, 'not json'))).toMatchObject({ kind: 'delivered', serverId: null });
    expect(classify(answer(201, '{"id":7}'))).toMatchObject({ kind: 'delivered', serverId: null });
  });

  it.each([408, 429, 500, 502, 503, 504])('%i -> retry, with Retry-After passed on', (status) => {
    expect(classify(answer(status, 'busy', '30'))).toEqual({
      kind: 'retry',
      reason: `HTTP ${status}`,
      retryAfter: '30',
      offline: false,
      outcome: { status, detail: 'busy', correlationId: 'corr-1' },
    });
  });

  it.each([
    ['network', true],
    ['timeout', true],
    ['aborted', false],
  ] as const)('a %s error -> retry with no status (offline: %s)', (kind, offline) => {
    expect(classify(new PostError(kind, 'boom'))).toEqual({
      kind: 'retry',
      reason: `${kind}: boom`,
      retryAfter: null,
      offline,
      outcome: { status: null, detail: 'boom' },
    });
  });

  it.each([400, 404, 405, 410, 413, 415, 422, 451])('%i -> dead, body kept whole, with a failure signature', (status) => {
    const text = '{"detail":"nope"}';
    const v = classify(answer(status, text));
    expect(v).toEqual({
      kind: 'dead',
      reason: `HTTP ${status} rejected by the API: nope`,
      signature: `HTTP ${status}: ${status === 422 ? 'nope' : text}`,
      outcome: { status, detail: text, correlationId: 'corr-1' },
    });
  });

  it.each([
    [401, 'auth', 'HTTP 401 the API key was refused: nope'],
    [403, 'forbidden', 'HTTP 403 forbidden: nope'],
    [409, 'conflict', 'HTTP 409 a measurement with this name exists: nope'],
  ] as const)('%i -> %s (the uploader looks further before deciding), body kept', (status, kind, reason) => {
    const text = '{"detail":"nope"}';
    expect(classify(answer(status, text))).toEqual({ kind, reason, outcome: { status, detail: text, correlationId: 'corr-1' } });
  });

  it('failure signatures: a 422 by its loc/msg summary (not the rejected input), others by the whole body', () => {
    const unit = (input: unknown) => JSON.stringify({ detail: [{ loc: ['body', 'properties', 'mass', 'unit'], msg: 'unknown unit', type: 'value_error', input }] });
    expect(failureSignature(422, unit('gr'))).toBe(failureSignature(422, unit('grams')));
    expect(failureSignature(422, unit('gr'))).toBe('HTTP 422: body.properties.mass.unit: unknown unit');
    expect(failureSignature(422, unit('gr'))).not.toBe(failureSignature(400, unit('gr')));
    expect(failureSignature(404, '{"detail":"Not Found"}\n')).toBe('HTTP 404: {"detail":"Not Found"}');
    expect(failureSignature(403, '{"detail":"a"}')).not.toBe(failureSignature(403, '{"detail":"b"}'));
  });

  it('422 keeps the whole detail array and summarises each error with its loc', () => {
    const text = JSON.stringify({
      detail: [
        { loc: ['body', 'name'], msg: 'String should have at most 255 characters', type: 'string_too_long', input: 'x' },
        { loc: ['body', 'properties', 'mass', 'value'], msg: 'Quantity value should be a number', type: 'float_type' },
      ],
    });
    const v = classify(answer(422, text));
    expect(v.kind).toBe('dead');
    expect(v.outcome.detail).toBe(text);
    expect(v.kind === 'dead' && v.reason).toBe(
      'HTTP 422 rejected by the API: body.name: String should have at most 255 characters; body.properties.mass.value: Quantity value should be a number',
    );
  });

  it.each([
    [301, 'redirected; a POST is not followed'],
    [307, 'redirected; a POST is not followed'],
    [501, 'not a status the uploader knows to be transient'],
    [505, 'not a status the uploader knows to be transient'],
    [100, 'not a status the uploader knows to be transient'],
  ])('%i -> dead, saying why', (status, why) => {
    const v = classify(answer(status, '<html>'));
    expect(v).toMatchObject({ kind: 'dead', outcome: { status, detail: '<html>' } });
    expect(v.kind === 'dead' && v.reason).toContain(`HTTP ${status} ${why}`);
  });
});

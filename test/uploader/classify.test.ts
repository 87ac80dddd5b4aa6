import { describe, expect, it } from 'vitest';
import { classify } from '../../src/uploader/classify.js';
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
      outcome: { status, detail: 'busy', correlationId: 'corr-1' },
    });
  });

  it.each(['network', 'timeout', 'aborted'] as const)('a %s error -> retry with no status', (kind) => {
    expect(classify(new PostError(kind, 'boom'))).toEqual({
      kind: 'retry',
      reason: `${kind}: boom`,
      retryAfter: null,
      outcome: { status: null, detail: 'boom' },
    });
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 451])('%i -> dead, body kept whole', (status) => {
    const text = '{"detail":"nope"}';
    const v = classify(answer(status, text));
    expect(v).toEqual({ kind: 'dead', reason: `HTTP ${status} rejected by the API: nope`, outcome: { status, detail: text, correlationId: 'corr-1' } });
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

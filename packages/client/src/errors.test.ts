import { Metadata, Status } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import {
  ERROR_DETAILS_TRAILER,
  TaskerError,
  parseRetryAfter,
  taskerErrorFromGrpc,
  taskerErrorFromHttp,
} from './errors.js';

describe('error decoding', () => {
  it('decodes a REST body with details and Retry-After', () => {
    const body = JSON.stringify({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'bad',
        details: { fields: [{ path: 'name', message: 'is required' }] },
      },
    });
    const e = taskerErrorFromHttp(400, body, null);
    expect(e).toBeInstanceOf(TaskerError);
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, transport: 'rest', message: 'bad' });
    expect(e.fields).toEqual([{ path: 'name', message: 'is required' }]);
    expect(
      taskerErrorFromHttp(503, JSON.stringify({ error: { code: 'BACKPRESSURE', message: 'busy' } }), '3'),
    ).toMatchObject({
      code: 'BACKPRESSURE',
      retryAfterSeconds: 3,
    });
  });

  it('falls back to the status for foreign bodies', () => {
    expect(taskerErrorFromHttp(502, '<html>bad gateway</html>', null).code).toBe('UNAVAILABLE');
    expect(taskerErrorFromHttp(404, '', null).code).toBe('NOT_FOUND');
  });

  it('decodes gRPC trailers: error-code, retry-after and the details', () => {
    const trailer = Metadata();
    trailer.set('error-code', 'BACKPRESSURE');
    trailer.set('retry-after', '2');
    trailer.set(ERROR_DETAILS_TRAILER, new TextEncoder().encode(JSON.stringify({ queue_depth: 9 })));
    expect(taskerErrorFromGrpc(Status.UNAVAILABLE, 'busy', trailer)).toMatchObject({
      code: 'BACKPRESSURE',
      status: Status.UNAVAILABLE,
      transport: 'grpc',
      retryAfterSeconds: 2,
      details: { queue_depth: 9 },
    });
    expect(taskerErrorFromGrpc(Status.FAILED_PRECONDITION, 'x', undefined).code).toBe('INVALID_STATE');
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

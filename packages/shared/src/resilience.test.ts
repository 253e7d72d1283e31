import { ClientError, Status } from 'nice-grpc-common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, ERROR_CODES, ERROR_TABLE } from './errors.js';
import {
  backoffDelay,
  errorCodeOf,
  isNetworkError,
  isTransient,
  retryDelay,
  sleep,
  TRANSPORT_BACKOFF,
} from './resilience.js';

const noJitter = { ...TRANSPORT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from baseMs and stops at maxMs', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, noJitter))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(30, noJitter)).toBe(TRANSPORT_BACKOFF.maxMs);
    expect(backoffDelay(0, noJitter)).toBe(100);
  });

  it('stays within ±jitter of the nominal delay and never above the cap', () => {
    const policy = { baseMs: 1000, maxMs: 1500, jitter: 0.2 };
    expect(backoffDelay(1, policy, () => 0)).toBe(800);
    expect(backoffDelay(1, policy, () => 0.5)).toBe(1000);
    expect(backoffDelay(1, policy, () => 1)).toBe(1200);
    expect(backoffDelay(2, policy, () => 1)).toBe(1500);
    expect(backoffDelay(2, { baseMs: 100, maxMs: 1000, jitter: 0.25 }, () => 0)).toBe(150);
  });

  it('stays finite for huge attempt numbers and a zero base', () => {
    expect(backoffDelay(5000, noJitter)).toBe(TRANSPORT_BACKOFF.maxMs);
    expect(backoffDelay(5000, { baseMs: 0, maxMs: 10, jitter: 0.5 })).toBe(0);
  });
});

describe('retryDelay', () => {
  it("waits for the server's Retry-After when it is longer than the backoff, even beyond maxMs", () => {
    const policy = { baseMs: 100, maxMs: 1000, jitter: 0 };
    expect(retryDelay(new AppError('BACKPRESSURE', 'full', { retryAfterSeconds: 2 }), 1, policy)).toBe(2000);
    expect(retryDelay(new AppError('BACKPRESSURE', 'full', { retryAfterSeconds: 0 }), 2, policy)).toBe(200);
    expect(retryDelay(new Error('x'), 1, policy)).toBe(100);
  });
});

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the delay', async () => {
    vi.useFakeTimers();
    let done = false;
    const slept = sleep(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });

  it('resolves (never rejects) as soon as the signal aborts, and at once for an aborted one', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let done = false;
    const slept = sleep(60_000, controller.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    controller.abort(new Error('stop'));
    await slept;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleep(60_000, controller.signal)).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('errorCodeOf / isTransient', () => {
  it('reads the transient column of the error table for every code', () => {
    for (const code of ERROR_CODES) expect(isTransient(new AppError(code, 'x'))).toBe(ERROR_TABLE[code].transient);
    // The SDK's TaskerError (and any object carrying a shared code) classifies the same way.
    for (const code of ['UNAVAILABLE', 'BACKPRESSURE', 'TIMEOUT', 'INTERNAL']) expect(isTransient({ code })).toBe(true);
    for (const code of [
      'INVALID_STATE',
      'NOT_FOUND',
      'UNAUTHENTICATED',
      'PERMISSION_DENIED',
      'VALIDATION_FAILED',
      'ALREADY_EXISTS',
    ]) {
      expect(isTransient({ code })).toBe(false);
    }
  });

  it('maps socket failures to UNAVAILABLE, on the error or on its cause', () => {
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(isNetworkError(refused)).toBe(true);
    expect(isNetworkError(fetchFailed)).toBe(true);
    expect(isNetworkError(new Error('no'))).toBe(false);
    expect(errorCodeOf(refused)).toBe('UNAVAILABLE');
    expect(errorCodeOf(fetchFailed)).toBe('UNAVAILABLE');
    expect(isTransient(fetchFailed)).toBe(true);
  });

  it('maps raw gRPC errors by status, and anything else to INTERNAL', () => {
    expect(errorCodeOf(new ClientError('/x', Status.NOT_FOUND, 'gone'))).toBe('NOT_FOUND');
    expect(errorCodeOf(new ClientError('/x', Status.UNAVAILABLE, 'down'))).toBe('UNAVAILABLE');
    expect(isTransient(new ClientError('/x', Status.PERMISSION_DENIED, 'no'))).toBe(false);
    expect(errorCodeOf(new TypeError('bug'))).toBe('INTERNAL');
    expect(errorCodeOf({ code: 'NOT_A_CODE' })).toBe('INTERNAL');
    expect(errorCodeOf(undefined)).toBe('INTERNAL');
  });
});

import { describe, expect, it } from 'vitest';
import { TaskerError } from './errors.js';
import { backoffDelay } from '@tasker/shared/resilience';
import { backoffPolicy, isRetryableFailure, retryDelay, withRetry } from './retry.js';

const policy = { maxAttempts: 4, baseMs: 1, maxMs: 5 };
const unavailable = (retryAfterSeconds?: number) =>
  new TaskerError({
    code: 'UNAVAILABLE',
    message: 'down',
    transport: 'rest',
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });

describe('backoff', () => {
  it('doubles from baseMs, caps at maxMs, and jitters by ±25 %', () => {
    const p = backoffPolicy({ baseMs: 100, maxMs: 1000 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, p, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(2, p, () => 0)).toBe(150);
    expect(backoffDelay(2, p, () => 1)).toBe(250);
  });

  it('waits for the server when its Retry-After is longer than the backoff', () => {
    expect(retryDelay(unavailable(2), 1, { maxAttempts: 3, baseMs: 100, maxMs: 1000 }, () => 0.5)).toBe(2000);
    expect(retryDelay(unavailable(), 1, { maxAttempts: 3, baseMs: 100, maxMs: 1000 }, () => 0.5)).toBe(100);
  });
});

describe('isRetryableFailure', () => {
  it('repeats the SDK errors the shared table calls transient, never a foreign error', () => {
    for (const code of ['UNAVAILABLE', 'BACKPRESSURE', 'TIMEOUT', 'INTERNAL'] as const) {
      expect(isRetryableFailure(new TaskerError({ code, message: 'x', transport: 'rest' }))).toBe(true);
    }
    expect(isRetryableFailure(new TaskerError({ code: 'NOT_FOUND', message: 'x', transport: 'grpc' }))).toBe(false);
    // An abort reason or a local bug is not a failure of the call.
    expect(isRetryableFailure(new Error('stop'))).toBe(false);
    expect(isRetryableFailure({ code: 'UNAVAILABLE' })).toBe(false);
  });
});

describe('withRetry', () => {
  it('retries transient failures until success', async () => {
    let calls = 0;
    const result = await withRetry({ retryable: true, policy }, async (n) => {
      calls += 1;
      if (n < 2) throw unavailable();
      return n;
    });
    expect(result).toBe(2);
    expect(calls).toBe(3);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry({ retryable: true, policy }, async () => {
        calls += 1;
        throw unavailable();
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(calls).toBe(4);
  });

  it('never repeats a non-retryable operation or a non-transient error', async () => {
    let calls = 0;
    await expect(
      withRetry({ retryable: false, policy }, async () => {
        calls += 1;
        throw unavailable();
      }),
    ).rejects.toBeInstanceOf(TaskerError);
    await expect(
      withRetry({ retryable: true, policy }, async () => {
        calls += 1;
        throw new TaskerError({ code: 'INVALID_STATE', message: 'no', transport: 'grpc' });
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(calls).toBe(2);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const slow = { maxAttempts: 5, baseMs: 10_000, maxMs: 10_000 };
    const pending = withRetry({ retryable: true, policy: slow, signal: controller.signal }, async () => {
      throw unavailable();
    });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

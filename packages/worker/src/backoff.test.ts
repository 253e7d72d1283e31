import { describe, expect, it } from 'vitest';
import { backoffDelay, isTransientError, sleep, TRANSPORT_BACKOFF } from './backoff.js';

const noJitter = { ...TRANSPORT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4].map((r) => backoffDelay(r, noJitter))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(30, noJitter)).toBe(TRANSPORT_BACKOFF.maxMs);
  });

  it('stays within ±jitter of the nominal delay and never above the cap', () => {
    const policy = { initialMs: 1000, maxMs: 1500, multiplier: 2, jitter: 0.2 };
    expect(backoffDelay(1, policy, () => 0)).toBe(800);
    expect(backoffDelay(1, policy, () => 1)).toBe(1200);
    expect(backoffDelay(2, policy, () => 1)).toBe(1500);
  });
});

describe('isTransientError', () => {
  it('retries outages and errors without a code, not answers about the request', () => {
    for (const code of ['UNAVAILABLE', 'BACKPRESSURE', 'TIMEOUT', 'INTERNAL']) expect(isTransientError({ code })).toBe(true);
    expect(isTransientError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    for (const code of ['INVALID_STATE', 'NOT_FOUND', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'VALIDATION_FAILED', 'ALREADY_EXISTS']) {
      expect(isTransientError({ code })).toBe(false);
    }
  });
});

describe('sleep', () => {
  it('ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 10);
    await sleep(5_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

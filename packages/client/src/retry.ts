// Retries with exponential backoff and jitter, honouring the server's Retry-After.
import { isTaskerError, type TaskerError } from './errors.js';
import type { RetryOptions } from './options.js';

/** Share of a delay that jitter may add or remove. */
const JITTER = 0.25;

/**
 * Delay before retry number `retry` (1 = the first retry): `baseMs · 2^(retry-1)` capped at `maxMs`,
 * randomised by ±25 % so many clients do not retry in lockstep.
 */
export function backoffDelay(retry: number, policy: Pick<RetryOptions, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const jittered = exponential * (1 - JITTER + 2 * JITTER * random());
  return Math.max(0, Math.min(policy.maxMs, Math.round(jittered)));
}

/** Failures worth another attempt: the server (or the path to it) is down or overloaded. */
export function isTransient(error: unknown): error is TaskerError {
  return isTaskerError(error, 'UNAVAILABLE', 'BACKPRESSURE');
}

/** The wait before the next attempt: the backoff, or the server's Retry-After when that is longer. */
export function retryDelay(error: TaskerError, retry: number, policy: RetryOptions, random: () => number = Math.random): number {
  const backoff = backoffDelay(retry, policy, random);
  const asked = error.retryAfterSeconds === undefined ? 0 : error.retryAfterSeconds * 1000;
  return Math.max(backoff, asked);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How {@link withRetry} repeats one operation. */
export interface RetryContext {
  /** Whether the operation may be repeated at all (operations.ts). */
  retryable: boolean;
  policy: RetryOptions;
  signal?: AbortSignal | undefined;
  /** Test seam for jitter. */
  random?: () => number;
}

/**
 * Runs `attempt(n)` (n = 0, 1, …) until it succeeds, fails with a non-transient error, the operation is not
 * retryable, or `policy.maxAttempts` is used up; the last error is rethrown as is.
 */
export async function withRetry<T>(context: RetryContext, attempt: (n: number) => Promise<T>): Promise<T> {
  const attempts = context.retryable ? context.policy.maxAttempts : 1;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n + 1 >= attempts || !isTransient(error)) throw error;
      await sleep(retryDelay(error, n + 1, context.policy, context.random), context.signal);
    }
  }
}

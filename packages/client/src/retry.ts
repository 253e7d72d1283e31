// Repeats idempotent calls after transient failures, with the shared backoff, honouring the server's Retry-After.
import {
  TRANSPORT_BACKOFF,
  isTransient,
  retryDelay as sharedRetryDelay,
  sleep,
  type BackoffPolicy,
} from '@tasker/shared/resilience';
import { isTaskerError, type TaskerError } from './errors.js';
import type { RetryOptions } from './options.js';

/** The shared backoff policy of a retry option set (the jitter is the one of every transport call). */
export function backoffPolicy(policy: Pick<RetryOptions, 'baseMs' | 'maxMs'>): BackoffPolicy {
  return { baseMs: policy.baseMs, maxMs: policy.maxMs, jitter: TRANSPORT_BACKOFF.jitter };
}

/**
 * Failures worth another attempt of an operation that may be repeated: a {@link TaskerError} whose code is
 * transient in the shared error table (UNAVAILABLE, BACKPRESSURE, TIMEOUT, INTERNAL). Anything else (the
 * caller's abort, a local bug) is not a failure of the call and is never repeated.
 */
export function isRetryableFailure(error: unknown): error is TaskerError {
  return isTaskerError(error) && isTransient(error);
}

/** The wait before the next attempt: the backoff, or the server's Retry-After when that is longer. */
export function retryDelay(
  error: TaskerError,
  retry: number,
  policy: RetryOptions,
  random: () => number = Math.random,
): number {
  return sharedRetryDelay(error, retry, backoffPolicy(policy), random);
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
 * retryable, or `policy.maxAttempts` is used up; the last error is rethrown as is. An abort of `signal`
 * during a wait rejects with the signal's reason.
 */
export async function withRetry<T>(context: RetryContext, attempt: (n: number) => Promise<T>): Promise<T> {
  const attempts = context.retryable ? context.policy.maxAttempts : 1;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n + 1 >= attempts || !isRetryableFailure(error)) throw error;
      await sleep(retryDelay(error, n + 1, context.policy, context.random), context.signal);
      context.signal?.throwIfAborted();
    }
  }
}

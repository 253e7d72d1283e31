// Retry timing for the worker's own calls to orchestration (claims, results, registration), and which errors
// are worth retrying. Step retries are orchestration's business, not this file's.
import { isErrorCode, type ErrorCode } from '@tasker/shared/errors';

export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** Cap on any delay. */
  maxMs: number;
  /** Growth per retry. */
  multiplier: number;
  /** 0..1: the delay is drawn from ±this share around the nominal value. */
  jitter: number;
}

export const TRANSPORT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 100,
  maxMs: 5_000,
  multiplier: 2,
  jitter: 0.2,
});

/** Delay before retry number `retry` (1 = first retry): initial × multiplier^(retry−1), capped, jittered. */
export function backoffDelay(retry: number, policy: BackoffPolicy = TRANSPORT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, retry - 1);
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** exponent);
  const spread = nominal * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(policy.maxMs, nominal + spread)));
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The shared error code of a client error (`TaskerError.code`), if it carries one. */
export function errorCodeOf(err: unknown): ErrorCode | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return isErrorCode(code) ? code : undefined;
}

// Answers that will be the same however often we ask: retrying them only hides the problem.
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_STATE',
]);

/**
 * Whether a failed call to orchestration may succeed if repeated: UNAVAILABLE, BACKPRESSURE, TIMEOUT, INTERNAL,
 * and errors without a code (connection refused, reset, DNS) are; answers about the request itself are not.
 */
export function isTransientError(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code === undefined || !PERMANENT_CODES.has(code);
}

/** A short description for logs and metric labels. */
export function describeError(err: unknown): { code: string; message: string } {
  const code = errorCodeOf(err) ?? (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : 'NETWORK');
  const message = err instanceof Error ? err.message : String(err);
  return { code, message };
}

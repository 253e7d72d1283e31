// The one resilience kit of the SDK and the worker: exponential backoff with one jitter rule, a sleep that ends
// early on abort, and which failures are worth another attempt (the `transient` column of ERROR_TABLE).
import { ClientError, ServerError } from 'nice-grpc-common';
import { ERROR_TABLE, errorCodeFromGrpc, isErrorCode, type ErrorCode } from './errors.js';

/** How retry delays grow: `baseMs · 2^(attempt−1)`, capped at `maxMs`, randomised by ±`jitter`. */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  baseMs: number;
  /** Cap on any one delay, in ms. */
  maxMs: number;
  /** 0..1: the share of the nominal delay that jitter may add or remove, so many callers do not retry in lockstep. */
  jitter: number;
}

/**
 * Retry timing of calls to orchestration: the SDK's retries and watch reconnects (with their own `maxMs`
 * options) and the worker's own retries of registration, claims and results.
 */
export const TRANSPORT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 100, maxMs: 5_000, jitter: 0.25 });

// 2^52 × any sane base is far beyond any cap; a larger exponent would only risk 0 × Infinity.
const MAX_EXPONENT = 52;

/**
 * Delay before retry number `attempt` (1 = the first retry): `baseMs · 2^(attempt−1)` capped at `maxMs`,
 * times a factor drawn uniformly from [1 − jitter, 1 + jitter], never above `maxMs`; whole milliseconds.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, attempt - 1));
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jittered = nominal * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(0, Math.min(policy.maxMs, Math.round(jittered)));
}

/**
 * The wait before retry number `attempt` after `error`: the backoff, or the server's Retry-After
 * (`error.retryAfterSeconds`) when that is longer, even beyond `maxMs`.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const seconds =
    typeof error === 'object' && error !== null
      ? (error as { retryAfterSeconds?: unknown }).retryAfterSeconds
      : undefined;
  const asked = typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : 0;
  return Math.max(backoffDelay(attempt, policy, random), asked);
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once when it already has). Never rejects: a caller
 * that must not go on after an abort checks `signal.aborted` (or calls `signal.throwIfAborted()`) afterwards.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** OS and undici socket failures: the request never got an answer. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function ownCode(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
}

/** A socket failure, on the error itself or on its cause (fetch wraps them: `TypeError: fetch failed`). */
export function isNetworkError(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e !== undefined && e !== null && depth < 4;
    e = (e as { cause?: unknown }).cause, depth += 1
  ) {
    const code = ownCode(e);
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  }
  return false;
}

/**
 * The {@link ErrorCode} of any failure: its own `code` when that is one (AppError, the SDK's TaskerError), the
 * status of a raw nice-grpc error, UNAVAILABLE for a socket failure, INTERNAL for anything else.
 */
export function errorCodeOf(error: unknown): ErrorCode {
  const code = ownCode(error);
  if (isErrorCode(code)) return code;
  if (error instanceof ClientError || error instanceof ServerError) return errorCodeFromGrpc(error.code);
  if (isNetworkError(error)) return 'UNAVAILABLE';
  return 'INTERNAL';
}

/**
 * Whether the same call may succeed if repeated: the `transient` column of ERROR_TABLE for
 * {@link errorCodeOf}`(error)`. True for UNAVAILABLE, BACKPRESSURE, TIMEOUT, INTERNAL and socket failures;
 * false for answers about the request itself (VALIDATION_FAILED, UNAUTHENTICATED, NOT_FOUND, INVALID_STATE, …).
 * Whether a call may be repeated at all (is it idempotent?) is the caller's question.
 */
export function isTransient(error: unknown): boolean {
  return ERROR_TABLE[errorCodeOf(error)].transient;
}

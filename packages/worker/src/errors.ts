// Handler-facing error classes and the one mapping from whatever a handler threw to the StepFailure reported.
import type { JsonObject, StepFailure } from '@tasker/shared';
import type { StepAbortReason } from './types.js';

export interface RetryableErrorOptions {
  /** Earliest retry the handler asks for (the server caps it at the step's max backoff). */
  retryAfterSeconds?: number;
  /** Default `retryable_error`. */
  errorType?: string;
  /** HTTP-like status of the failure (e.g. the status of a downstream call). */
  statusCode?: number;
  /** Extra facts stored with the failure. */
  context?: JsonObject;
  cause?: unknown;
}

/** A failure worth retrying (subject to the step's max_attempts). */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly errorType: string;
  declare readonly retryAfterSeconds?: number;
  declare readonly statusCode?: number;
  declare readonly context?: JsonObject;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorType = options.errorType ?? 'retryable_error';
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.context !== undefined) this.context = options.context;
  }
}

export interface PermanentErrorOptions {
  /** Default `permanent_error`. */
  errorType?: string;
  statusCode?: number;
  context?: JsonObject;
  cause?: unknown;
}

/** A failure retrying cannot fix: the step goes to `error` at once (task → error → DLQ). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly errorType: string;
  declare readonly statusCode?: number;
  declare readonly context?: JsonObject;

  constructor(message: string, options: PermanentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errorType = options.errorType ?? 'permanent_error';
    if (options.statusCode !== undefined) this.statusCode = options.statusCode;
    if (options.context !== undefined) this.context = options.context;
  }
}

/** The `reason` of a step's AbortSignal. */
export class StepAbortError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly reason: StepAbortReason,
    message: string,
  ) {
    super(message);
  }
}

const MAX_MESSAGE = 10_000;
const MAX_BACKTRACE = 100_000;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

function backtraceOf(err: unknown): string | null {
  return err instanceof Error && typeof err.stack === 'string' ? clip(err.stack, MAX_BACKTRACE) : null;
}

/**
 * What a throw becomes on the wire: RetryableError / PermanentError keep their details; anything else is a
 * retryable `handler_error` (a bug or an unexpected outage deserves another attempt, bounded by max_attempts).
 */
export function toStepFailure(err: unknown): StepFailure {
  const base = { message: clip(messageOf(err), MAX_MESSAGE), backtrace: backtraceOf(err) };
  if (err instanceof RetryableError) {
    return {
      ...base,
      errorType: err.errorType,
      retryable: true,
      retryAfterSeconds: err.retryAfterSeconds ?? null,
      statusCode: err.statusCode ?? null,
      context: err.context ?? null,
    };
  }
  if (err instanceof PermanentError) {
    return {
      ...base,
      errorType: err.errorType,
      retryable: false,
      retryAfterSeconds: null,
      statusCode: err.statusCode ?? null,
      context: err.context ?? null,
    };
  }
  return {
    ...base,
    errorType: 'handler_error',
    retryable: true,
    retryAfterSeconds: null,
    statusCode: null,
    context: null,
  };
}

/** The failure reported when a handler outlives its time limit. */
export function timeoutFailure(timeoutMs: number): StepFailure {
  return {
    message: `handler did not finish within ${timeoutMs} ms`,
    errorType: 'handler_timeout',
    retryable: true,
    retryAfterSeconds: null,
    statusCode: null,
    backtrace: null,
    context: { timeout_ms: timeoutMs },
  };
}

// One error type for every failure a client call can end with, whatever the transport: the shared error code
// (docs/client.md, *Errors*) recovered from the HTTP status + body, or the gRPC status + `error-code` trailer.
import {
  ERROR_CODE_TRAILER,
  ERROR_DETAILS_TRAILER,
  ERROR_TABLE,
  RETRY_AFTER_TRAILER,
  errorCodeFromGrpc,
  errorCodeFromHttpStatus,
  type ErrorCode,
  type FieldProblem,
} from '@tasker/shared/errors';
import type { Metadata, Status } from 'nice-grpc-common';
import type { Transport } from './types.js';

/** Binary trailer in which the server sends an error's `details` as UTF-8 JSON (the gRPC twin of the REST body's). */
export { ERROR_DETAILS_TRAILER };

/** Fields of a {@link TaskerError}. */
export interface TaskerErrorInit {
  code: ErrorCode;
  message: string;
  transport: Transport;
  /** HTTP status or gRPC status code; for failures without a response, the error table's status for `code`. */
  status?: number;
  details?: Record<string, unknown>;
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * The error every SDK call rejects with. `code` is the shared {@link ErrorCode}, identical on both transports
 * for the same failure; `status` is the transport's own (HTTP status or gRPC status code).
 */
export class TaskerError extends Error {
  override readonly name = 'TaskerError';
  /** The shared error code (VALIDATION_FAILED, NOT_FOUND, INVALID_STATE, …). */
  readonly code: ErrorCode;
  /** HTTP status (REST) or gRPC status code (gRPC). */
  readonly status: number;
  /** The transport the call used. */
  readonly transport: Transport;
  /** Machine-readable detail from the server, e.g. `{ fields: [{ path, message }] }` for VALIDATION_FAILED. */
  declare readonly details?: Record<string, unknown>;
  /** How long the server asked the caller to wait (BACKPRESSURE / UNAVAILABLE). */
  declare readonly retryAfterSeconds?: number;

  constructor(init: TaskerErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.transport = init.transport;
    this.status =
      init.status ?? (init.transport === 'rest' ? ERROR_TABLE[init.code].http : ERROR_TABLE[init.code].grpc);
    if (init.details !== undefined) this.details = init.details;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** The invalid fields of a VALIDATION_FAILED error (`details.fields`); empty otherwise. */
  get fields(): FieldProblem[] {
    const fields = this.details?.fields;
    if (!Array.isArray(fields)) return [];
    return fields.filter(
      (f): f is FieldProblem =>
        typeof f === 'object' && f !== null && typeof f.path === 'string' && typeof f.message === 'string',
    );
  }
}

/** Whether `value` is a {@link TaskerError} (optionally with one of `codes`). */
export function isTaskerError(value: unknown, ...codes: ErrorCode[]): value is TaskerError {
  return value instanceof TaskerError && (codes.length === 0 || codes.includes(value.code));
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Decodes an HTTP error response: the body's `error.code` wins, the status is the fallback (proxies). */
export function taskerErrorFromHttp(
  status: number,
  bodyText: string,
  retryAfterHeader: string | null | undefined,
): TaskerError {
  let body: Record<string, unknown> | undefined;
  try {
    body = asRecord(asRecord(JSON.parse(bodyText))?.error);
  } catch {
    body = undefined;
  }
  const code = errorCodeFromHttpStatus(status, body?.code);
  const details = asRecord(body?.details);
  const bodyRetry = typeof body?.retry_after_seconds === 'number' ? body.retry_after_seconds : undefined;
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader) ?? bodyRetry;
  const message =
    typeof body?.message === 'string' ? body.message : `HTTP ${status}${bodyText ? `: ${bodyText.slice(0, 200)}` : ''}`;
  return new TaskerError({
    code,
    message,
    transport: 'rest',
    status,
    ...(details === undefined ? {} : { details }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function trailerText(trailer: Metadata | undefined, key: string): string | undefined {
  const value = trailer?.get(key);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : new TextDecoder().decode(value);
}

function detailsFromTrailer(trailer: Metadata | undefined): Record<string, unknown> | undefined {
  const text = trailerText(trailer, ERROR_DETAILS_TRAILER);
  if (text === undefined) return undefined;
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Decodes a gRPC failure: the `error-code` trailer first, then the status; details and retry-after from trailers. */
export function taskerErrorFromGrpc(
  status: Status,
  message: string,
  trailer: Metadata | undefined,
  cause?: unknown,
): TaskerError {
  const code = errorCodeFromGrpc(status, trailerText(trailer, ERROR_CODE_TRAILER) ?? null);
  const details = detailsFromTrailer(trailer);
  const retryAfterSeconds = parseRetryAfter(trailerText(trailer, RETRY_AFTER_TRAILER));
  return new TaskerError({
    code,
    message,
    transport: 'grpc',
    status,
    ...(details === undefined ? {} : { details }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A call that never got an answer: connection refused, reset, DNS failure. */
export function unreachableError(transport: Transport, target: string, cause: unknown): TaskerError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TaskerError({ code: 'UNAVAILABLE', message: `cannot reach ${target}: ${reason}`, transport, cause });
}

/** A call that outlived the client's deadline. */
export function deadlineError(transport: Transport, target: string, timeoutMs: number): TaskerError {
  return new TaskerError({ code: 'TIMEOUT', message: `no answer from ${target} within ${timeoutMs} ms`, transport });
}

/** A response that does not match the contract (a broken peer or a version mismatch). */
export function protocolError(transport: Transport, message: string, cause?: unknown): TaskerError {
  return new TaskerError({ code: 'INTERNAL', message, transport, ...(cause === undefined ? {} : { cause }) });
}

import { Status } from 'nice-grpc-common';

/** Every error code the API returns (docs/client.md, *Errors*). A new code needs an entry in {@link ERROR_TABLE}. */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'INVALID_STATE',
  'BACKPRESSURE',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Per code: the HTTP status, the gRPC status, and whether the failure is `transient` (the same call may succeed
 * when repeated: the server was unreachable, overloaded, too slow, or failed for a reason it did not name).
 * Read by both transports, both clients and the resilience kit (`isTransient` in resilience.ts).
 */
export const ERROR_TABLE: Readonly<
  Record<ErrorCode, { readonly http: number; readonly grpc: Status; readonly transient: boolean }>
> = {
  VALIDATION_FAILED: { http: 400, grpc: Status.INVALID_ARGUMENT, transient: false },
  UNAUTHENTICATED: { http: 401, grpc: Status.UNAUTHENTICATED, transient: false },
  PERMISSION_DENIED: { http: 403, grpc: Status.PERMISSION_DENIED, transient: false },
  NOT_FOUND: { http: 404, grpc: Status.NOT_FOUND, transient: false },
  ALREADY_EXISTS: { http: 409, grpc: Status.ALREADY_EXISTS, transient: false },
  INVALID_STATE: { http: 409, grpc: Status.FAILED_PRECONDITION, transient: false },
  BACKPRESSURE: { http: 503, grpc: Status.UNAVAILABLE, transient: true },
  UNAVAILABLE: { http: 503, grpc: Status.UNAVAILABLE, transient: true },
  TIMEOUT: { http: 504, grpc: Status.DEADLINE_EXCEEDED, transient: true },
  INTERNAL: { http: 500, grpc: Status.INTERNAL, transient: true },
};

/** gRPC trailer carrying the {@link ErrorCode}, so codes sharing a status (BACKPRESSURE/UNAVAILABLE) stay distinct. */
export const ERROR_CODE_TRAILER = 'error-code';
/** gRPC trailer carrying the retry delay in whole seconds (the HTTP side uses `Retry-After`). */
export const RETRY_AFTER_TRAILER = 'retry-after';
/**
 * Binary gRPC trailer carrying an AppError's `details` as UTF-8 JSON (REST puts them in the error body), e.g.
 * `{fields:[{path,message}]}`, or the full health report of a not-ready CheckReadiness.
 */
export const ERROR_DETAILS_TRAILER = 'error-details-bin';

/** REST error body. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export interface AppErrorOptions {
  /** Machine-readable detail returned to the caller (never secrets or internals). */
  details?: Record<string, unknown>;
  /** Becomes `Retry-After` / the `retry-after` trailer; meaningful for BACKPRESSURE and UNAVAILABLE. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error type services throw for expected failures; transports translate it through {@link ERROR_TABLE}. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  // `declare`: no class-field initialiser, so an absent option stays absent (not an own `undefined` key
  // that would leak into serialised bodies and fail exactOptionalPropertyTypes consumers).
  declare readonly details?: Record<string, unknown>;
  declare readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.details !== undefined) this.details = opts.details;
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  get grpcStatus(): Status {
    return ERROR_TABLE[this.code].grpc;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The REST body for an error. INTERNAL errors should be given a generic message by the caller first. */
export function toErrorBody(error: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  return body;
}

/** One invalid input field: a dotted/bracketed path (`context.items[0].sku`) and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** VALIDATION_FAILED naming every bad field in the message, with the list in `details.fields`. */
export function validationError(fields: readonly FieldProblem[], summary = 'Validation failed'): AppError {
  const named = fields.map((f) => `${f.path || '(root)'}: ${f.message}`).join('; ');
  return new AppError('VALIDATION_FAILED', named ? `${summary}: ${named}` : summary, {
    details: { fields: fields.map((f) => ({ path: f.path, message: f.message })) },
  });
}

/**
 * Recovers the code of an HTTP error response. A known `error.code` from the body wins; the status is the
 * fallback for responses that did not come from our server (proxies, load balancers).
 */
export function errorCodeFromHttpStatus(status: number, bodyCode?: unknown): ErrorCode {
  if (isErrorCode(bodyCode)) return bodyCode;
  switch (status) {
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'INVALID_STATE';
    case 408:
    case 504:
      return 'TIMEOUT';
    case 429:
      return 'BACKPRESSURE';
    case 502:
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 400 && status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
  }
}

/** Recovers the code of a gRPC error: the `error-code` trailer first, then the status. */
export function errorCodeFromGrpc(status: Status, trailerCode?: string | null): ErrorCode {
  if (isErrorCode(trailerCode)) return trailerCode;
  switch (status) {
    case Status.INVALID_ARGUMENT:
    case Status.OUT_OF_RANGE:
      return 'VALIDATION_FAILED';
    case Status.UNAUTHENTICATED:
      return 'UNAUTHENTICATED';
    case Status.PERMISSION_DENIED:
      return 'PERMISSION_DENIED';
    case Status.NOT_FOUND:
      return 'NOT_FOUND';
    case Status.ALREADY_EXISTS:
      return 'ALREADY_EXISTS';
    case Status.FAILED_PRECONDITION:
    case Status.ABORTED:
      return 'INVALID_STATE';
    case Status.UNAVAILABLE:
      return 'UNAVAILABLE';
    case Status.RESOURCE_EXHAUSTED:
      return 'BACKPRESSURE';
    case Status.DEADLINE_EXCEEDED:
      return 'TIMEOUT';
    default:
      return 'INTERNAL';
  }
}

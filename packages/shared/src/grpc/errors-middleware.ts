// The one error translator of every Tasker gRPC server (orchestration and the worker's own surface), the
// outermost middleware after metrics:
// - a request its decoder refused (UndecodableRequest) → INVALID_ARGUMENT with a generic message;
// - AppError → the status of the one table plus an `error-code` trailer (`retry-after` and details when set);
// - anything else → INTERNAL with a generic message, the detail only in the log.
// A call the client abandoned (cancel or deadline) is not an error of ours: nothing is logged or translated.
import { ServerError, Status, type CallContext, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc';
import {
  AppError,
  ERROR_CODE_TRAILER,
  ERROR_DETAILS_TRAILER,
  ERROR_TABLE,
  RETRY_AFTER_TRAILER,
  errorCodeFromGrpc,
  isAppError,
} from '../errors.js';
import { isUndecodableRequest } from './guarded-definition.js';

/** A pino-compatible logger (Fastify's fits); the gRPC servers only log what clients must not see. */
export interface GrpcLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

function serialisable(obj: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [
      k,
      v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
    ]),
  );
}

/** Writes one JSON line per entry to stderr: used when the caller gives no logger. */
export const stderrLogger: GrpcLogger = {
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...serialisable(obj) })}\n`),
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...serialisable(obj) })}\n`),
};

const GENERIC_INTERNAL_MESSAGE = 'internal error';
export const UNDECODABLE_REQUEST_MESSAGE = 'request message could not be decoded';

/** nice-grpc's and the platform's abort errors both carry this name. */
function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

export function toServerError(err: unknown, context: CallContext, method: string, logger: GrpcLogger): ServerError {
  if (err instanceof ServerError) {
    context.trailer.set(ERROR_CODE_TRAILER, errorCodeFromGrpc(err.code));
    return err;
  }
  // An abort that the client did not cause is the server draining.
  const appError = isAppError(err)
    ? err
    : isAbortError(err)
      ? new AppError('UNAVAILABLE', 'server is shutting down')
      : undefined;
  if (appError === undefined || appError.code === 'INTERNAL') {
    logger.error({ err, method }, 'gRPC call failed with an internal error');
    context.trailer.set(ERROR_CODE_TRAILER, 'INTERNAL');
    return new ServerError(Status.INTERNAL, GENERIC_INTERNAL_MESSAGE);
  }
  context.trailer.set(ERROR_CODE_TRAILER, appError.code);
  if (appError.retryAfterSeconds !== undefined) {
    context.trailer.set(RETRY_AFTER_TRAILER, String(Math.max(0, Math.ceil(appError.retryAfterSeconds))));
  }
  if (appError.details !== undefined) {
    context.trailer.set(ERROR_DETAILS_TRAILER, new TextEncoder().encode(JSON.stringify(appError.details)));
  }
  return new ServerError(ERROR_TABLE[appError.code].grpc, appError.message);
}

function undecodable(): AppError {
  return new AppError('VALIDATION_FAILED', UNDECODABLE_REQUEST_MESSAGE);
}

/** A client stream that fails the call at the first message its decoder refused. */
async function* refuseUndecodable<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  for await (const message of messages) {
    if (isUndecodableRequest(message)) throw undecodable();
    yield message;
  }
}

export function createErrorsMiddleware(logger: GrpcLogger): ServerMiddleware {
  return async function* errorsMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    try {
      if (call.requestStream) {
        return yield* call.next(refuseUndecodable(call.request as AsyncIterable<unknown>) as Request, context);
      }
      if (isUndecodableRequest(call.request)) throw undecodable();
      return yield* call.next(call.request, context);
    } catch (err) {
      if (context.signal.aborted) {
        // The client is gone (cancelled, or its deadline passed and grpc-js already answered it).
        if (isAbortError(err)) throw err;
        throw new ServerError(Status.CANCELLED, 'call cancelled by the client');
      }
      throw toServerError(err, context, call.method.path, logger);
    }
  };
}

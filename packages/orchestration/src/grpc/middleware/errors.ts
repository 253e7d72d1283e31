// Error translation, the outermost middleware: AppError → the status of the one table plus an `error-code`
// trailer (and `retry-after` for BACKPRESSURE); anything else → INTERNAL with a generic message, the detail
// only in the log. A call the client abandoned (cancel or deadline) is not an error of ours: nothing is
// logged or translated.
import {
  ERROR_CODE_TRAILER,
  ERROR_DETAILS_TRAILER,
  ERROR_TABLE,
  RETRY_AFTER_TRAILER,
  AppError,
  errorCodeFromGrpc,
  isAppError,
} from '@tasker/shared/errors';
import { ServerError, Status, type CallContext, type ServerMiddleware, type ServerMiddlewareCall } from 'nice-grpc';
import type { GrpcLogger } from '../context.js';

// Older importers of the trailer name from here; the name itself lives with the error table.

const GENERIC_INTERNAL_MESSAGE = 'internal error';

/** nice-grpc's and the platform's abort errors both carry this name. */
function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

export function toServerError(err: unknown, context: CallContext, method: string, logger: GrpcLogger): ServerError {
  if (err instanceof ServerError) {
    context.trailer.set(ERROR_CODE_TRAILER, errorCodeFromGrpc(err.code));
    return err;
  }
  // An abort that the client did not cause is the server draining (see deadline.ts).
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

export function createErrorsMiddleware(logger: GrpcLogger): ServerMiddleware {
  return async function* errorsMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    try {
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

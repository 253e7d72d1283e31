import { Status } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  ERROR_CODES,
  ERROR_TABLE,
  errorCodeFromGrpc,
  errorCodeFromHttpStatus,
  isAppError,
  isErrorCode,
  toErrorBody,
  validationError,
  type ErrorCode,
} from './errors.js';

// docs/client.md *Errors*, restated independently of ERROR_TABLE.
const EXPECTED: Record<ErrorCode, [number, Status]> = {
  VALIDATION_FAILED: [400, Status.INVALID_ARGUMENT],
  UNAUTHENTICATED: [401, Status.UNAUTHENTICATED],
  PERMISSION_DENIED: [403, Status.PERMISSION_DENIED],
  NOT_FOUND: [404, Status.NOT_FOUND],
  ALREADY_EXISTS: [409, Status.ALREADY_EXISTS],
  INVALID_STATE: [409, Status.FAILED_PRECONDITION],
  BACKPRESSURE: [503, Status.UNAVAILABLE],
  UNAVAILABLE: [503, Status.UNAVAILABLE],
  TIMEOUT: [504, Status.DEADLINE_EXCEEDED],
  INTERNAL: [500, Status.INTERNAL],
};

describe('error table', () => {
  it.each(ERROR_CODES)('%s maps to the documented HTTP and gRPC statuses', (code) => {
    expect([ERROR_TABLE[code].http, ERROR_TABLE[code].grpc]).toEqual(EXPECTED[code]);
    expect(new AppError(code, 'x').httpStatus).toBe(EXPECTED[code][0]);
    expect(new AppError(code, 'x').grpcStatus).toBe(EXPECTED[code][1]);
  });

  it('has exactly the ten codes', () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(ERROR_CODES)('%s survives a gRPC round trip through the error-code trailer', (code) => {
    expect(errorCodeFromGrpc(ERROR_TABLE[code].grpc, code)).toBe(code);
  });

  it.each(ERROR_CODES)('%s survives an HTTP round trip through the body code', (code) => {
    expect(errorCodeFromHttpStatus(ERROR_TABLE[code].http, code)).toBe(code);
  });

  it('falls back to the status when the code is missing or unknown', () => {
    expect(errorCodeFromGrpc(Status.UNAVAILABLE)).toBe('UNAVAILABLE');
    expect(errorCodeFromGrpc(Status.NOT_FOUND, 'NOT_A_CODE')).toBe('NOT_FOUND');
    expect(errorCodeFromGrpc(Status.FAILED_PRECONDITION, null)).toBe('INVALID_STATE');
    expect(errorCodeFromGrpc(Status.DEADLINE_EXCEEDED)).toBe('TIMEOUT');
    expect(errorCodeFromGrpc(Status.RESOURCE_EXHAUSTED)).toBe('BACKPRESSURE');
    expect(errorCodeFromGrpc(Status.UNKNOWN)).toBe('INTERNAL');
    expect(errorCodeFromHttpStatus(502)).toBe('UNAVAILABLE');
    expect(errorCodeFromHttpStatus(504)).toBe('TIMEOUT');
    expect(errorCodeFromHttpStatus(429)).toBe('BACKPRESSURE');
    expect(errorCodeFromHttpStatus(413)).toBe('VALIDATION_FAILED');
    expect(errorCodeFromHttpStatus(401, { nested: true })).toBe('UNAUTHENTICATED');
    expect(errorCodeFromHttpStatus(500)).toBe('INTERNAL');
  });
});

describe('AppError', () => {
  it('carries code, details, retryAfterSeconds and cause', () => {
    const cause = new Error('db down');
    const error = new AppError('BACKPRESSURE', 'queue full', { details: { depth: 5 }, retryAfterSeconds: 5, cause });
    expect(error).toBeInstanceOf(Error);
    expect(isAppError(error)).toBe(true);
    expect(error.name).toBe('AppError');
    expect(error.code).toBe('BACKPRESSURE');
    expect(error.details).toEqual({ depth: 5 });
    expect(error.retryAfterSeconds).toBe(5);
    expect(error.cause).toBe(cause);
  });

  it('leaves optional fields absent rather than undefined-valued', () => {
    const error = new AppError('NOT_FOUND', 'no task');
    expect('details' in error).toBe(false);
    expect('retryAfterSeconds' in error).toBe(false);
    expect(toErrorBody(error)).toEqual({ error: { code: 'NOT_FOUND', message: 'no task' } });
  });

  it('isAppError and isErrorCode reject look-alikes', () => {
    expect(isAppError(new Error('x'))).toBe(false);
    expect(isAppError({ code: 'NOT_FOUND', message: 'x' })).toBe(false);
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('not_found')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });
});

describe('validationError', () => {
  it('names every field in the message and lists them in details.fields', () => {
    const error = validationError([
      { path: 'context.amount', message: 'must be >= 0' },
      { path: 'name', message: 'required' },
    ]);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('context.amount: must be >= 0');
    expect(error.message).toContain('name: required');
    expect(error.details).toEqual({
      fields: [
        { path: 'context.amount', message: 'must be >= 0' },
        { path: 'name', message: 'required' },
      ],
    });
    expect(toErrorBody(error).error.details).toEqual(error.details);
  });
});

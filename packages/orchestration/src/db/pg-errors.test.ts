import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { AppError } from '@tasker/shared/errors';
import {
  CONSTRAINTS,
  isCheckViolation,
  isConnectionError,
  isConnectionFailure,
  isForeignKeyViolation,
  isPgError,
  isRetryableTransactionError,
  isUniqueViolation,
  SQLSTATE,
} from './pg-errors.js';

// postgres.js builds its errors from the server's fields; the typings only declare Error's constructor.
const PgError = postgres.PostgresError as unknown as new (fields: Record<string, string>) => Error;
const serverError = (code: string, constraint?: string): Error =>
  new PgError({
    message: 'server said no',
    code,
    ...(constraint === undefined ? {} : { constraint_name: constraint }),
  });

describe('pg-errors', () => {
  it('classifies by SQLSTATE and constraint name, never by message', () => {
    const duplicate = serverError(SQLSTATE.uniqueViolation, CONSTRAINTS.taskIdentityHash);
    expect(isPgError(duplicate)).toBe(true);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isUniqueViolation(duplicate, CONSTRAINTS.taskIdentityHash)).toBe(true);
    expect(isUniqueViolation(duplicate, CONSTRAINTS.stepTaskName)).toBe(false);
    expect(isCheckViolation(duplicate)).toBe(false);

    expect(isCheckViolation(serverError(SQLSTATE.checkViolation, 'tasks_state_check'), 'tasks_state_check')).toBe(true);
    expect(isForeignKeyViolation(serverError(SQLSTATE.foreignKeyViolation, CONSTRAINTS.taskTemplate))).toBe(true);
    // Same text, not a server error: no classification.
    expect(isUniqueViolation(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });

  it('treats serialization failures and deadlocks as retryable transactions', () => {
    expect(isRetryableTransactionError(serverError(SQLSTATE.serializationFailure))).toBe(true);
    expect(isRetryableTransactionError(serverError(SQLSTATE.deadlockDetected))).toBe(true);
    expect(isRetryableTransactionError(serverError(SQLSTATE.uniqueViolation))).toBe(false);
  });

  it('recognises an unreachable or departing database', () => {
    for (const code of ['CONNECTION_CLOSED', 'CONNECT_TIMEOUT', 'CONNECTION_ENDED', 'ECONNREFUSED']) {
      expect(isConnectionError(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    for (const code of ['08006', SQLSTATE.adminShutdown, SQLSTATE.cannotConnectNow]) {
      expect(isConnectionError(serverError(code)), code).toBe(true);
    }
    expect(isConnectionError(serverError(SQLSTATE.uniqueViolation))).toBe(false);
    expect(isConnectionError(new Error('boom'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
  });

  it('counts connection failures for the circuit breaker, but not a pool its own process ended', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const ended = Object.assign(new Error('ended'), { code: 'CONNECTION_ENDED' });
    expect(isConnectionFailure(refused)).toBe(true);
    expect(isConnectionFailure(serverError(SQLSTATE.adminShutdown))).toBe(true);
    expect(isConnectionFailure(ended)).toBe(false);
    expect(isConnectionFailure(serverError(SQLSTATE.uniqueViolation))).toBe(false);
    expect(isConnectionFailure(serverError(SQLSTATE.queryCanceled))).toBe(false);
    // As the pool guard surfaces them: AppError UNAVAILABLE with the socket error as cause.
    const wrapped = new AppError('UNAVAILABLE', 'database unreachable (ECONNREFUSED)', { cause: refused });
    expect([isConnectionError(wrapped), isConnectionFailure(wrapped)]).toEqual([true, true]);
    expect(isConnectionError(new AppError('UNAVAILABLE', 'shutting down'))).toBe(false);
  });
});

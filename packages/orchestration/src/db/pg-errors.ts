// Classify database errors by SQLSTATE and constraint name, never by message text. Repositories map these
// to AppError (e.g. a unique violation on CONSTRAINTS.taskIdentityHash → ALREADY_EXISTS).
import { isAppError } from '@tasker/shared/errors';
import postgres from 'postgres';
import type { PostgresError } from 'postgres';

export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  duplicateDatabase: '42P04',
  undefinedTable: '42P01',
  invalidTextRepresentation: '22P02',
} as const;

/**
 * Names of the constraints and unique indexes (as reported in `constraint_name`) that carry meaning for
 * callers. A schema test checks that each one exists, so a renamed constraint breaks a test, not production.
 */
export const CONSTRAINTS = {
  /** Duplicate task identity (strict context hash or idempotency key) → ALREADY_EXISTS. */
  taskIdentityHash: 'tasks_identity_hash_key',
  /** Same (namespace, name, version) registered twice. */
  templateIdentity: 'templates_identity_key',
  /** Task points at a template whose (namespace, name, version) differs from its own copy. */
  taskTemplate: 'tasks_template_fkey',
  /** Two steps with one name in a task. */
  stepTaskName: 'steps_task_name_key',
  /** The same parent → child edge twice. */
  stepEdge: 'step_edges_pkey',
  /** A second open (pending) DLQ entry for a task. */
  dlqOnePendingPerTask: 'dlq_entries_one_pending_per_task',
  /** Lease tokens are unique across all attempts. */
  attemptLeaseToken: 'step_attempts_pkey',
  /** Two API keys with the same digest. */
  apiKeyDigest: 'api_keys_key_sha256_key',
  /** One audit row per transition. */
  stepAuditEvent: 'step_audit_event_key',
} as const;
export type ConstraintName = (typeof CONSTRAINTS)[keyof typeof CONSTRAINTS];

/** True for an error the server reported (optionally with this SQLSTATE). */
export function isPgError(err: unknown, code?: string): err is PostgresError {
  return err instanceof postgres.PostgresError && (code === undefined || err.code === code);
}

/** True for a unique violation (optionally on this constraint or unique index). */
export function isUniqueViolation(err: unknown, constraint?: ConstraintName): boolean {
  return isPgError(err, SQLSTATE.uniqueViolation) && (constraint === undefined || err.constraint_name === constraint);
}

export function isCheckViolation(err: unknown, constraint?: string): boolean {
  return isPgError(err, SQLSTATE.checkViolation) && (constraint === undefined || err.constraint_name === constraint);
}

export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  return (
    isPgError(err, SQLSTATE.foreignKeyViolation) && (constraint === undefined || err.constraint_name === constraint)
  );
}

/** Serialization failure or deadlock: the whole transaction may simply be retried. */
export function isRetryableTransactionError(err: unknown): boolean {
  return isPgError(err, SQLSTATE.serializationFailure) || isPgError(err, SQLSTATE.deadlockDetected);
}

const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/** The pool's owner ended it: calls fail, but that says nothing about the database. */
const OWN_SHUTDOWN_CODES = new Set(['CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/**
 * The database is unreachable or going away (→ UNAVAILABLE), as opposed to a query that failed: postgres.js
 * connection errors, OS socket errors, server shutdown / not-accepting-connections, and class 08. Also such an
 * error already wrapped as AppError UNAVAILABLE by the pool guard (db/guard.ts), which keeps it as `cause`.
 */
export function isConnectionError(err: unknown): boolean {
  if (isAppError(err)) return err.code === 'UNAVAILABLE' && err.cause !== undefined && isConnectionError(err.cause);
  if (isPgError(err)) {
    return (
      err.code.startsWith('08') ||
      err.code === SQLSTATE.adminShutdown ||
      err.code === SQLSTATE.crashShutdown ||
      err.code === SQLSTATE.cannotConnectNow
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * A connection error that counts against the database circuit breaker: refused, reset, closed under a query,
 * a connect timeout, a server shutting down. Not the pool being ended by its own process.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!isConnectionError(err)) return false;
  const original = isAppError(err) ? err.cause : err;
  const code = (original as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && OWN_SHUTDOWN_CODES.has(code));
}

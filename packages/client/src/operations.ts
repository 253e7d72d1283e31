// The one table saying which SDK operations may be retried. A new method on a TaskerClient API fails to compile
// until it is classified here.
import type { TaskerClient } from './types.js';

/**
 * - `idempotent`: repeating the call has the effect of one call; retried on UNAVAILABLE / BACKPRESSURE.
 * - `keyed`: idempotent only when the caller passed an idempotency key (task creation).
 * - `once`: a repeat could act twice (cancel, results, manual actions, claims); never retried.
 * - `stream`: reconnects and resumes from its cursor instead (tasks.watch).
 */
export type Idempotency = 'idempotent' | 'keyed' | 'once' | 'stream';

type ApiName = Exclude<keyof TaskerClient, 'transport' | 'close'>;
/** `group.method` of every operation of {@link TaskerClient}. */
export type OperationName = { [G in ApiName]: `${G}.${keyof TaskerClient[G] & string}` }[ApiName];

/** Retry class of every operation. */
export const OPERATIONS = {
  'tasks.create': 'keyed',
  'tasks.get': 'idempotent',
  'tasks.getWithSteps': 'idempotent',
  'tasks.list': 'idempotent',
  'tasks.cancel': 'once',
  'tasks.getContext': 'idempotent',
  'tasks.summary': 'idempotent',
  'tasks.resume': 'once',
  // A repeat after a lost answer would fail with INVALID_STATE (already resolved_manually).
  'tasks.resolve': 'once',
  'tasks.watch': 'stream',
  'steps.list': 'idempotent',
  'steps.get': 'idempotent',
  'steps.applyManualAction': 'once',
  'steps.audit': 'idempotent',
  'templates.list': 'idempotent',
  'templates.get': 'idempotent',
  // Validation changes nothing.
  'templates.validate': 'idempotent',
  // Registering the same content again is a no-op (outcome `unchanged`), so a retry cannot do harm.
  'templates.register': 'idempotent',
  // Registration is an upsert keyed by worker id.
  'workers.register': 'idempotent',
  'workers.list': 'idempotent',
  // A lost answer would strand the claimed steps until their leases expire; a retry would claim more.
  'workers.claim': 'once',
  // Extending a lease twice extends it once.
  'workers.heartbeat': 'idempotent',
  // Writing the same checkpoint twice stores it once more in the history ring; the state it leaves is the same.
  'workers.checkpoint': 'idempotent',
  'workers.complete': 'once',
  'workers.fail': 'once',
  // A repeat would answer the results it already applied as lease_lost, and claim more steps alongside.
  'workers.reportResults': 'once',
  'workers.release': 'once',
  'apiKeys.create': 'once',
  'apiKeys.list': 'idempotent',
  'apiKeys.revoke': 'idempotent',
  'dlq.list': 'idempotent',
  'dlq.getByTask': 'idempotent',
  // A repeat after a lost answer would fail with ALREADY_EXISTS.
  'dlq.create': 'once',
  // Sets absolute values; repeating it stores the same investigation.
  'dlq.update': 'idempotent',
  'dlq.stats': 'idempotent',
  'dlq.investigationQueue': 'idempotent',
  'dlq.staleness': 'idempotent',
  // A repeat after a lost answer would create a second schedule.
  'schedules.create': 'once',
  'schedules.list': 'idempotent',
  'schedules.get': 'idempotent',
  // Sets absolute values.
  'schedules.update': 'idempotent',
  'schedules.pause': 'idempotent',
  'schedules.resume': 'idempotent',
  // A repeat finds nothing (NOT_FOUND) rather than deleting twice.
  'schedules.delete': 'once',
  'schedules.firings': 'idempotent',
  'analytics.performance': 'idempotent',
  'analytics.bottlenecks': 'idempotent',
  'health.live': 'idempotent',
  'health.ready': 'idempotent',
  'health.detailed': 'idempotent',
  'config.get': 'idempotent',
} as const satisfies Record<OperationName, Idempotency>;

/** Whether a failed attempt of `operation` may be repeated (`hasIdempotencyKey` for `keyed` operations). */
export function isRetryable(operation: OperationName, hasIdempotencyKey = false): boolean {
  const kind: Idempotency = OPERATIONS[operation];
  return kind === 'idempotent' || (kind === 'keyed' && hasIdempotencyKey);
}

// Backpressure, per namespace: creation in a namespace is refused while its unclaimed ready steps, as the last
// pulse counted them, are at or above its limit. Other namespaces are unaffected: a backlog whose workers are
// down holds back only its own producers.
import type { BackpressureStatus } from '@tasker/shared';
import { AppError } from '@tasker/shared/errors';
import type { QueueDepths } from '../engine/queue-depth.js';

export interface AdmissionDeps {
  queueDepths: QueueDepths;
  /** Retry-After of a refusal (backpressure.retry_after_seconds). */
  retryAfterSeconds: number;
}

/** The namespace's admission state; BACKPRESSURE (503 + Retry-After / UNAVAILABLE + retry-after) when full. */
export function admitTask(deps: AdmissionDeps, namespace: string): BackpressureStatus {
  const depth = deps.queueDepths.depthOf(namespace);
  const limit = deps.queueDepths.limitOf(namespace);
  // Before the first count nothing is known, and nothing is refused.
  if (depth !== undefined && depth >= limit) {
    throw new AppError(
      'BACKPRESSURE',
      `${depth} steps of namespace ${namespace} are waiting for workers (limit ${limit}); try again later`,
      {
        retryAfterSeconds: deps.retryAfterSeconds,
        details: { namespace, reason: 'queue_depth', queue_depth: depth, max_queue_depth: limit },
      },
    );
  }
  return { active: false, reason: null, retryAfterSeconds: null, queueDepth: depth ?? null, maxQueueDepth: limit };
}

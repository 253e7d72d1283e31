// Admission control of task creation: per namespace, by the number of its unclaimed ready steps.
import type { Task } from './task.js';

/** Why creation is refused while backpressure is active. */
export const BACKPRESSURE_REASONS = ['queue_depth'] as const;
export type BackpressureReason = (typeof BACKPRESSURE_REASONS)[number];

/**
 * The admission state of one namespace when a task was created there (CreateTaskResponse.backpressure, the
 * `backpressure` of the REST 201 body). A created task always has `active = false`: while it is active,
 * creation fails with BACKPRESSURE (details `namespace`, `queue_depth`, `max_queue_depth`) instead.
 */
export interface BackpressureStatus {
  active: boolean;
  /** Set while active. */
  reason: BackpressureReason | null;
  /** Set while active: how long the caller should wait (`Retry-After`). */
  retryAfterSeconds: number | null;
  /** Unclaimed ready steps of the namespace at the last count (at most one pulse old); null before the first count. */
  queueDepth: number | null;
  /** The namespace's limit (`backpressure.namespaces.<ns>`, else `backpressure.max_pending_steps`). */
  maxQueueDepth: number | null;
}

/** A task as created, with the admission state it was admitted under. */
export interface CreatedTask {
  task: Task;
  backpressure: BackpressureStatus;
}

/** One namespace's queue against its limit. */
export interface NamespaceQueueDepth {
  /** Unclaimed ready steps. */
  depth: number;
  limit: number;
  /** depth ≥ limit: creation in the namespace is refused. */
  throttled: boolean;
}

/** The last per-namespace count: namespaces with ready steps, and every namespace with its own limit. */
export interface QueueDepthReport {
  measuredAt: Date;
  namespaces: Record<string, NamespaceQueueDepth>;
}

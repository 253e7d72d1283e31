import type { StepCheckpoint } from './checkpoint.js';
import type { JsonObject, JsonValue } from './json.js';
import type { StepState } from './states.js';
import type { StepType } from './template.js';

/** The last failure a worker (or the lease sweeper) reported for a step. */
export interface StepError {
  message: string;
  errorType: string | null;
  retryable: boolean;
  statusCode: number | null;
}

/**
 * What a batch worker was created for, read from its stored inputs (`cursor`, `is_no_op`): the batch's id and
 * cursor range as the batchable step's outcome (or the server's cursor generator) gave them.
 */
export interface StepBatch {
  /** The batch_worker template step this worker is an instance of. */
  templateStep: string;
  batchId: string;
  /** Any JSON value except null (a number for generated cursors). */
  startCursor: JsonValue;
  endCursor: JsonValue;
  /** Items in the batch when the outcome gave it. */
  batchSize: number | null;
  /** The placeholder worker of a batchable step that created no batches (`{template}_000`). */
  noOp: boolean;
}

/** A workflow step with its readiness fields (docs/engine.md, *Read models*). */
export interface Step {
  stepUuid: string;
  taskUuid: string;
  name: string;
  state: StepState;
  handlerCallable: string;
  stepType: StepType;
  /** The decision or batchable step whose outcome created this step; null for the steps a task starts with. */
  createdByStepUuid: string | null;
  createdByStepName: string | null;
  /** Set for batch worker instances only. */
  batch: StepBatch | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  results: JsonValue | null;
  dependenciesSatisfied: boolean;
  retryEligible: boolean;
  readyForExecution: boolean;
  totalParents: number;
  completedParents: number;
  attempts: number;
  maxAttempts: number;
  retryable: boolean;
  lastFailureAt: Date | null;
  nextRetryAt: Date | null;
  lastAttemptedAt: Date | null;
  backoffRequestSeconds: number | null;
  lastError: StepError | null;
  /** The worker's last checkpoint (kept across attempts); null before any. */
  checkpoint: StepCheckpoint | null;
}

export const STEP_MANUAL_ACTION_TYPES = ['reset_for_retry', 'resolve_manually', 'complete_manually'] as const;
export type StepManualActionType = (typeof STEP_MANUAL_ACTION_TYPES)[number];

/** Operator action on one step (PATCH …/workflow_steps/{uuid}, ResolveStep). */
export type StepManualAction =
  | { type: 'reset_for_retry'; reason: string; performedBy: string }
  | { type: 'resolve_manually'; reason: string; performedBy: string }
  | {
      type: 'complete_manually';
      reason: string;
      performedBy: string;
      result: JsonValue;
      metadata?: JsonObject;
    };

/** What an audit row records. */
export const STEP_AUDIT_ACTIONS = [
  'worker_result',
  'lease_expired',
  'reset_for_retry',
  'resolve_manually',
  'complete_manually',
  'cancel',
] as const;
export type StepAuditAction = (typeof STEP_AUDIT_ACTIONS)[number];

/** One audit row of a step: a worker result or an operator action, newest first in listings. */
export interface StepAudit {
  auditUuid: string;
  stepUuid: string;
  taskUuid: string;
  stepName: string;
  /** Global event id of the transition this row belongs to. */
  eventId: number;
  recordedAt: Date;
  action: StepAuditAction;
  workerId: string | null;
  performedBy: string | null;
  reason: string | null;
  correlationId: string | null;
  success: boolean;
  executionTimeMs: number | null;
  result: JsonValue | null;
  fromState: StepState | null;
  toState: StepState;
}

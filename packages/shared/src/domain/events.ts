import type { StepState, TaskState } from './states.js';

export const TASK_EVENT_TYPES = [
  'task_state_change',
  'step_state_change',
  'task_complete',
  'task_error',
  'task_cancelled',
  'keepalive',
  'batch.worker_checkpointed',
  'decision.branches_created',
  'batch.workers_created',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** The event types that record a step's outcome growing the task's graph (`expansion` is set on them). */
export const EXPANSION_EVENT_TYPES = ['decision.branches_created', 'batch.workers_created'] as const;
export type ExpansionEventType = (typeof EXPANSION_EVENT_TYPES)[number];

export const EXPANSION_OUTCOME_TYPES = ['create_steps', 'no_branches', 'create_batches', 'no_batches'] as const;
export type ExpansionOutcomeType = (typeof EXPANSION_OUTCOME_TYPES)[number];

/**
 * A decision or batchable step's outcome applied to the task: the steps it created (for a decision: its
 * branches and the steps that came with them; for a batchable: one worker per batch, or the `{template}_000`
 * no-op worker for no_batches, and the steps that came with them).
 */
export interface TaskExpansion {
  triggerStepUuid: string;
  triggerStepName: string;
  outcomeType: ExpansionOutcomeType;
  /** In creation order. */
  createdSteps: { stepUuid: string; name: string }[];
  /** The batch_worker template of a batch expansion; null for a decision. */
  workerTemplate: string | null;
  /** Batch ids in worker order; empty for a decision. */
  batchIds: string[];
}

export interface StepUpdate {
  stepUuid: string;
  name: string;
  state: StepState;
  attempt: number;
}

/**
 * One event of a task's stream. `eventId` is the global transition cursor (0 for keepalives, which carry
 * the latest task state). The stream ends after the event whose `taskState` is terminal.
 */
export interface TaskStatusEvent {
  eventId: number;
  type: TaskEventType;
  taskUuid: string;
  taskState: TaskState;
  step: StepUpdate | null;
  /** Set exactly on the expansion event types. */
  expansion: TaskExpansion | null;
  occurredAt: Date;
}

export interface WatchOptions {
  /** Replay only events after this cursor (0 or absent: the whole history). */
  afterEventId?: number;
  includeSteps?: boolean;
  signal?: AbortSignal;
}

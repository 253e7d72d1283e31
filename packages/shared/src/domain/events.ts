import type { StepState, TaskState } from './states.js';

export const TASK_EVENT_TYPES = [
  'task_state_change',
  'step_state_change',
  'task_complete',
  'task_error',
  'task_cancelled',
  'keepalive',
  'batch.worker_checkpointed',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

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
  occurredAt: Date;
}

export interface WatchOptions {
  /** Replay only events after this cursor (0 or absent: the whole history). */
  afterEventId?: number;
  includeSteps?: boolean;
  signal?: AbortSignal;
}

import type { JsonObject } from './json.js';
import type { TaskState } from './states.js';
import type { Step } from './step.js';

/** First matching row of docs/engine.md *Read models*: what the DAG is doing right now. */
export const EXECUTION_STATUSES = [
  'has_ready_steps',
  'processing',
  'blocked_by_failures',
  'all_complete',
  'waiting_for_dependencies',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const RECOMMENDED_ACTIONS = [
  'execute_ready_steps',
  'wait_for_completion',
  'handle_failures',
  'finalize_task',
  'wait_for_dependencies',
  'none',
] as const;
export type RecommendedAction = (typeof RECOMMENDED_ACTIONS)[number];

export const HEALTH_STATUSES = ['healthy', 'blocked', 'recovering', 'unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Per-task step counts and the derived status (docs/engine.md, *Read models*). */
export interface TaskExecution {
  totalSteps: number;
  /** `pending` only. */
  pendingSteps: number;
  /** `in_progress` only. */
  inProgressSteps: number;
  /** `complete` + `resolved_manually`. */
  completedSteps: number;
  /** `error`. */
  failedSteps: number;
  /** Steps a worker could claim now (`enqueued`). */
  readySteps: number;
  /** `enqueued` + both for-orchestration states. */
  enqueuedSteps: number;
  /** `waiting_for_retry`. */
  waitingForRetrySteps: number;
  cancelledSteps: number;
  /** completed / total × 100, two decimals. */
  completionPercentage: number;
  executionStatus: ExecutionStatus;
  recommendedAction: RecommendedAction;
  healthStatus: HealthStatus;
}

/** One run of a template. */
export interface Task {
  taskUuid: string;
  namespace: string;
  name: string;
  version: string;
  state: TaskState;
  context: JsonObject;
  initiator: string;
  sourceSystem: string;
  reason: string;
  priority: number;
  tags: string[];
  correlationId: string;
  parentCorrelationId: string | null;
  idempotencyKey: string | null;
  /** Request options given at creation; empty when none were given. */
  options: Record<string, string>;
  requestedAt: Date;
  /** The start time the task was created with (a past one: the creation time); null = started at creation. */
  runAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  execution: TaskExecution;
}

/** A task with its steps (GET with steps). */
export interface TaskWithSteps {
  task: Task;
  steps: Step[];
}

/** Input of task creation, transport-independent. */
export interface CreateTaskInput {
  namespace: string;
  name: string;
  version: string;
  context: JsonObject;
  initiator: string;
  sourceSystem: string;
  reason: string;
  /** Default 0; range −100..100. */
  priority?: number;
  tags?: string[];
  /** Generated when absent. */
  correlationId?: string;
  parentCorrelationId?: string;
  /** Always wins over the template's identity strategy. */
  idempotencyKey?: string;
  /** Stored with the task and returned as `Task.options`; bounds in `TASK_OPTIONS_LIMITS`. */
  options?: Record<string, string>;
  /**
   * Start no earlier than this (delayed start): until then the task is `pending` and none of its steps is
   * dispatchable. A time not in the future starts it at once. At most `engine.max_start_delay_days` ahead.
   */
  runAt?: Date;
}

export const TASK_SORT_FIELDS = ['created_at', 'updated_at', 'priority', 'completed_at'] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

/** Filters and paging of a task list. Paging is offset-based in the domain; REST converts page/per_page. */
export interface TaskListQuery {
  namespace?: string;
  name?: string;
  version?: string;
  states?: TaskState[];
  initiator?: string;
  sourceSystem?: string;
  /** Tasks carrying every one of these tags. */
  tags?: string[];
  createdAfter?: Date;
  createdBefore?: Date;
  sort?: { field: TaskSortField; direction: SortDirection };
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** `GetTaskContext`: the task's input and what its steps produced. */
export interface TaskContextView {
  taskUuid: string;
  inputs: JsonObject;
  /** Step name → result of every step that produced one. */
  outputs: JsonObject;
  /** inputs overlaid with outputs under their step names. */
  merged: JsonObject;
}

// Task resource: domain ↔ REST, both directions side by side. Enum values are the same snake_case strings in
// the domain and on the wire (the REST schemas are built from the domain's value lists), so no maps are needed.
import { TASK_STATES, type TaskState } from '../../domain/states.js';
import type { CreateTaskInput, Page, Task, TaskContextView, TaskListQuery, TaskWithSteps } from '../../domain/task.js';
import type {
  CancelTaskRequest,
  CreateTaskRequest,
  ResolveTaskRequest,
  ResumeTaskRequest,
  TaskContextResponse,
  TaskListQueryParams,
  TaskListResponse,
  TaskResponse,
} from '../../schemas/rest/task.js';
import {
  definedEntry,
  nullableTimestampFromRest,
  nullableTimestampToRest,
  timestampFromRest,
  timestampToRest,
} from './common.js';
import { stepFromRest, stepToRest } from './step.js';

export function taskToRest(task: Task): TaskResponse {
  const e = task.execution;
  return {
    task_uuid: task.taskUuid,
    namespace: task.namespace,
    name: task.name,
    version: task.version,
    status: task.state,
    context: task.context,
    initiator: task.initiator,
    source_system: task.sourceSystem,
    reason: task.reason,
    priority: task.priority,
    tags: task.tags,
    correlation_id: task.correlationId,
    parent_correlation_id: task.parentCorrelationId,
    idempotency_key: task.idempotencyKey,
    options: task.options,
    requested_at: timestampToRest(task.requestedAt),
    run_at: nullableTimestampToRest(task.runAt),
    created_at: timestampToRest(task.createdAt),
    updated_at: timestampToRest(task.updatedAt),
    completed_at: nullableTimestampToRest(task.completedAt),
    total_steps: e.totalSteps,
    pending_steps: e.pendingSteps,
    in_progress_steps: e.inProgressSteps,
    completed_steps: e.completedSteps,
    failed_steps: e.failedSteps,
    ready_steps: e.readySteps,
    enqueued_steps: e.enqueuedSteps,
    waiting_for_retry_steps: e.waitingForRetrySteps,
    cancelled_steps: e.cancelledSteps,
    completion_percentage: e.completionPercentage,
    execution_status: e.executionStatus,
    recommended_action: e.recommendedAction,
    health_status: e.healthStatus,
  };
}

export function taskFromRest(r: TaskResponse): Task {
  return {
    taskUuid: r.task_uuid,
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    state: r.status,
    context: r.context,
    initiator: r.initiator,
    sourceSystem: r.source_system,
    reason: r.reason,
    priority: r.priority,
    tags: r.tags,
    correlationId: r.correlation_id,
    parentCorrelationId: r.parent_correlation_id,
    idempotencyKey: r.idempotency_key,
    options: r.options,
    requestedAt: timestampFromRest(r.requested_at),
    runAt: nullableTimestampFromRest(r.run_at),
    createdAt: timestampFromRest(r.created_at),
    updatedAt: timestampFromRest(r.updated_at),
    completedAt: nullableTimestampFromRest(r.completed_at),
    execution: {
      totalSteps: r.total_steps,
      pendingSteps: r.pending_steps,
      inProgressSteps: r.in_progress_steps,
      completedSteps: r.completed_steps,
      failedSteps: r.failed_steps,
      readySteps: r.ready_steps,
      enqueuedSteps: r.enqueued_steps,
      waitingForRetrySteps: r.waiting_for_retry_steps,
      cancelledSteps: r.cancelled_steps,
      completionPercentage: r.completion_percentage,
      executionStatus: r.execution_status,
      recommendedAction: r.recommended_action,
      healthStatus: r.health_status,
    },
  };
}

export function taskWithStepsToRest(value: TaskWithSteps): TaskResponse {
  return { ...taskToRest(value.task), steps: value.steps.map(stepToRest) };
}

/** The inverse of {@link taskWithStepsToRest}; a response without `steps` yields an empty list. */
export function taskWithStepsFromRest(r: TaskResponse): TaskWithSteps {
  return { task: taskFromRest(r), steps: (r.steps ?? []).map(stepFromRest) };
}

/**
 * The reference's `requested_at` (naive = UTC, or with an offset) as a date: ISO 8601 forms the regex of the
 * schema admits, normalised for `Date.parse` (`T`, `Z` for no offset, `+hh:mm`).
 */
function referenceTimestampFromRest(value: string): Date {
  const m = /^(.*?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(value.replace(' ', 'T'));
  const local = m?.[1] ?? value;
  const zone = m?.[2] ?? 'Z';
  const offset = /^[+-]\d{2}$/.test(zone) ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(Date.parse(`${local}${offset}`));
}

/**
 * `run_at` is the start time. The reference's `requested_at` means the same when it lies in the future; a past
 * one is read and dropped, as the reference overwrites it with the arrival time (docs/compatibility.md §5),
 * which is what `Task.requestedAt` is here too.
 */
export function createTaskInputFromRest(body: CreateTaskRequest, now: Date = new Date()): CreateTaskInput {
  const requested = body.requested_at === undefined ? undefined : referenceTimestampFromRest(body.requested_at);
  const runAt =
    body.run_at !== undefined
      ? timestampFromRest(body.run_at)
      : requested !== undefined && requested.getTime() > now.getTime()
        ? requested
        : undefined;
  return {
    namespace: body.namespace,
    name: body.name,
    version: body.version,
    context: body.context,
    initiator: body.initiator,
    sourceSystem: body.source_system,
    reason: body.reason,
    ...definedEntry('priority', body.priority),
    ...definedEntry('tags', body.tags),
    ...definedEntry('correlationId', body.correlation_id),
    ...definedEntry('parentCorrelationId', body.parent_correlation_id),
    ...definedEntry('idempotencyKey', body.idempotency_key),
    ...definedEntry('options', body.options),
    ...definedEntry('runAt', runAt),
  };
}

export function createTaskInputToRest(input: CreateTaskInput): CreateTaskRequest {
  return {
    namespace: input.namespace,
    name: input.name,
    version: input.version,
    context: input.context,
    initiator: input.initiator,
    source_system: input.sourceSystem,
    reason: input.reason,
    ...definedEntry('priority', input.priority),
    ...definedEntry('tags', input.tags),
    ...definedEntry('correlation_id', input.correlationId),
    ...definedEntry('parent_correlation_id', input.parentCorrelationId),
    ...definedEntry('idempotency_key', input.idempotencyKey),
    ...definedEntry('options', input.options),
    ...definedEntry('run_at', input.runAt === undefined ? undefined : timestampToRest(input.runAt)),
  };
}

/**
 * The states a `?status=` list selects. Our state names mean themselves; the reference's two values keep their
 * meaning there: `completed` = complete, `pending` = not complete (every other state, the delayed tasks waiting in
 * `pending` included).
 */
export function statesOfStatusParam(values: readonly string[]): TaskState[] {
  const states = new Set<TaskState>();
  for (const value of values) {
    if (value === 'completed') {
      states.add('complete');
    } else if (value === 'pending') {
      for (const s of TASK_STATES) if (s !== 'complete') states.add(s);
    } else {
      states.add(value as TaskState);
    }
  }
  return TASK_STATES.filter((s) => states.has(s));
}

/** page/per_page become offset/limit; a `sort_direction` alone sorts by `created_at`; `status` becomes `states`. */
export function taskListQueryFromRest(q: TaskListQueryParams): TaskListQuery {
  const sort =
    q.sort_by === undefined && q.sort_direction === undefined
      ? undefined
      : { field: q.sort_by ?? 'created_at', direction: q.sort_direction ?? 'desc' };
  return {
    limit: q.per_page,
    offset: (q.page - 1) * q.per_page,
    ...definedEntry('namespace', q.namespace),
    ...definedEntry('name', q.name),
    ...definedEntry('version', q.version),
    ...definedEntry('states', q.status === undefined ? q.state : statesOfStatusParam(q.status)),
    ...definedEntry('initiator', q.initiator),
    ...definedEntry('sourceSystem', q.source_system),
    ...definedEntry('tags', q.tags),
    ...definedEntry('createdAfter', q.created_after === undefined ? undefined : timestampFromRest(q.created_after)),
    ...definedEntry('createdBefore', q.created_before === undefined ? undefined : timestampFromRest(q.created_before)),
    ...definedEntry('sort', sort),
  };
}

/**
 * Query parameters for GET /v1/tasks (for URLSearchParams; list values repeat the key). The offset is
 * rounded down to a whole page: REST pages, the domain offsets.
 */
export function taskListQueryToRest(q: TaskListQuery): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {
    page: String(Math.floor(q.offset / q.limit) + 1),
    per_page: String(q.limit),
  };
  if (q.namespace !== undefined) params.namespace = q.namespace;
  if (q.name !== undefined) params.name = q.name;
  if (q.version !== undefined) params.version = q.version;
  if (q.states !== undefined) params.state = [...q.states];
  if (q.initiator !== undefined) params.initiator = q.initiator;
  if (q.sourceSystem !== undefined) params.source_system = q.sourceSystem;
  if (q.tags !== undefined) params.tags = [...q.tags];
  if (q.createdAfter !== undefined) params.created_after = timestampToRest(q.createdAfter);
  if (q.createdBefore !== undefined) params.created_before = timestampToRest(q.createdBefore);
  if (q.sort !== undefined) {
    params.sort_by = q.sort.field;
    params.sort_direction = q.sort.direction;
  }
  return params;
}

export function taskPageToRest(page: Page<Task>): TaskListResponse {
  const totalPages = Math.ceil(page.total / page.limit);
  return {
    tasks: page.items.map(taskToRest),
    pagination: {
      page: Math.floor(page.offset / page.limit) + 1,
      per_page: page.limit,
      total_count: page.total,
      total_pages: totalPages,
      has_next: page.offset + page.items.length < page.total,
      has_previous: page.offset > 0,
    },
  };
}

export function taskPageFromRest(r: TaskListResponse): Page<Task> {
  return {
    items: r.tasks.map(taskFromRest),
    total: r.pagination.total_count,
    limit: r.pagination.per_page,
    offset: (r.pagination.page - 1) * r.pagination.per_page,
  };
}

export interface CancelTaskInput {
  reason: string | null;
  performedBy: string | null;
}

export function cancelTaskInputFromRest(body: CancelTaskRequest | null | undefined): CancelTaskInput {
  return { reason: body?.reason ?? null, performedBy: body?.cancelled_by ?? null };
}

export function cancelTaskInputToRest(input: CancelTaskInput): CancelTaskRequest {
  return {
    ...definedEntry('reason', input.reason ?? undefined),
    ...definedEntry('cancelled_by', input.performedBy ?? undefined),
  };
}

export interface ResumeTaskInput {
  performedBy: string;
  reason: string;
}

export function resumeTaskInputFromRest(body: ResumeTaskRequest): ResumeTaskInput {
  return { performedBy: body.performed_by, reason: body.reason };
}

export function resumeTaskInputToRest(input: ResumeTaskInput): ResumeTaskRequest {
  return { performed_by: input.performedBy, reason: input.reason };
}

export interface ResolveTaskInput {
  performedBy: string;
  reason: string;
}

export function resolveTaskInputFromRest(body: ResolveTaskRequest): ResolveTaskInput {
  return { performedBy: body.performed_by, reason: body.reason };
}

export function resolveTaskInputToRest(input: ResolveTaskInput): ResolveTaskRequest {
  return { performed_by: input.performedBy, reason: input.reason };
}

export function taskContextToRest(view: TaskContextView): TaskContextResponse {
  return { task_uuid: view.taskUuid, inputs: view.inputs, outputs: view.outputs, merged: view.merged };
}

export function taskContextFromRest(r: TaskContextResponse): TaskContextView {
  return { taskUuid: r.task_uuid, inputs: r.inputs, outputs: r.outputs, merged: r.merged };
}

// Task resource: domain ↔ proto, both directions side by side.
import { COUNT_LIMITS, INT_LIMITS, TEXT_LIMITS as T } from '../../domain/limits.js';
import type { Step } from '../../domain/step.js';
import type { CreateTaskInput, Page, Task, TaskContextView, TaskListQuery } from '../../domain/task.js';
import type { TaskState } from '../../domain/states.js';
import { validationError } from '../../errors.js';
import type {
  CancelTaskRequest as PbCancelTaskRequest,
  CancelTaskResponse as PbCancelTaskResponse,
  CreateTaskRequest as PbCreateTaskRequest,
  CreateTaskResponse as PbCreateTaskResponse,
  GetTaskRequest as PbGetTaskRequest,
  GetTaskResponse as PbGetTaskResponse,
  ListTasksRequest as PbListTasksRequest,
  ListTasksResponse as PbListTasksResponse,
  ResolveTaskRequest as PbResolveTaskRequest,
  ResumeTaskRequest as PbResumeTaskRequest,
  Task as PbTask,
  TaskContext as PbTaskContext,
} from '../../gen/tasker/v1/tasks.js';
import { TaskSortField as PbTaskSortField } from '../../gen/tasker/v1/tasks.js';
import { SortDirection as PbSortDirection } from '../../gen/tasker/v1/common.js';
import {
  RequestValidator,
  defined,
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  pageFromProto,
  paginationFromProto,
  paginationRequestToProto,
  paginationToProto,
  requiredDateFromProto,
  structOrEmptyFromProto,
} from './common.js';
import {
  executionStatusFromProto,
  executionStatusToProto,
  recommendedActionFromProto,
  recommendedActionToProto,
  sortDirectionFromProto,
  sortDirectionToProto,
  taskHealthStatusFromProto,
  taskHealthStatusToProto,
  taskSortFieldFromProto,
  taskSortFieldToProto,
  taskStateFromProto,
  taskStateToProto,
} from './enums.js';
import { stepFromProto, stepToProto } from './step.js';

export function taskToProto(t: Task): PbTask {
  const e = t.execution;
  return {
    taskUuid: t.taskUuid,
    name: t.name,
    namespace: t.namespace,
    version: t.version,
    state: taskStateToProto(t.state),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    completedAt: optionalDateToProto(t.completedAt),
    context: t.context,
    initiator: t.initiator,
    sourceSystem: t.sourceSystem,
    reason: t.reason,
    priority: t.priority,
    tags: t.tags,
    correlationId: t.correlationId,
    parentCorrelationId: nullableToProto(t.parentCorrelationId),
    totalSteps: e.totalSteps,
    pendingSteps: e.pendingSteps,
    inProgressSteps: e.inProgressSteps,
    completedSteps: e.completedSteps,
    failedSteps: e.failedSteps,
    readySteps: e.readySteps,
    enqueuedSteps: e.enqueuedSteps,
    executionStatus: executionStatusToProto(e.executionStatus),
    recommendedAction: recommendedActionToProto(e.recommendedAction),
    healthStatus: taskHealthStatusToProto(e.healthStatus),
    completionPercentage: e.completionPercentage,
    idempotencyKey: nullableToProto(t.idempotencyKey),
    options: t.options,
    requestedAt: t.requestedAt,
    runAt: optionalDateToProto(t.runAt),
    waitingForRetrySteps: e.waitingForRetrySteps,
    cancelledSteps: e.cancelledSteps,
  };
}

export function taskFromProto(p: PbTask, path = 'task'): Task {
  return {
    taskUuid: p.taskUuid,
    namespace: p.namespace,
    name: p.name,
    version: p.version,
    state: taskStateFromProto(p.state, `${path}.state`),
    context: structOrEmptyFromProto(p.context),
    initiator: p.initiator,
    sourceSystem: p.sourceSystem,
    reason: p.reason,
    priority: p.priority ?? 0,
    tags: p.tags,
    correlationId: p.correlationId,
    parentCorrelationId: nullableFromProto(p.parentCorrelationId),
    idempotencyKey: nullableFromProto(p.idempotencyKey),
    options: p.options,
    requestedAt: requiredDateFromProto(p.requestedAt, `${path}.requested_at`),
    runAt: optionalDateFromProto(p.runAt),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    updatedAt: requiredDateFromProto(p.updatedAt, `${path}.updated_at`),
    completedAt: optionalDateFromProto(p.completedAt),
    execution: {
      totalSteps: p.totalSteps,
      pendingSteps: p.pendingSteps,
      inProgressSteps: p.inProgressSteps,
      completedSteps: p.completedSteps,
      failedSteps: p.failedSteps,
      readySteps: p.readySteps,
      enqueuedSteps: p.enqueuedSteps,
      waitingForRetrySteps: p.waitingForRetrySteps,
      cancelledSteps: p.cancelledSteps,
      completionPercentage: p.completionPercentage,
      executionStatus: executionStatusFromProto(p.executionStatus, `${path}.execution_status`),
      recommendedAction: recommendedActionFromProto(p.recommendedAction, `${path}.recommended_action`),
      healthStatus: taskHealthStatusFromProto(p.healthStatus, `${path}.health_status`),
    },
  };
}

/** A response's required Task submessage. */
export function requiredTaskFromProto(p: PbTask | undefined, path = 'task'): Task {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return taskFromProto(p, path);
}

/**
 * What the reference's gRPC CreateTask fills in for an absent initiator, source_system and reason (its handler
 * defaults the initiator and the reason, and its TaskRequest builder the source system). REST requires all three,
 * as the reference's JSON TaskRequest does.
 */
export const GRPC_CREATE_TASK_DEFAULTS = Object.freeze({
  initiator: 'grpc',
  sourceSystem: 'tasker-core',
  reason: 'Task created via gRPC',
});

/**
 * The REST TaskRequest rules: the same inputs fail on both transports. An absent initiator, source_system or
 * reason gets {@link GRPC_CREATE_TASK_DEFAULTS}; a given empty one is refused.
 */
export function createTaskInputFromProto(req: PbCreateTaskRequest): CreateTaskInput {
  const v = new RequestValidator();
  const d = GRPC_CREATE_TASK_DEFAULTS;
  const input: CreateTaskInput = {
    namespace: v.string('namespace', req.namespace, T.namespace),
    name: v.string('name', req.name, T.name),
    version: v.string('version', req.version, T.version),
    context: v.struct('context', req.context),
    initiator: v.string('initiator', req.initiator ?? d.initiator, T.initiator),
    sourceSystem: v.string('source_system', req.sourceSystem ?? d.sourceSystem, T.sourceSystem),
    reason: v.string('reason', req.reason ?? d.reason, T.taskReason),
    ...defined('priority', v.optionalInt('priority', req.priority, INT_LIMITS.priority)),
    ...defined('correlationId', v.optionalUuid('correlation_id', req.correlationId)),
    ...defined('parentCorrelationId', v.optionalUuid('parent_correlation_id', req.parentCorrelationId)),
    ...defined('idempotencyKey', v.optionalString('idempotency_key', req.idempotencyKey, T.idempotencyKey)),
  };
  v.list('tags', req.tags, COUNT_LIMITS.tags).forEach((tag, i) => v.string(`tags[${i}]`, tag, T.tag));
  if (req.tags.length > 0) input.tags = req.tags;
  // Proto maps and repeated fields cannot be absent: empty means "not given", as on REST.
  if (Object.keys(req.options).length > 0) input.options = req.options;
  if (req.runAt !== undefined) input.runAt = req.runAt;
  v.done();
  return input;
}

export function createTaskInputToProto(i: CreateTaskInput): PbCreateTaskRequest {
  return {
    name: i.name,
    namespace: i.namespace,
    version: i.version,
    context: i.context,
    initiator: i.initiator,
    sourceSystem: i.sourceSystem,
    reason: i.reason,
    priority: i.priority,
    tags: i.tags ?? [],
    correlationId: i.correlationId,
    parentCorrelationId: i.parentCorrelationId,
    idempotencyKey: i.idempotencyKey,
    options: i.options ?? {},
    runAt: i.runAt,
  };
}

/** The task of a CreateTaskResponse (its admission state: createdTaskFromProto in ./backpressure.ts). */
export function createTaskResponseFromProto(r: PbCreateTaskResponse): Task {
  return requiredTaskFromProto(r.task);
}

export interface GetTaskQuery {
  taskUuid: string;
  includeSteps: boolean;
  includeContext: boolean;
}

export function getTaskRequestFromProto(req: PbGetTaskRequest): GetTaskQuery {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  v.done();
  return { taskUuid, includeSteps: req.includeSteps, includeContext: req.includeContext };
}

export function getTaskRequestToProto(q: GetTaskQuery): PbGetTaskRequest {
  return { taskUuid: q.taskUuid, includeSteps: q.includeSteps, includeContext: q.includeContext };
}

export interface GetTaskResult {
  task: Task;
  /** Set when steps were asked for. */
  steps: Step[] | null;
  /** Set when the context was asked for. */
  context: TaskContextView | null;
}

export function getTaskResponseToProto(r: GetTaskResult): PbGetTaskResponse {
  return {
    task: taskToProto(r.task),
    steps: (r.steps ?? []).map(stepToProto),
    context: r.context === null ? undefined : taskContextToProto(r.context),
  };
}

/** `steps` is null when the response has none; the caller knows whether it asked for them. */
export function getTaskResponseFromProto(r: PbGetTaskResponse): GetTaskResult {
  const task = requiredTaskFromProto(r.task);
  return {
    task,
    steps: r.steps.length === 0 ? null : r.steps.map((s, i) => stepFromProto(s, `steps[${i}]`)),
    context: r.context === undefined ? null : taskContextFromProto(r.context, task.taskUuid),
  };
}

export function taskListQueryFromProto(req: PbListTasksRequest): TaskListQuery {
  const v = new RequestValidator();
  const { limit, offset } = paginationFromProto(v, req.pagination);
  const states = req.states.map((s, i) => v.decode(() => taskStateFromProto(s, `states[${i}]`)));
  req.tags.forEach((tag, i) => v.string(`tags[${i}]`, tag));
  // Unspecified sort parts mean the documented defaults (created_at, descending), not an error.
  const sort =
    req.sort === undefined
      ? undefined
      : {
          field:
            req.sort.field === PbTaskSortField.TASK_SORT_FIELD_UNSPECIFIED
              ? ('created_at' as const)
              : v.decode(() => taskSortFieldFromProto(req.sort!.field, 'sort.field')),
          direction:
            req.sort.direction === PbSortDirection.SORT_DIRECTION_UNSPECIFIED
              ? ('desc' as const)
              : v.decode(() => sortDirectionFromProto(req.sort!.direction, 'sort.direction')),
        };
  const query: TaskListQuery = {
    limit,
    offset,
    ...defined('namespace', v.optionalString('namespace', req.namespace, T.namespace)),
    ...defined('name', v.optionalString('name', req.name, T.name)),
    ...defined('version', v.optionalString('version', req.version, T.version)),
    ...defined('initiator', v.optionalString('initiator', req.initiator, T.initiator)),
    ...defined('sourceSystem', v.optionalString('source_system', req.sourceSystem, T.sourceSystem)),
    ...defined('createdAfter', req.createdAfter),
    ...defined('createdBefore', req.createdBefore),
  };
  v.done();
  if (states.length > 0) query.states = states as TaskState[];
  if (req.tags.length > 0) query.tags = req.tags;
  if (sort !== undefined) query.sort = sort as NonNullable<TaskListQuery['sort']>;
  return query;
}

export function taskListQueryToProto(q: TaskListQuery): PbListTasksRequest {
  return {
    pagination: paginationRequestToProto(q),
    namespace: q.namespace,
    name: q.name,
    version: q.version,
    states: (q.states ?? []).map(taskStateToProto),
    createdAfter: q.createdAfter,
    createdBefore: q.createdBefore,
    initiator: q.initiator,
    sourceSystem: q.sourceSystem,
    tags: q.tags ?? [],
    sort:
      q.sort === undefined
        ? undefined
        : { field: taskSortFieldToProto(q.sort.field), direction: sortDirectionToProto(q.sort.direction) },
  };
}

export function taskPageToProto(page: Page<Task>): PbListTasksResponse {
  return { tasks: page.items.map(taskToProto), pagination: paginationToProto(page) };
}

export function taskPageFromProto(r: PbListTasksResponse, limit: number): Page<Task> {
  return pageFromProto(r.tasks, r.pagination, limit, (t) => taskFromProto(t));
}

export interface CancelTaskCommand {
  taskUuid: string;
  /** `performedBy` null: the service records the authenticated principal. */
  input: { reason: string | null; performedBy: string | null };
}

/** The REST cancel body's rules (`reason`, `cancelled_by`). */
export function cancelTaskRequestFromProto(req: PbCancelTaskRequest): CancelTaskCommand {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const reason = v.optionalString('reason', req.reason, T.operatorReason);
  const performedBy = v.optionalString('performed_by', req.performedBy, T.actor);
  v.done();
  return { taskUuid, input: { reason: reason ?? null, performedBy: performedBy ?? null } };
}

export function cancelTaskRequestToProto(c: CancelTaskCommand): PbCancelTaskRequest {
  return {
    taskUuid: c.taskUuid,
    reason: nullableToProto(c.input.reason),
    performedBy: nullableToProto(c.input.performedBy),
  };
}

export function cancelTaskResponseToProto(task: Task): PbCancelTaskResponse {
  return { task: taskToProto(task), success: true, message: 'task cancelled' };
}

export interface ResumeTaskCommand {
  taskUuid: string;
  input: { performedBy: string; reason: string };
}

export function resumeTaskRequestFromProto(req: PbResumeTaskRequest): ResumeTaskCommand {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const performedBy = v.string('performed_by', req.performedBy, T.actor);
  const reason = v.string('reason', req.reason, T.operatorReason);
  v.done();
  return { taskUuid, input: { performedBy, reason } };
}

export function resumeTaskRequestToProto(c: ResumeTaskCommand): PbResumeTaskRequest {
  return { taskUuid: c.taskUuid, performedBy: c.input.performedBy, reason: c.input.reason };
}

export interface ResolveTaskCommand {
  taskUuid: string;
  input: { performedBy: string; reason: string };
}

/** The REST resolve body's rules (`performed_by`, `reason`). */
export function resolveTaskRequestFromProto(req: PbResolveTaskRequest): ResolveTaskCommand {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const performedBy = v.string('performed_by', req.performedBy, T.actor);
  const reason = v.string('reason', req.reason, T.operatorReason);
  v.done();
  return { taskUuid, input: { performedBy, reason } };
}

export function resolveTaskRequestToProto(c: ResolveTaskCommand): PbResolveTaskRequest {
  return { taskUuid: c.taskUuid, performedBy: c.input.performedBy, reason: c.input.reason };
}

/** Requests that only name a task (GetTaskContext, GetTaskSummary, DLQ GetEntryByTask). */
export function taskUuidFromProto(req: { taskUuid: string }): string {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  v.done();
  return taskUuid;
}

export function taskContextToProto(c: TaskContextView): PbTaskContext {
  return { inputs: c.inputs, outputs: c.outputs, merged: c.merged };
}

/** The proto message does not repeat the task id; the caller knows it. */
export function taskContextFromProto(p: PbTaskContext | undefined, taskUuid: string): TaskContextView {
  return {
    taskUuid,
    inputs: structOrEmptyFromProto(p?.inputs),
    outputs: structOrEmptyFromProto(p?.outputs),
    merged: structOrEmptyFromProto(p?.merged),
  };
}

// Task scenarios: create (every field), get, get with steps, context, summary, list with filters, cancel, resume.
import { randomUUID } from 'node:crypto';
import type { CreateTaskInput, Task, TaskListQuery } from '@tasker/shared';
import {
  cancelTaskRequestToProto,
  createTaskInputToProto,
  createTaskResponseFromProto,
  getTaskResponseFromProto,
  resumeTaskRequestToProto,
  taskContextFromProto,
  taskListQueryToProto,
  taskPageFromProto,
  taskSummaryFromProto,
  requiredTaskFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  cancelTaskInputToRest,
  createTaskInputToRest,
  resumeTaskInputToRest,
  taskContextFromRest,
  taskFromRest,
  taskListQueryToRest,
  taskPageFromRest,
  taskSummaryFromRest,
  taskWithStepsFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  TaskContextResponseSchema,
  TaskListResponseSchema,
  TaskResponseSchema,
  TaskSummaryResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { createTask, LINEAR_NEXT_VERSION, linearTaskInput, OTHER_NAMESPACE, taskInError } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import { expect } from 'vitest';
import type { Outcome, ParityContext, Scenario } from '../types.js';

function fullInput(ctx: ParityContext): CreateTaskInput {
  return linearTaskInput(ctx, {
    priority: 42,
    tags: [ctx.token, 'vip'],
    correlationId: randomUUID(),
    parentCorrelationId: randomUUID(),
    idempotencyKey: `idem-${ctx.token}`,
    options: { channel: 'parity', mode: 'strict' },
  });
}

/** The response and the stored row: what the transport stored must match too, not only what it answered. */
async function withStored(ctx: ParityContext, outcome: Outcome): Promise<Outcome> {
  if (!outcome.ok) return outcome;
  const response = outcome.value as { taskUuid: string };
  ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, response.taskUuid, { reason: null, performedBy: null }));
  return { ok: true, value: { response, stored: await ctx.services.tasks.get(ctx.principal, response.taskUuid) } };
}

const restTask = taskFromRest;

const LISTED = 'listed';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listQuery(ctx: ParityContext, window: { since: Date; until: Date }): TaskListQuery {
  return {
    limit: 2,
    offset: 0,
    namespace: 'parity',
    name: 'parity_linear',
    version: '1.0.0',
    states: ['pending', 'initializing', 'enqueuing_steps', 'steps_in_process', 'waiting_for_dependencies'],
    initiator: `parity-${ctx.token}`,
    sourceSystem: 'parity-suite',
    tags: [ctx.token, LISTED],
    createdAfter: window.since,
    createdBefore: window.until,
    sort: { field: 'priority', direction: 'asc' },
  };
}

/**
 * Three matching tasks (priorities 3, 1, 2) among decoys that each differ in exactly one filtered property,
 * so a transport that dropped any one filter would list a decoy. Sort and paging then pick priorities 1, 2.
 */
async function listFixture(ctx: ParityContext): Promise<{ since: Date; until: Date }> {
  const tags = [ctx.token, LISTED];
  await createTask(ctx, { tags, priority: 0 }); // before created_after
  await pause(50);
  const since = new Date();
  await pause(50);
  for (const priority of [3, 1, 2]) await createTask(ctx, { tags, priority });
  await createTask(ctx, { tags, priority: 0, initiator: 'someone-else' });
  await createTask(ctx, { tags, priority: 0, sourceSystem: 'another-system' });
  await createTask(ctx, { tags: [ctx.token], priority: 0 });
  await createTask(ctx, { tags, priority: 0, name: 'parity_worker' });
  await createTask(ctx, { tags, priority: 0, namespace: OTHER_NAMESPACE });
  await createTask(ctx, { tags, priority: 0, version: LINEAR_NEXT_VERSION });
  const gone = await createTask(ctx, { tags, priority: 0 });
  await ctx.services.tasks.cancel(ctx.principal, gone.taskUuid, {
    reason: 'excluded by the state filter',
    performedBy: null,
  });
  await pause(50);
  const until = new Date();
  await pause(50);
  await createTask(ctx, { tags, priority: 0 }); // after created_before
  return { since, until };
}

const cancellation = { reason: 'parity cancel', performedBy: 'parity-ops' };

/** The cancelled task and the audit trail of its first step, where the cancel records who performed it. */
async function withCancelAudit(ctx: ParityContext, outcome: Outcome): Promise<Outcome> {
  if (!outcome.ok) return outcome;
  const task = outcome.value as Task;
  const [first] = await ctx.services.steps.list(ctx.principal, task.taskUuid);
  if (first === undefined) throw new Error('the cancelled task has no steps');
  return {
    ok: true,
    value: { task, audit: await ctx.services.steps.audit(ctx.principal, task.taskUuid, first.stepUuid) },
  };
}

export const TASK_SCENARIOS: Scenario[] = [
  {
    name: 'create a task with every field',
    check: (value, { token }) => {
      const { response, stored } = value as { response: Record<string, unknown>; stored: Record<string, unknown> };
      expect(response).toMatchObject({
        priority: 42,
        tags: [token, 'vip'],
        sourceSystem: 'parity-suite',
        reason: 'parity check',
      });
      expect(response).toMatchObject({
        idempotencyKey: `idem-${token}`,
        options: { channel: 'parity', mode: 'strict' },
      });
      expect(stored).toMatchObject({ idempotencyKey: `idem-${token}`, options: { channel: 'parity', mode: 'strict' } });
      expect(response.parentCorrelationId).toEqual(expect.any(String));
    },
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ok',
    rest: async (ctx) =>
      withStored(
        ctx,
        restOutcome(
          await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(fullInput(ctx)) }),
          TaskResponseSchema,
          restTask,
        ),
      ),
    grpc: async (ctx) =>
      withStored(
        ctx,
        await grpcOutcome(
          ctx.grpc.tasks.createTask(createTaskInputToProto(fullInput(ctx))),
          createTaskResponseFromProto,
        ),
      ),
  },
  {
    name: 'create a task with only the required fields',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ok',
    rest: async (ctx) =>
      withStored(
        ctx,
        restOutcome(
          await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(linearTaskInput(ctx, { tags: [] })) }),
          TaskResponseSchema,
          restTask,
        ),
      ),
    grpc: async (ctx) =>
      withStored(
        ctx,
        await grpcOutcome(
          ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { tags: [] }))),
          createTaskResponseFromProto,
        ),
      ),
  },
  {
    name: 'get a task',
    restCall: 'GET /v1/tasks/{task_uuid}',
    grpcCall: 'TaskService.GetTask',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      return restOutcome(await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}`), TaskResponseSchema, restTask);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.tasks.getTask({ taskUuid: task.taskUuid }), (r) => getTaskResponseFromProto(r).task);
    },
  },
  {
    name: 'get a task with its steps',
    restCall: 'GET /v1/tasks/{task_uuid}?include_steps=true',
    grpcCall: 'TaskService.GetTask (include_steps)',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}`, { query: { include_steps: 'true' } });
      return restOutcome(res, TaskResponseSchema, taskWithStepsFromRest);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.tasks.getTask({ taskUuid: task.taskUuid, includeSteps: true }), (r) => {
        const v = getTaskResponseFromProto(r);
        return { task: v.task, steps: v.steps ?? [] };
      });
    },
  },
  {
    name: "get a task's context",
    restCall: 'GET /v1/tasks/{task_uuid}/context',
    grpcCall: 'TaskService.GetTaskContext',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      return restOutcome(
        await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}/context`),
        TaskContextResponseSchema,
        taskContextFromRest,
      );
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.tasks.getTaskContext({ taskUuid: task.taskUuid }), (r) =>
        taskContextFromProto(r.context, task.taskUuid),
      );
    },
  },
  {
    name: "get a task's summary",
    restCall: 'GET /v1/tasks/{task_uuid}/summary',
    grpcCall: 'TaskService.GetTaskSummary',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}/summary`);
      return restOutcome(res, TaskSummaryResponseSchema, taskSummaryFromRest);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.tasks.getTaskSummary({ taskUuid: task.taskUuid }), taskSummaryFromProto);
    },
  },
  {
    name: 'list tasks with every filter, sorted and paged',
    check: (value) => {
      const page = value as { total: number; items: Array<{ priority: number }> };
      expect([page.total, page.items.map((t) => t.priority)]).toEqual([3, [1, 2]]);
    },
    restCall:
      'GET /v1/tasks?namespace&name&version&state&initiator&source_system&tags&created_after&created_before&sort_by&sort_direction&page&per_page',
    grpcCall: 'TaskService.ListTasks',
    expect: 'ok',
    rest: async (ctx) => {
      const query = listQuery(ctx, await listFixture(ctx));
      const res = await ctx.rest.call('GET', '/v1/tasks', { query: taskListQueryToRest(query) });
      return restOutcome(res, TaskListResponseSchema, taskPageFromRest);
    },
    grpc: async (ctx) => {
      const query = listQuery(ctx, await listFixture(ctx));
      return grpcOutcome(ctx.grpc.tasks.listTasks(taskListQueryToProto(query)), (r) =>
        taskPageFromProto(r, query.limit),
      );
    },
  },
  {
    name: 'cancel a task with a reason and who cancels',
    check: (value) => {
      const { task, audit } = value as { task: { state: string }; audit: Array<Record<string, unknown>> };
      expect(task.state).toBe('cancelled');
      expect(audit[0]).toMatchObject({ action: 'cancel', performedBy: 'parity-ops', reason: 'parity cancel' });
    },
    restCall: 'DELETE /v1/tasks/{task_uuid} {reason, cancelled_by}',
    grpcCall: 'TaskService.CancelTask (reason, performed_by)',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const body = cancelTaskInputToRest(cancellation);
      const res = await ctx.rest.call('DELETE', `/v1/tasks/${task.taskUuid}`, { json: body });
      return withCancelAudit(ctx, restOutcome(res, TaskResponseSchema, restTask));
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      const req = cancelTaskRequestToProto({ taskUuid: task.taskUuid, input: cancellation });
      return withCancelAudit(
        ctx,
        await grpcOutcome(ctx.grpc.tasks.cancelTask(req), (r) => requiredTaskFromProto(r.task)),
      );
    },
  },
  {
    name: 'cancel a task that is already cancelled',
    restCall: 'DELETE /v1/tasks/{task_uuid}',
    grpcCall: 'TaskService.CancelTask',
    expect: 'INVALID_STATE',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      await ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: null, performedBy: null });
      return restOutcome(await ctx.rest.call('DELETE', `/v1/tasks/${task.taskUuid}`), TaskResponseSchema, restTask);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      await ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: null, performedBy: null });
      return grpcOutcome(ctx.grpc.tasks.cancelTask({ taskUuid: task.taskUuid }), (r) => requiredTaskFromProto(r.task));
    },
  },
  {
    name: 'resume a task that is not in error',
    restCall: 'POST /v1/tasks/{task_uuid}/resume',
    grpcCall: 'TaskService.ResumeTask',
    expect: 'INVALID_STATE',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const body = resumeTaskInputToRest({ performedBy: 'ops', reason: 'parity' });
      return restOutcome(
        await ctx.rest.call('POST', `/v1/tasks/${task.taskUuid}/resume`, { json: body }),
        TaskResponseSchema,
        restTask,
      );
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      const req = resumeTaskRequestToProto({
        taskUuid: task.taskUuid,
        input: { performedBy: 'ops', reason: 'parity' },
      });
      return grpcOutcome(ctx.grpc.tasks.resumeTask(req), (r) => requiredTaskFromProto(r.task));
    },
  },
  {
    name: 'resume an errored task after its failed step was resolved',
    restCall: 'POST /v1/tasks/{task_uuid}/resume',
    grpcCall: 'TaskService.ResumeTask',
    expect: 'ok',
    rest: async (ctx) => {
      const taskUuid = await erroredAndFixed(ctx);
      const body = resumeTaskInputToRest({ performedBy: 'ops', reason: 'fixed' });
      return restOutcome(
        await ctx.rest.call('POST', `/v1/tasks/${taskUuid}/resume`, { json: body }),
        TaskResponseSchema,
        restTask,
      );
    },
    grpc: async (ctx) => {
      const taskUuid = await erroredAndFixed(ctx);
      const req = resumeTaskRequestToProto({ taskUuid, input: { performedBy: 'ops', reason: 'fixed' } });
      return grpcOutcome(ctx.grpc.tasks.resumeTask(req), (r) => requiredTaskFromProto(r.task));
    },
  },
];

/** A task in `error` whose failed step an operator resolved: ready to be resumed. */
async function erroredAndFixed(ctx: ParityContext): Promise<string> {
  const { taskUuid, stepUuid } = await taskInError(ctx);
  await ctx.services.steps.applyManualAction(ctx.principal, taskUuid, stepUuid, {
    type: 'resolve_manually',
    reason: 'fixed upstream',
    performedBy: 'ops',
  });
  return taskUuid;
}

// Requests in the reference's spelling (docs/compatibility.md): each REST form against the gRPC request that
// means the same, so the two must select and store the same things.
import { TASK_STATES, type CreateTaskInput, type Task } from '@tasker/shared';
import {
  GRPC_CREATE_TASK_DEFAULTS,
  createTaskInputToProto,
  createTaskResponseFromProto,
  taskListQueryToProto,
  taskPageFromProto,
} from '@tasker/shared/convert/proto/index';
import { createTaskInputToRest, taskFromRest, taskPageFromRest } from '@tasker/shared/convert/rest/index';
import { TaskListResponseSchema, TaskResponseSchema } from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { createTask, linearTaskInput } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

/** One running and one cancelled task carrying the run's token. */
async function runningAndCancelled(ctx: ParityContext): Promise<void> {
  await createTask(ctx);
  const gone = await createTask(ctx);
  await ctx.services.tasks.cancel(ctx.principal, gone.taskUuid, { reason: 'parity', performedBy: null });
}

/** The response and the stored task. */
async function withStored(ctx: ParityContext, outcome: Outcome): Promise<Outcome> {
  if (!outcome.ok) return outcome;
  const response = outcome.value as Task;
  ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, response.taskUuid, { reason: null, performedBy: null }));
  return { ok: true, value: { response, stored: await ctx.services.tasks.get(ctx.principal, response.taskUuid) } };
}

function referenceDefaulted(ctx: ParityContext): CreateTaskInput {
  return linearTaskInput(ctx, { ...GRPC_CREATE_TASK_DEFAULTS, context: { order: `order-${ctx.token}-defaults` } });
}

export const COMPATIBILITY_SCENARIOS: Scenario[] = [
  {
    name: "list tasks by the reference's status parameter (the reference's pending: not complete)",
    check: (value) => {
      const page = value as { total: number; items: Task[] };
      expect(page.items.map((t) => t.state).sort()).toEqual(['cancelled', 'steps_in_process']);
    },
    restCall: 'GET /v1/tasks?status=pending&tags',
    grpcCall: 'TaskService.ListTasks (states: every state but complete)',
    expect: 'ok',
    rest: async (ctx) => {
      await runningAndCancelled(ctx);
      const res = await ctx.rest.call('GET', '/v1/tasks', { query: { status: 'pending', tags: ctx.token } });
      return restOutcome(res, TaskListResponseSchema, taskPageFromRest);
    },
    grpc: async (ctx) => {
      await runningAndCancelled(ctx);
      const query = {
        limit: 25,
        offset: 0,
        tags: [ctx.token],
        states: TASK_STATES.filter((s) => s !== 'complete'),
      };
      return grpcOutcome(ctx.grpc.tasks.listTasks(taskListQueryToProto(query)), (r) =>
        taskPageFromProto(r, query.limit),
      );
    },
  },
  {
    name: "create a task with the reference's requested_at (accepted and ignored)",
    restCall: 'POST /v1/tasks {requested_at}',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ok',
    rest: async (ctx) => {
      const body = { ...createTaskInputToRest(linearTaskInput(ctx)), requested_at: '2020-01-01T00:00:00' };
      return withStored(
        ctx,
        restOutcome(await ctx.rest.call('POST', '/v1/tasks', { json: body }), TaskResponseSchema, taskFromRest),
      );
    },
    grpc: async (ctx) =>
      withStored(
        ctx,
        await grpcOutcome(
          ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx))),
          createTaskResponseFromProto,
        ),
      ),
  },
  {
    name: "create a task over gRPC without initiator, source_system and reason (the reference's defaults)",
    check: (value) => {
      const { stored } = value as { stored: Task };
      expect(stored).toMatchObject({ initiator: 'grpc', sourceSystem: 'tasker-core', reason: 'Task created via gRPC' });
    },
    restCall: 'POST /v1/tasks (the three fields sent: REST requires them)',
    grpcCall: 'TaskService.CreateTask (the three fields absent)',
    expect: 'ok',
    rest: async (ctx) =>
      withStored(
        ctx,
        restOutcome(
          await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(referenceDefaulted(ctx)) }),
          TaskResponseSchema,
          taskFromRest,
        ),
      ),
    grpc: async (ctx) => {
      const req = {
        ...createTaskInputToProto(referenceDefaulted(ctx)),
        initiator: undefined,
        sourceSystem: undefined,
        reason: undefined,
      };
      return withStored(ctx, await grpcOutcome(ctx.grpc.tasks.createTask(req), createTaskResponseFromProto));
    },
  },
];

/** What stays one-sided (docs/parity.md, "Not comparable"). */
export const COMPATIBILITY_NOT_COMPARABLE: ReadonlyArray<{ what: string; why: string }> = [
  {
    what: 'CreateTask without initiator, source_system or reason',
    why: "As in the reference, REST requires all three (400 naming each) while gRPC fills the reference's defaults (`grpc`, `tasker-core`, `Task created via gRPC`); the scenario above sends the defaults explicitly on REST. Tested on each side in rest-operators-compat / grpc-operators-compat.",
  },
  {
    what: 'REST spellings of the reference (`?status=`, `requested_at`)',
    why: 'REST-only aliases for reference clients; gRPC has its own fields (`states`) or none (requested_at is the arrival time on both). Compared above against the gRPC request that means the same.',
  },
];

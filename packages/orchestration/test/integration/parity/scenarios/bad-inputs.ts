// Bad inputs: each is rejected by both transports with the same code. Unknown request *fields* are absent on
// purpose: protobuf decoders skip unknown fields by design (wire compatibility), so only REST can reject them;
// the proto analogue, an unknown or UNSPECIFIED enum value, is covered instead.
import { randomUUID } from 'node:crypto';
import {
  claimInputToProto,
  createTaskInputToProto,
  getTaskResponseFromProto,
  stepFromProto,
  taskPageFromProto,
  createTaskResponseFromProto,
  claimedStepFromProto,
  reportResultsOutputFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  claimInputToRest,
  createTaskInputToRest,
  taskFromRest,
  taskPageFromRest,
  stepFromRest,
  claimResponseFromRest,
  reportResultsOutputFromRest,
} from '@tasker/shared/convert/rest/index';
import { TaskState } from '@tasker/shared/gen/tasker/v1/common';
import { StepManualActionType } from '@tasker/shared/gen/tasker/v1/steps';
import {
  ClaimResponseSchema,
  ReportResultsResponseSchema,
  StepResponseSchema,
  TaskListResponseSchema,
  TaskResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { createTask, linearTaskInput, MISSING_UUID } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

/** The runner compares error codes only; this also pins down that the error names each of `fields`. */
export function naming(fields: string[], outcome: Outcome): Outcome {
  if (!outcome.ok)
    for (const field of fields)
      if (!outcome.message.includes(field)) throw new Error(`the error does not name ${field}: ${outcome.message}`);
  return outcome;
}

const createVia = {
  rest: async (ctx: ParityContext, body: Record<string, unknown>) =>
    restOutcome(await ctx.rest.call('POST', '/v1/tasks', { json: body }), TaskResponseSchema, taskFromRest),
};

export const BAD_INPUT_SCENARIOS: Scenario[] = [
  {
    name: 'get a task by a malformed UUID',
    restCall: 'GET /v1/tasks/{task_uuid}',
    grpcCall: 'TaskService.GetTask',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/tasks/not-a-uuid'), TaskResponseSchema, taskFromRest),
    grpc: (ctx) => grpcOutcome(ctx.grpc.tasks.getTask({ taskUuid: 'not-a-uuid' }), getTaskResponseFromProto),
  },
  {
    name: 'get a task that does not exist',
    restCall: 'GET /v1/tasks/{task_uuid}',
    grpcCall: 'TaskService.GetTask',
    expect: 'NOT_FOUND',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', `/v1/tasks/${MISSING_UUID}`), TaskResponseSchema, taskFromRest),
    grpc: (ctx) => grpcOutcome(ctx.grpc.tasks.getTask({ taskUuid: MISSING_UUID }), getTaskResponseFromProto),
  },
  {
    name: 'create a task from an unknown template',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'NOT_FOUND',
    rest: (ctx) => createVia.rest(ctx, createTaskInputToRest(linearTaskInput(ctx, { name: 'no_such_template' }))),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { name: 'no_such_template' }))),
        createTaskResponseFromProto,
      ),
  },
  {
    // An absent reason differs on purpose (REST requires it, gRPC defaults it: see "Not comparable").
    name: 'create a task with an empty reason',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) => createVia.rest(ctx, createTaskInputToRest(linearTaskInput(ctx, { reason: '' }))),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { reason: '' }))),
        createTaskResponseFromProto,
      ),
  },
  {
    name: 'create a task with an out-of-range priority and a malformed correlation id',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) =>
      createVia.rest(ctx, {
        ...createTaskInputToRest(linearTaskInput(ctx, { priority: 101 })),
        correlation_id: 'nope',
      }),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.tasks.createTask({
          ...createTaskInputToProto(linearTaskInput(ctx, { priority: 101 })),
          correlationId: 'nope',
        }),
        createTaskResponseFromProto,
      ),
  },
  {
    name: 'create a task whose context fails the input schema',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'VALIDATION_FAILED',
    rest: (ctx) => createVia.rest(ctx, createTaskInputToRest(linearTaskInput(ctx, { context: { amount: 1 } }))),
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { context: { amount: 1 } }))),
        createTaskResponseFromProto,
      ),
  },
  {
    name: 'create a duplicate of a task (same idempotency key)',
    restCall: 'POST /v1/tasks',
    grpcCall: 'TaskService.CreateTask',
    expect: 'ALREADY_EXISTS',
    rest: async (ctx) => {
      await createTask(ctx, { idempotencyKey: `dup-${ctx.token}` });
      return createVia.rest(ctx, createTaskInputToRest(linearTaskInput(ctx, { idempotencyKey: `dup-${ctx.token}` })));
    },
    grpc: async (ctx) => {
      await createTask(ctx, { idempotencyKey: `dup-${ctx.token}` });
      return grpcOutcome(
        ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx, { idempotencyKey: `dup-${ctx.token}` }))),
        createTaskResponseFromProto,
      );
    },
  },
  {
    name: 'list tasks filtering by an unknown state',
    restCall: 'GET /v1/tasks?state=exploded',
    grpcCall: 'TaskService.ListTasks (states: [TASK_STATE_UNSPECIFIED])',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/tasks', { query: { state: 'exploded' } }),
        TaskListResponseSchema,
        taskPageFromRest,
      ),
    grpc: (ctx) =>
      grpcOutcome(ctx.grpc.tasks.listTasks({ states: [TaskState.TASK_STATE_UNSPECIFIED] }), (r) =>
        taskPageFromProto(r, 50),
      ),
  },
  {
    name: 'list tasks with a page size of zero',
    restCall: 'GET /v1/tasks?per_page=0',
    grpcCall: 'TaskService.ListTasks (pagination.limit = 0)',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/tasks', { query: { per_page: '0' } }),
        TaskListResponseSchema,
        taskPageFromRest,
      ),
    grpc: (ctx) => grpcOutcome(ctx.grpc.tasks.listTasks({ pagination: { limit: 0 } }), (r) => taskPageFromProto(r, 0)),
  },
  {
    name: 'apply an unknown manual action to a step',
    restCall: 'PATCH /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.ResolveStep (STEP_MANUAL_ACTION_TYPE_UNSPECIFIED)',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const [step] = await ctx.services.steps.list(ctx.principal, task.taskUuid);
      const res = await ctx.rest.call('PATCH', `/v1/tasks/${task.taskUuid}/workflow_steps/${step!.stepUuid}`, {
        json: { action_type: 'explode', reason: 'x', performed_by: 'ops' },
      });
      return restOutcome(res, StepResponseSchema, stepFromRest);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      const [step] = await ctx.services.steps.list(ctx.principal, task.taskUuid);
      const req = {
        taskUuid: task.taskUuid,
        stepUuid: step!.stepUuid,
        actionType: StepManualActionType.STEP_MANUAL_ACTION_TYPE_UNSPECIFIED,
        performedBy: 'ops',
        reason: 'x',
      };
      return grpcOutcome(ctx.grpc.steps.resolveStep(req), (r) => stepFromProto(r.step!));
    },
  },
  {
    name: 'get a step by a malformed UUID',
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.GetStep',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', `/v1/tasks/${randomUUID()}/workflow_steps/42`),
        StepResponseSchema,
        stepFromRest,
      ),
    grpc: (ctx) =>
      grpcOutcome(ctx.grpc.steps.getStep({ taskUuid: randomUUID(), stepUuid: '42' }), (r) => stepFromProto(r.step!)),
  },
  {
    name: 'report a result with neither outcome and one with a malformed step uuid',
    restCall: 'POST /v1/workers/results',
    grpcCall: 'WorkerService.ReportResults (a StepResult without its `outcome` oneof)',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) => {
      const body = {
        worker_id: `w-${ctx.token}`,
        results: [
          { step_uuid: MISSING_UUID, lease_token: MISSING_UUID, result: 1 },
          { step_uuid: 'not-a-uuid', lease_token: MISSING_UUID, status: 'completed', result: 1 },
        ],
      };
      const res = await ctx.rest.call('POST', '/v1/workers/results', { json: body });
      return naming(
        ['results[0]', 'results[1].step_uuid'],
        restOutcome(res, ReportResultsResponseSchema, reportResultsOutputFromRest),
      );
    },
    grpc: async (ctx) => {
      const request = {
        workerId: `w-${ctx.token}`,
        results: [
          { stepUuid: MISSING_UUID, leaseToken: MISSING_UUID, outcome: undefined },
          {
            stepUuid: 'not-a-uuid',
            leaseToken: MISSING_UUID,
            outcome: { $case: 'completed' as const, value: { result: 1, metadata: undefined } },
          },
        ],
      };
      return naming(
        ['results[0]', 'results[1].step_uuid'],
        await grpcOutcome(ctx.grpc.workers.reportResults(request), reportResultsOutputFromProto),
      );
    },
  },
  {
    name: 'claim zero steps',
    restCall: 'POST /v1/workers/claim',
    grpcCall: 'WorkerService.ClaimSteps',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) => {
      const body = claimInputToRest({
        workerId: `w-${ctx.token}`,
        namespaces: [],
        handlerNames: [],
        maxSteps: 0,
        waitMs: 0,
      });
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/claim', { json: body }),
        ClaimResponseSchema,
        claimResponseFromRest,
      );
    },
    grpc: (ctx) =>
      grpcOutcome(
        ctx.grpc.workers.claimSteps(
          claimInputToProto({ workerId: `w-${ctx.token}`, namespaces: [], handlerNames: [], maxSteps: 0, waitMs: 0 }),
        ),
        (r) => r.steps.map((s) => claimedStepFromProto(s)),
      ),
  },
];

// Step scenarios: list, get, another task's step, each manual action, an invalid action, the audit trail.
import type { StepManualAction } from '@tasker/shared';
import {
  resolveStepRequestToProto,
  stepAuditFromProto,
  stepFromProto,
  stepListFromProto,
} from '@tasker/shared/convert/proto/index';
import { stepAuditFromRest, stepFromRest, stepManualActionToRest } from '@tasker/shared/convert/rest/index';
import {
  StepAuditListResponseSchema,
  StepListResponseSchema,
  StepResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { createTask, stepInError } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { ParityContext, Run, Scenario } from '../types.js';

const restStep = stepFromRest;

/** A fresh task and the uuid of its step `name`. */
async function taskStep(ctx: ParityContext, name = 'second'): Promise<{ taskUuid: string; stepUuid: string }> {
  const task = await createTask(ctx);
  const step = (await ctx.services.steps.list(ctx.principal, task.taskUuid)).find((s) => s.name === name);
  if (step === undefined) throw new Error(`no step ${name}`);
  return { taskUuid: task.taskUuid, stepUuid: step.stepUuid };
}

type Target = (ctx: ParityContext) => Promise<{ taskUuid: string; stepUuid: string }>;

function manualAction(name: string, action: StepManualAction, target: Target, expect: Scenario['expect']): Scenario {
  const rest: Run = async (ctx) => {
    const { taskUuid, stepUuid } = await target(ctx);
    const res = await ctx.rest.call('PATCH', `/v1/tasks/${taskUuid}/workflow_steps/${stepUuid}`, {
      json: stepManualActionToRest(action),
    });
    return restOutcome(res, StepResponseSchema, restStep);
  };
  const grpc: Run = async (ctx) => {
    const { taskUuid, stepUuid } = await target(ctx);
    return grpcOutcome(ctx.grpc.steps.resolveStep(resolveStepRequestToProto({ taskUuid, stepUuid, action })), (r) =>
      stepFromProto(r.step!),
    );
  };
  return {
    name,
    restCall: 'PATCH /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.ResolveStep',
    expect,
    rest,
    grpc,
  };
}

const completion: StepManualAction = {
  type: 'complete_manually',
  reason: 'computed by hand',
  performedBy: 'ops',
  result: { tax: 2.5, lines: [1, null, 'x'] },
  metadata: { ticket: 'OPS-7' },
};

export const STEP_SCENARIOS: Scenario[] = [
  {
    name: "list a task's steps",
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps',
    grpcCall: 'StepService.ListSteps',
    expect: 'ok',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}/workflow_steps`);
      return restOutcome(res, StepListResponseSchema, (b) => b.map(restStep));
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.steps.listSteps({ taskUuid: task.taskUuid }), stepListFromProto);
    },
  },
  {
    name: 'get a step',
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.GetStep',
    expect: 'ok',
    rest: async (ctx) => {
      const { taskUuid, stepUuid } = await taskStep(ctx);
      return restOutcome(
        await ctx.rest.call('GET', `/v1/tasks/${taskUuid}/workflow_steps/${stepUuid}`),
        StepResponseSchema,
        restStep,
      );
    },
    grpc: async (ctx) => {
      const { taskUuid, stepUuid } = await taskStep(ctx);
      return grpcOutcome(ctx.grpc.steps.getStep({ taskUuid, stepUuid }), (r) => stepFromProto(r.step!));
    },
  },
  {
    name: 'get a step through another task',
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.GetStep',
    expect: 'NOT_FOUND',
    rest: async (ctx) => {
      const other = await createTask(ctx);
      const { stepUuid } = await taskStep(ctx);
      return restOutcome(
        await ctx.rest.call('GET', `/v1/tasks/${other.taskUuid}/workflow_steps/${stepUuid}`),
        StepResponseSchema,
        restStep,
      );
    },
    grpc: async (ctx) => {
      const other = await createTask(ctx);
      const { stepUuid } = await taskStep(ctx);
      return grpcOutcome(ctx.grpc.steps.getStep({ taskUuid: other.taskUuid, stepUuid }), (r) => stepFromProto(r.step!));
    },
  },
  manualAction(
    'resolve a pending step manually',
    { type: 'resolve_manually', reason: 'not needed', performedBy: 'ops' },
    taskStep,
    'ok',
  ),
  manualAction('complete a pending step manually with a result and metadata', completion, taskStep, 'ok'),
  manualAction(
    'reset a failed step for retry',
    { type: 'reset_for_retry', reason: 'upstream fixed', performedBy: 'ops' },
    stepInError,
    'ok',
  ),
  manualAction(
    'reset a step that has not failed',
    { type: 'reset_for_retry', reason: 'why not', performedBy: 'ops' },
    taskStep,
    'INVALID_STATE',
  ),
  {
    name: "read a step's audit trail after a manual completion",
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}/audit',
    grpcCall: 'StepService.GetStepAudit',
    expect: 'ok',
    rest: async (ctx) => {
      const { taskUuid, stepUuid } = await taskStep(ctx);
      await ctx.services.steps.applyManualAction(ctx.principal, taskUuid, stepUuid, completion);
      const res = await ctx.rest.call('GET', `/v1/tasks/${taskUuid}/workflow_steps/${stepUuid}/audit`);
      return restOutcome(res, StepAuditListResponseSchema, (b) => b.map(stepAuditFromRest));
    },
    grpc: async (ctx) => {
      const { taskUuid, stepUuid } = await taskStep(ctx);
      await ctx.services.steps.applyManualAction(ctx.principal, taskUuid, stepUuid, completion);
      return grpcOutcome(ctx.grpc.steps.getStepAudit({ taskUuid, stepUuid }), (r) =>
        r.auditRecords.map((a, i) => stepAuditFromProto(a, `audit_records[${i}]`)),
      );
    },
  },
];

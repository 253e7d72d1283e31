// Checkpoint scenarios: a checkpoint recorded, shown in the step read and in the claim of the retry; refused for a
// stale lease, over the size limit, on a cancelled task, and for bad inputs (each naming the field).
import type { CheckpointStepInput, CheckpointStepResult, ClaimedStep, Step } from '@tasker/shared';
import {
  checkpointStepInputToProto,
  checkpointStepResultFromProto,
  claimInputToProto,
  claimedStepFromProto,
  stepFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  checkpointStepInputToRest,
  checkpointStepResultFromRest,
  claimInputToRest,
  claimResponseFromRest,
  stepFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  CheckpointStepResponseSchema,
  ClaimResponseSchema,
  StepResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { PARITY_NAMESPACE, WORK_HANDLER, claimThroughServices, claimWork } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Run, Scenario } from '../types.js';
import { naming } from './bad-inputs.js';

const CURSOR = { offset: 200, file: 'rows.csv' };
const PARTIAL = { sum: 1234.5, rows: [1, 2, 3] };

const checkpointOf = (step: ClaimedStep, workerId: string, overrides: Partial<CheckpointStepInput> = {}) => ({
  workerId,
  stepUuid: step.stepUuid,
  leaseToken: step.leaseToken,
  cursor: CURSOR,
  itemsProcessed: 200,
  accumulatedResults: PARTIAL,
  ...overrides,
});

type Via = (ctx: ParityContext, input: CheckpointStepInput, omit?: readonly string[]) => Promise<Outcome>;

const camel = (name: string) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** `body` without the `omit` fields (snake_case); a transport's way of leaving them out. */
function without<T extends object>(body: T, omit: readonly string[], key: (field: string) => string): T {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !omit.map(key).includes(k))) as T;
}

/** `omit` leaves fields out of the request: absent from the JSON body, unset (the proto3 default) on the wire. */
const viaRest: Via = async (ctx, input, omit = []) =>
  restOutcome(
    await ctx.rest.call('POST', '/v1/workers/checkpoint', {
      json: without(checkpointStepInputToRest(input), omit, (f) => f),
    }),
    CheckpointStepResponseSchema,
    checkpointStepResultFromRest,
  );

const viaGrpc: Via = (ctx, input, omit = []) =>
  grpcOutcome(
    ctx.grpc.workers.checkpointStep(without(checkpointStepInputToProto(input), omit, camel)),
    checkpointStepResultFromProto,
  );

/** The run's `work` step claimed and checkpointed through the services. */
async function checkpointedWork(ctx: ParityContext) {
  const { task, step, workerId } = await claimWork(ctx);
  await ctx.services.workers.checkpoint(ctx.principal, checkpointOf(step, workerId));
  return { task, step, workerId };
}

/** A checkpointed `work` step whose attempt failed (retryable), so its retry becomes claimable. */
async function failedAfterCheckpoint(ctx: ParityContext) {
  const { task, step, workerId } = await checkpointedWork(ctx);
  await ctx.services.workers.fail(ctx.principal, {
    workerId,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    error: {
      message: 'worker died half way',
      errorType: 'crash',
      retryable: true,
      retryAfterSeconds: null,
      statusCode: null,
      backtrace: null,
      context: null,
    },
    executionTimeMs: 10,
  });
  return { task, step, workerId };
}

/** The first attempt's lease, after the retry was claimed by another worker. */
async function staleAttempt(ctx: ParityContext) {
  const { step, workerId } = await failedAfterCheckpoint(ctx);
  const retry = await claimThroughServices(ctx, WORK_HANDLER, `${workerId}-next`);
  if (retry.stepUuid !== step.stepUuid) throw new Error('claimed another step than the retry');
  return { step, workerId };
}

/**
 * A checkpoint call after `setup`, whose refusal names each of `fields` (`path:` for a field, as validation errors
 * list them); the run also asserts the refused call wrote nothing.
 */
function refusedCheckpoint(
  setup: (ctx: ParityContext) => Promise<{ step: ClaimedStep; workerId: string }>,
  input: (step: ClaimedStep, workerId: string) => CheckpointStepInput,
  fields: string[],
  omit: readonly string[],
  via: Via,
): Run {
  return async (ctx) => {
    const { step, workerId } = await setup(ctx);
    const before = await ctx.services.steps.get(ctx.principal, step.taskUuid, step.stepUuid);
    const outcome = naming(fields, await via(ctx, input(step, workerId), omit));
    const after = await ctx.services.steps.get(ctx.principal, step.taskUuid, step.stepUuid);
    if (JSON.stringify(after.checkpoint) !== JSON.stringify(before.checkpoint))
      throw new Error('a refused checkpoint changed the stored one');
    return outcome;
  };
}

function refused(
  name: string,
  expected: Scenario['expect'],
  setup: (ctx: ParityContext) => Promise<{ step: ClaimedStep; workerId: string }>,
  input: (step: ClaimedStep, workerId: string) => CheckpointStepInput,
  fields: string[],
  omit: readonly string[] = [],
): Scenario {
  return {
    name,
    restCall: 'POST /v1/workers/checkpoint',
    grpcCall: 'WorkerService.CheckpointStep',
    expect: expected,
    rest: refusedCheckpoint(setup, input, fields, omit, viaRest),
    grpc: refusedCheckpoint(setup, input, fields, omit, viaGrpc),
  };
}

/** A cancelled task's `work` step, claimed before the cancel. */
async function cancelledWork(ctx: ParityContext) {
  const { task, step, workerId } = await claimWork(ctx);
  await ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: 'parity cancel', performedBy: 'ops' });
  return { step, workerId };
}

/** A checkpoint as the first attempt wrote it: the expected value in every read. */
function expectFirstCheckpoint(checkpoint: Step['checkpoint']): void {
  expect(checkpoint).toMatchObject({ cursor: CURSOR, itemsProcessed: 200, accumulatedResults: PARTIAL, attempt: 1 });
  expect(checkpoint?.history.map((h) => [h.cursor, h.attempt])).toEqual([[CURSOR, 1]]);
}

export const CHECKPOINT_SCENARIOS: Scenario[] = [
  {
    name: 'checkpoint a claimed step',
    restCall: 'POST /v1/workers/checkpoint',
    grpcCall: 'WorkerService.CheckpointStep',
    expect: 'ok',
    check: (value) => expectFirstCheckpoint((value as CheckpointStepResult).checkpoint),
    rest: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      return viaRest(ctx, checkpointOf(step, workerId));
    },
    grpc: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      return viaGrpc(ctx, checkpointOf(step, workerId));
    },
  },
  {
    name: "read a step's checkpoint",
    restCall: 'GET /v1/tasks/{task_uuid}/workflow_steps/{step_uuid}',
    grpcCall: 'StepService.GetStep',
    expect: 'ok',
    check: (value) => {
      expect((value as Step).state).toBe('in_progress');
      expectFirstCheckpoint((value as Step).checkpoint);
    },
    rest: async (ctx) => {
      const { task, step } = await checkpointedWork(ctx);
      const res = await ctx.rest.call('GET', `/v1/tasks/${task.taskUuid}/workflow_steps/${step.stepUuid}`);
      return restOutcome(res, StepResponseSchema, stepFromRest);
    },
    grpc: async (ctx) => {
      const { task, step } = await checkpointedWork(ctx);
      return grpcOutcome(ctx.grpc.steps.getStep({ taskUuid: task.taskUuid, stepUuid: step.stepUuid }), (r) =>
        stepFromProto(r.step!),
      );
    },
  },
  {
    name: 'claim the retry of a checkpointed step, with its checkpoint',
    restCall: 'POST /v1/workers/claim',
    grpcCall: 'WorkerService.ClaimSteps',
    expect: 'ok',
    check: (value) => {
      const claimed = value as ClaimedStep[];
      expect(claimed.map((c) => [c.stepName, c.attempt])).toEqual([['work', 2]]);
      expectFirstCheckpoint(claimed[0]!.checkpoint);
    },
    rest: async (ctx) => {
      const { workerId } = await failedAfterCheckpoint(ctx);
      const body = claimInputToRest(retryClaim(workerId));
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/claim', { json: body }),
        ClaimResponseSchema,
        claimResponseFromRest,
      );
    },
    grpc: async (ctx) => {
      const { workerId } = await failedAfterCheckpoint(ctx);
      return grpcOutcome(ctx.grpc.workers.claimSteps(claimInputToProto(retryClaim(workerId))), (r) =>
        r.steps.map((s) => claimedStepFromProto(s)),
      );
    },
  },
  refused(
    "checkpoint with an earlier attempt's lease after the retry was claimed",
    'INVALID_STATE',
    staleAttempt,
    (step, workerId) => checkpointOf(step, workerId, { cursor: { offset: 999 } }),
    ['lease lost'],
  ),
  refused(
    'checkpoint over the size limit',
    'VALIDATION_FAILED',
    claimWork,
    // 70 000 characters of partial results: past the default dynamic.checkpoint_max_bytes (65 536).
    (step, workerId) => checkpointOf(step, workerId, { accumulatedResults: { rows: 'x'.repeat(70_000) } }),
    ['accumulated_results:'],
  ),
  refused(
    'checkpoint a step of a cancelled task',
    'INVALID_STATE',
    cancelledWork,
    (step, workerId) => checkpointOf(step, workerId),
    ['cancelled'],
  ),
  refused(
    'checkpoint without a step uuid or a lease token',
    'VALIDATION_FAILED',
    claimWork,
    (step, workerId) => checkpointOf(step, workerId),
    ['step_uuid:', 'lease_token:'],
    ['step_uuid', 'lease_token'],
  ),
  refused(
    'checkpoint with a malformed step uuid and lease token',
    'VALIDATION_FAILED',
    claimWork,
    (step, workerId) => checkpointOf(step, workerId, { stepUuid: 'step-1', leaseToken: 'lease-1' }),
    ['step_uuid:', 'lease_token:'],
  ),
  refused(
    'checkpoint without a cursor',
    'VALIDATION_FAILED',
    claimWork,
    (step, workerId) => checkpointOf(step, workerId),
    ['cursor:'],
    ['cursor'],
  ),
  refused(
    'checkpoint with a null cursor',
    'VALIDATION_FAILED',
    claimWork,
    (step, workerId) => checkpointOf(step, workerId, { cursor: null }),
    ['cursor:'],
  ),
];

/** The claim of the run's retried `work` step: the long poll waits out the retry's backoff. */
function retryClaim(workerId: string) {
  return { workerId, namespaces: [PARITY_NAMESPACE], handlerNames: [WORK_HANDLER], maxSteps: 1, waitMs: 10_000 };
}

/** Checkpoint inputs only one transport can express; each transport's refusal is tested in checkpoint-inputs.test.ts. */
export const CHECKPOINT_NOT_COMPARABLE: ReadonlyArray<{ what: string; why: string }> = [
  {
    what: 'A negative or non-integer checkpoint `items_processed`',
    why: 'REST refuses it naming the field (400). On gRPC the field is a uint64: a client cannot encode it, and the raw two’s-complement varint decodes past 2^53, which the guarded decoder refuses as an undecodable request (INVALID_ARGUMENT, without a field name).',
  },
];

// Worker protocol scenarios: register, list, claim, heartbeat, complete, fail, batched results with a claim
// alongside, release, and a stale lease.
import {
  claimInputToProto,
  claimedStepFromProto,
  completeAckFromProto,
  completeStepInputToProto,
  failAckFromProto,
  failStepInputToProto,
  heartbeatInputToProto,
  leaseStatesFromProto,
  registerWorkerInputToProto,
  releaseInputToProto,
  releaseResultFromProto,
  reportResultsInputToProto,
  reportResultsOutputFromProto,
  workerFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  claimInputToRest,
  claimResponseFromRest,
  completeStepInputToRest,
  failStepInputToRest,
  heartbeatInputToRest,
  leaseStatesFromRest,
  registerWorkerInputToRest,
  releaseInputToRest,
  reportResultsInputToRest,
  reportResultsOutputFromRest,
  stepResultAckFromRest,
  workerFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  ClaimResponseSchema,
  LeaseStatesResponseSchema,
  ReportResultsResponseSchema,
  StepResultAckSchema,
  WorkerListResponseSchema,
  WorkerSchema,
} from '@tasker/shared/schemas/rest/index';
import type { ReportResultsInput, ReportResultsOutput } from '@tasker/shared';
import {
  MISSING_UUID,
  PARITY_NAMESPACE,
  WORK_HANDLER,
  WRAP_UP_HANDLER,
  claimThroughServices,
  claimWork,
  createWorkerTask,
} from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import { expect } from 'vitest';
import type { ParityContext, Scenario } from '../types.js';

/** A well-formed lease token no claim ever issued. */
const STALE_TOKEN = '0190a4f0-5a1b-7c3d-8e4f-00000000aaaa';

const registration = (ctx: ParityContext) => ({
  workerId: `worker-${ctx.token}`,
  hostname: 'parity-host',
  version: '2.0.0',
  namespaces: [PARITY_NAMESPACE],
  handlers: [WORK_HANDLER, WRAP_UP_HANDLER],
  metadata: { pid: 4242, zone: 'eu' },
});

const claimInput = (ctx: ParityContext) => ({
  workerId: `worker-${ctx.token}`,
  namespaces: [PARITY_NAMESPACE],
  handlerNames: [WORK_HANDLER],
  maxSteps: 1,
  waitMs: 5_000,
});

/** Only this run's workers: the registry also holds the other transport's. */
const ownWorkers = (ctx: ParityContext) => (workers: Array<{ workerId: string }>) =>
  workers.filter((w) => w.workerId.includes(ctx.token));

const retryableFailure = {
  message: 'upstream timeout',
  errorType: 'timeout',
  retryable: true,
  retryAfterSeconds: 2,
  statusCode: 504,
  backtrace: 'at work()',
  context: { attempt: 1 },
};

/** The run's claimed `work` lease, and a lease on its task's other step that no claim issued. */
async function heldAndStaleLeases(ctx: ParityContext) {
  const { task, step, workerId } = await claimWork(ctx);
  const other = (await ctx.services.steps.list(ctx.principal, task.taskUuid)).find((s) => s.stepUuid !== step.stepUuid);
  if (other === undefined) throw new Error('the worker task has a single step');
  return {
    workerId,
    leases: [
      { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
      { stepUuid: other.stepUuid, leaseToken: STALE_TOKEN },
    ],
  };
}

/**
 * Three claimed `work` steps (each of its own task) reported in one batch: the first completed, the second
 * failed (retryable), the third with a stale token; plus a step that does not exist, and a claim alongside for
 * the `wrap_up` step the completion makes ready.
 */
async function resultBatch(ctx: ParityContext): Promise<ReportResultsInput> {
  const { step: done, workerId } = await claimWork(ctx);
  await createWorkerTask(ctx);
  const failing = await claimThroughServices(ctx, WORK_HANDLER, workerId);
  await createWorkerTask(ctx);
  const stale = await claimThroughServices(ctx, WORK_HANDLER, workerId);
  return {
    workerId,
    results: [
      {
        kind: 'completed',
        stepUuid: done.stepUuid,
        leaseToken: done.leaseToken,
        result: { rows: [1, 2] },
        executionTimeMs: 12,
        metadata: { host: 'h' },
      },
      {
        kind: 'failed',
        stepUuid: failing.stepUuid,
        leaseToken: failing.leaseToken,
        error: retryableFailure,
        executionTimeMs: 30,
      },
      {
        kind: 'completed',
        stepUuid: stale.stepUuid,
        leaseToken: STALE_TOKEN,
        result: null,
        executionTimeMs: null,
        metadata: null,
      },
      {
        kind: 'completed',
        stepUuid: MISSING_UUID,
        leaseToken: STALE_TOKEN,
        result: 1,
        executionTimeMs: null,
        metadata: null,
      },
    ],
    claim: { maxSteps: 2, namespaces: [PARITY_NAMESPACE], handlerNames: [WRAP_UP_HANDLER] },
  };
}

export const WORKER_SCENARIOS: Scenario[] = [
  {
    name: 'register a worker',
    restCall: 'POST /v1/workers/register',
    grpcCall: 'WorkerService.RegisterWorker',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('POST', '/v1/workers/register', { json: registerWorkerInputToRest(registration(ctx)) }),
        WorkerSchema,
        workerFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.workers.registerWorker(registerWorkerInputToProto(registration(ctx))), (r) =>
        workerFromProto(r.worker),
      ),
  },
  {
    name: 'list workers',
    restCall: 'GET /v1/workers',
    grpcCall: 'WorkerService.ListWorkers',
    expect: 'ok',
    rest: async (ctx) => {
      await ctx.services.workers.register(ctx.principal, registration(ctx));
      const res = await ctx.rest.call('GET', '/v1/workers');
      return restOutcome(res, WorkerListResponseSchema, (b) => ownWorkers(ctx)(b.map(workerFromRest)));
    },
    grpc: async (ctx) => {
      await ctx.services.workers.register(ctx.principal, registration(ctx));
      return grpcOutcome(ctx.grpc.workers.listWorkers({}), (r) =>
        ownWorkers(ctx)(r.workers.map((w) => workerFromProto(w))),
      );
    },
  },
  {
    name: 'claim a ready step',
    restCall: 'POST /v1/workers/claim',
    grpcCall: 'WorkerService.ClaimSteps',
    expect: 'ok',
    rest: async (ctx) => {
      await ctx.services.workers.register(ctx.principal, registration(ctx));
      await createWorkerTask(ctx);
      const res = await ctx.rest.call('POST', '/v1/workers/claim', { json: claimInputToRest(claimInput(ctx)) });
      return restOutcome(res, ClaimResponseSchema, claimResponseFromRest);
    },
    grpc: async (ctx) => {
      await ctx.services.workers.register(ctx.principal, registration(ctx));
      await createWorkerTask(ctx);
      return grpcOutcome(ctx.grpc.workers.claimSteps(claimInputToProto(claimInput(ctx))), (r) =>
        r.steps.map((s) => claimedStepFromProto(s)),
      );
    },
  },
  {
    name: 'heartbeat a held lease and an unknown one',
    restCall: 'POST /v1/workers/heartbeat',
    grpcCall: 'WorkerService.Heartbeat',
    expect: 'ok',
    rest: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        leases: [
          { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
          { stepUuid: step.stepUuid, leaseToken: STALE_TOKEN },
        ],
      };
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/heartbeat', { json: heartbeatInputToRest(input) }),
        LeaseStatesResponseSchema,
        leaseStatesFromRest,
      );
    },
    grpc: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        leases: [
          { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
          { stepUuid: step.stepUuid, leaseToken: STALE_TOKEN },
        ],
      };
      return grpcOutcome(ctx.grpc.workers.heartbeat(heartbeatInputToProto(input)), leaseStatesFromProto);
    },
  },
  {
    name: 'complete a claimed step',
    restCall: 'POST /v1/workers/complete',
    grpcCall: 'WorkerService.CompleteStep',
    expect: 'ok',
    rest: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: { rows: [1, 2] },
        executionTimeMs: 12,
        metadata: { host: 'h' },
      };
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/complete', { json: completeStepInputToRest(input) }),
        StepResultAckSchema,
        stepResultAckFromRest,
      );
    },
    grpc: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: { rows: [1, 2] },
        executionTimeMs: 12,
        metadata: { host: 'h' },
      };
      return grpcOutcome(ctx.grpc.workers.completeStep(completeStepInputToProto(input)), completeAckFromProto);
    },
  },
  {
    name: 'complete with a stale lease token',
    restCall: 'POST /v1/workers/complete',
    grpcCall: 'WorkerService.CompleteStep',
    expect: 'INVALID_STATE',
    rest: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: STALE_TOKEN,
        result: null,
        executionTimeMs: null,
        metadata: null,
      };
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/complete', { json: completeStepInputToRest(input) }),
        StepResultAckSchema,
        stepResultAckFromRest,
      );
    },
    grpc: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: STALE_TOKEN,
        result: null,
        executionTimeMs: null,
        metadata: null,
      };
      return grpcOutcome(ctx.grpc.workers.completeStep(completeStepInputToProto(input)), completeAckFromProto);
    },
  },
  {
    name: 'fail a claimed step with a retryable error',
    restCall: 'POST /v1/workers/fail',
    grpcCall: 'WorkerService.FailStep',
    expect: 'ok',
    rest: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        error: retryableFailure,
        executionTimeMs: 30,
      };
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/fail', { json: failStepInputToRest(input) }),
        StepResultAckSchema,
        stepResultAckFromRest,
      );
    },
    grpc: async (ctx) => {
      const { step, workerId } = await claimWork(ctx);
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        error: retryableFailure,
        executionTimeMs: 30,
      };
      return grpcOutcome(ctx.grpc.workers.failStep(failStepInputToProto(input)), failAckFromProto);
    },
  },
  {
    name: 'report a batch of results (completion, retryable failure, stale token, unknown step) with a claim alongside',
    check: (value) => {
      const out = value as ReportResultsOutput;
      expect(out.outcomes.map((o) => [o.outcome, o.stepState, o.nextRetryAt === null])).toEqual([
        ['ok', 'complete', true],
        ['ok', 'waiting_for_retry', false],
        ['lease_lost', 'in_progress', true],
        ['not_found', null, true],
      ]);
      expect(out.claimed.map((c) => [c.stepName, c.parentResults])).toEqual([['wrap_up', { work: { rows: [1, 2] } }]]);
    },
    restCall: 'POST /v1/workers/results',
    grpcCall: 'WorkerService.ReportResults',
    expect: 'ok',
    rest: async (ctx) => {
      const body = reportResultsInputToRest(await resultBatch(ctx));
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/results', { json: body }),
        ReportResultsResponseSchema,
        reportResultsOutputFromRest,
      );
    },
    grpc: async (ctx) => {
      const request = reportResultsInputToProto(await resultBatch(ctx));
      return grpcOutcome(ctx.grpc.workers.reportResults(request), reportResultsOutputFromProto);
    },
  },
  {
    name: 'release a held lease and a stale one',
    check: (value) => {
      expect(
        (value as Array<{ status: string; leaseExpiresAt: unknown }>).map((l) => [l.status, l.leaseExpiresAt]),
      ).toEqual([
        ['valid', null],
        ['lost', null],
      ]);
    },
    restCall: 'POST /v1/workers/release',
    grpcCall: 'WorkerService.ReleaseLeases',
    expect: 'ok',
    rest: async (ctx) => {
      const input = await heldAndStaleLeases(ctx);
      const res = await ctx.rest.call('POST', '/v1/workers/release', { json: releaseInputToRest(input) });
      return restOutcome(res, LeaseStatesResponseSchema, leaseStatesFromRest);
    },
    grpc: async (ctx) => {
      const input = await heldAndStaleLeases(ctx);
      return grpcOutcome(ctx.grpc.workers.releaseLeases(releaseInputToProto(input)), releaseResultFromProto);
    },
  },
];

// result_schema scenarios: a completion that fails its step's result_schema is applied as a permanent
// `result_schema_violation` failure (single and batched), and a schema that does not compile is refused at
// registration with its path.
import { parse as parseYaml } from 'yaml';
import type { JsonObject, ReportResultsInput, ReportResultsOutput, Step, StepResultAck } from '@tasker/shared';
import {
  completeAckFromProto,
  completeStepInputToProto,
  registerTemplatesRequestToProto,
  reportResultsInputToProto,
  reportResultsOutputFromProto,
  stepFromProto,
  templateRegistrationsFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  completeStepInputToRest,
  reportResultsInputToRest,
  reportResultsOutputFromRest,
  stepFromRest,
  stepResultAckFromRest,
  templateRegistrationsFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  RegisterTemplatesResponseSchema,
  ReportResultsResponseSchema,
  StepResponseSchema,
  StepResultAckSchema,
} from '@tasker/shared/schemas/rest/index';
import { expect } from 'vitest';
import { PARITY_NAMESPACE, createTask } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

const PRODUCE_HANDLER = 'ParitySchema.Produce';

/** `produce` must return `{total: integer}`; retries are allowed, but a violation must not use them. */
const SCHEMA_TEMPLATE = `
name: parity_result_schema
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
steps:
  - name: produce
    handler: {callable: ${PRODUCE_HANDLER}}
    dependencies: []
    retry: {retryable: true, max_attempts: 3}
    result_schema: {type: object, required: [total], properties: {total: {type: integer}}}
  - {name: after, handler: {callable: ParitySchema.After}, dependencies: [produce]}
`;

const BROKEN_SCHEMA_TEMPLATE = () => {
  const definition = parseYaml(SCHEMA_TEMPLATE) as { name: string; steps: Array<Record<string, unknown>> };
  definition.name = 'parity_broken_result_schema';
  definition.steps[0]!['result_schema'] = { type: 'object', required: 'total' };
  return definition as unknown as JsonObject;
};

/** Registers the template (unchanged after the first run) and claims `produce` steps of `n` fresh tasks. */
async function claimProduce(ctx: ParityContext, n: number) {
  await ctx.services.templates.register(ctx.principal, [SCHEMA_TEMPLATE], { force: false });
  const workerId = `schema-worker-${ctx.token}`;
  for (let i = 0; i < n; i += 1) await createTask(ctx, { name: 'parity_result_schema' });
  const claimed = await ctx.services.workers.claim(ctx.principal, {
    workerId,
    namespaces: [PARITY_NAMESPACE],
    handlerNames: [PRODUCE_HANDLER],
    maxSteps: n,
    waitMs: 5_000,
  });
  if (claimed.length !== n) throw new Error(`claimed ${claimed.length} produce steps, wanted ${n}`);
  return { workerId, claimed };
}

/** The ack of a call and the step as the same transport then reads it. */
async function withStep(ack: Outcome, read: (ack: StepResultAck) => Promise<Outcome>): Promise<Outcome> {
  if (!ack.ok) return ack;
  const step = await read(ack.value as StepResultAck);
  return step.ok ? { ok: true, value: { ack: ack.value, step: step.value } } : step;
}

const BAD_RESULT = { total: 'three', note: 'the handler got the shape wrong' };

export const RESULT_SCHEMA_SCENARIOS: Scenario[] = [
  {
    name: 'complete a step with a result that fails its result_schema',
    check: (value) => {
      const { ack, step } = value as { ack: StepResultAck; step: Step };
      expect([ack.stepState, ack.taskState, ack.nextRetryAt]).toEqual(['error', 'error', null]);
      expect(step).toMatchObject({
        state: 'error',
        attempts: 1,
        results: null,
        lastError: { errorType: 'result_schema_violation', retryable: false },
      });
      expect(step.lastError?.message).toBe("result does not match the step's result_schema: /total must be integer");
    },
    restCall: 'POST /v1/workers/complete',
    grpcCall: 'WorkerService.CompleteStep',
    expect: 'ok',
    rest: async (ctx) => {
      const { workerId, claimed } = await claimProduce(ctx, 1);
      const step = claimed[0]!;
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: BAD_RESULT,
        executionTimeMs: 7,
        metadata: null,
      };
      const ack = restOutcome(
        await ctx.rest.call('POST', '/v1/workers/complete', { json: completeStepInputToRest(input) }),
        StepResultAckSchema,
        stepResultAckFromRest,
      );
      return withStep(ack, async () =>
        restOutcome(
          await ctx.rest.call('GET', `/v1/tasks/${step.taskUuid}/workflow_steps/${step.stepUuid}`),
          StepResponseSchema,
          stepFromRest,
        ),
      );
    },
    grpc: async (ctx) => {
      const { workerId, claimed } = await claimProduce(ctx, 1);
      const step = claimed[0]!;
      const input = {
        workerId,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: BAD_RESULT,
        executionTimeMs: 7,
        metadata: null,
      };
      const ack = await grpcOutcome(
        ctx.grpc.workers.completeStep(completeStepInputToProto(input)),
        completeAckFromProto,
      );
      return withStep(ack, () =>
        grpcOutcome(ctx.grpc.steps.getStep({ taskUuid: step.taskUuid, stepUuid: step.stepUuid }), (r) =>
          stepFromProto(r.step!),
        ),
      );
    },
  },
  {
    name: 'report a batch in which one completion fails its result_schema',
    check: (value) => {
      const out = value as ReportResultsOutput;
      expect(out.outcomes.map((o) => [o.outcome, o.stepState, o.taskState])).toEqual([
        ['ok', 'complete', 'steps_in_process'],
        ['ok', 'error', 'error'],
      ]);
    },
    restCall: 'POST /v1/workers/results',
    grpcCall: 'WorkerService.ReportResults',
    expect: 'ok',
    rest: async (ctx) => {
      const body = reportResultsInputToRest(await schemaBatch(ctx));
      return restOutcome(
        await ctx.rest.call('POST', '/v1/workers/results', { json: body }),
        ReportResultsResponseSchema,
        reportResultsOutputFromRest,
      );
    },
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.workers.reportResults(reportResultsInputToProto(await schemaBatch(ctx))),
        reportResultsOutputFromProto,
      ),
  },
  {
    name: 'register a template whose result_schema does not compile',
    restCall: 'POST /v1/templates',
    grpcCall: 'WorkerService.RegisterTemplates',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) =>
      namesThePath(
        restOutcome(
          await ctx.rest.call('POST', '/v1/templates', {
            json: { templates: [BROKEN_SCHEMA_TEMPLATE()], force: false },
          }),
          RegisterTemplatesResponseSchema,
          templateRegistrationsFromRest,
        ),
      ),
    grpc: async (ctx) =>
      namesThePath(
        await grpcOutcome(
          ctx.grpc.workers.registerTemplates(
            registerTemplatesRequestToProto({ raws: [BROKEN_SCHEMA_TEMPLATE()], force: false }),
          ),
          templateRegistrationsFromProto,
        ),
      ),
  },
];

/** Two claimed `produce` steps: the first completes with a good result, the second with a bad one. */
async function schemaBatch(ctx: ParityContext): Promise<ReportResultsInput> {
  const { workerId, claimed } = await claimProduce(ctx, 2);
  const [good, bad] = claimed as [(typeof claimed)[0], (typeof claimed)[0]];
  return {
    workerId,
    results: [
      {
        kind: 'completed',
        stepUuid: good.stepUuid,
        leaseToken: good.leaseToken,
        result: { total: 3 },
        executionTimeMs: 5,
        metadata: null,
      },
      {
        kind: 'completed',
        stepUuid: bad.stepUuid,
        leaseToken: bad.leaseToken,
        result: BAD_RESULT,
        executionTimeMs: 5,
        metadata: null,
      },
    ],
    claim: null,
  };
}

/** The refusal must name the offending key, whichever transport carried it. */
function namesThePath(outcome: Outcome): Outcome {
  if (!outcome.ok) expect(outcome.message).toContain('steps[0].result_schema: is not a valid JSON Schema');
  return outcome;
}

// Admission control on task creation: the namespace's backpressure state a created task reports, and the
// refusal of a namespace at its limit (the parity runtime gives FULL_NAMESPACE a limit of 1).
import type { BackpressureStatus, CreateTaskInput } from '@tasker/shared';
import { createdTaskFromProto, createTaskInputToProto } from '@tasker/shared/convert/proto/index';
import { createdTaskFromRest, createTaskInputToRest } from '@tasker/shared/convert/rest/index';
import { CreateTaskResponseSchema } from '@tasker/shared/schemas/rest/index';
import { errorCodeFromHttpStatus } from '@tasker/shared/errors';
import { expect } from 'vitest';
import { GrpcCallError } from '../../../../src/grpc/testing/clients.js';
import { linearTaskInput } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

/** A namespace whose limit is 1 (parity.test.ts): one waiting step fills it. */
export const FULL_NAMESPACE = 'parity_full';
export const PARITY_BACKPRESSURE = { namespaces: { [FULL_NAMESPACE]: 1 } };

const FULL_TEMPLATE = `
name: parity_one_step
namespace_name: ${FULL_NAMESPACE}
version: 1.0.0
identity_strategy: always_unique
steps:
  - {name: only, handler: {callable: Parity.Only}}
`;

function fullInput(ctx: ParityContext): CreateTaskInput {
  return {
    namespace: FULL_NAMESPACE,
    name: 'parity_one_step',
    version: '1.0.0',
    context: {},
    initiator: ctx.token,
    sourceSystem: 'parity-suite',
    reason: 'fill',
  };
}

const countedDepth = async (ctx: ParityContext): Promise<number | undefined> =>
  (await ctx.services.health.ready()).info?.queueDepth?.namespaces[FULL_NAMESPACE]?.depth;

async function untilCounted(ctx: ParityContext, depth: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await countedDepth(ctx)) !== depth) {
    if (Date.now() > deadline) throw new Error(`${FULL_NAMESPACE} was never counted at ${depth}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Exactly one task waiting in FULL_NAMESPACE (cancelled after the run), counted by a pulse. */
async function fillNamespace(ctx: ParityContext): Promise<void> {
  await ctx.services.templates.register(ctx.principal, [FULL_TEMPLATE], { force: false });
  await untilCounted(ctx, 0); // the other transport's run has cancelled its task
  const task = await ctx.services.tasks.create(ctx.principal, fullInput(ctx));
  ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: null, performedBy: null }));
  await untilCounted(ctx, 1);
}

/** The depth grows with every run's task: compared as "a count", pinned down by `check`. */
function withoutDepth(value: unknown): unknown {
  const status = value as BackpressureStatus;
  return { ...status, queueDepth: typeof status.queueDepth === 'number' ? '<depth>' : status.queueDepth };
}

/** The refusal as a value, so its Retry-After and details are compared too, not only its code. */
type Refusal = { code: string; retryAfterSeconds: number | null; details: unknown };

export const ADMISSION_SCENARIOS: Scenario[] = [
  {
    name: 'create reports the admission state of the task namespace',
    check: (value) => {
      const status = value as BackpressureStatus;
      expect(status).toMatchObject({ active: false, reason: null, retryAfterSeconds: null, maxQueueDepth: 1000 });
      expect(Number.isInteger(status.queueDepth) && (status.queueDepth as number) >= 0).toBe(true);
    },
    normalise: withoutDepth,
    restCall: 'POST /v1/tasks (201 body: backpressure)',
    grpcCall: 'TaskService.CreateTask (backpressure)',
    expect: 'ok',
    rest: async (ctx): Promise<Outcome> => {
      const outcome = restOutcome(
        await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(linearTaskInput(ctx)) }),
        CreateTaskResponseSchema,
        createdTaskFromRest,
      );
      if (!outcome.ok) return outcome;
      const { task, backpressure } = outcome.value as ReturnType<typeof createdTaskFromRest>;
      ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: null, performedBy: null }));
      return { ok: true, value: backpressure };
    },
    grpc: async (ctx): Promise<Outcome> => {
      const outcome = await grpcOutcome(
        ctx.grpc.tasks.createTask(createTaskInputToProto(linearTaskInput(ctx))),
        createdTaskFromProto,
      );
      if (!outcome.ok) return outcome;
      const { task, backpressure } = outcome.value as ReturnType<typeof createdTaskFromProto>;
      ctx.cleanup(() => ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: null, performedBy: null }));
      return { ok: true, value: backpressure };
    },
  },
  {
    name: 'create in a namespace at its limit: BACKPRESSURE with Retry-After and the namespace figures',
    check: (value) => {
      expect(value).toEqual({
        code: 'BACKPRESSURE',
        retryAfterSeconds: 5,
        details: { namespace: FULL_NAMESPACE, reason: 'queue_depth', queue_depth: 1, max_queue_depth: 1 },
      });
    },
    restCall: 'POST /v1/tasks (503, Retry-After)',
    grpcCall: 'TaskService.CreateTask (UNAVAILABLE, retry-after)',
    expect: 'ok',
    rest: async (ctx): Promise<Outcome> => {
      await fillNamespace(ctx);
      const res = await ctx.rest.call('POST', '/v1/tasks', { json: createTaskInputToRest(fullInput(ctx)) });
      const error = (res.body as { error?: { code?: string; details?: unknown } }).error;
      const retryAfter = res.headers.get('retry-after');
      const refusal: Refusal = {
        code: errorCodeFromHttpStatus(res.status, error?.code),
        retryAfterSeconds: retryAfter === null ? null : Number(retryAfter),
        details: error?.details ?? null,
      };
      return { ok: true, value: refusal };
    },
    grpc: async (ctx): Promise<Outcome> => {
      await fillNamespace(ctx);
      try {
        await ctx.grpc.tasks.createTask(createTaskInputToProto(fullInput(ctx)));
        return { ok: true, value: { code: 'created', retryAfterSeconds: null, details: null } };
      } catch (err) {
        if (!(err instanceof GrpcCallError)) throw err;
        const refusal: Refusal = { code: err.code, retryAfterSeconds: err.retryAfterSeconds, details: err.details };
        return { ok: true, value: refusal };
      }
    },
  },
];

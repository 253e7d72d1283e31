// Templates and setup helpers of the parity suite. Setup goes through the services (transport-neutral), so a
// scenario's two runs differ only in the call under test. Every task a run creates is cancelled afterwards,
// so no claimable step outlives the run that created it.
import type { ClaimedStep, CreateTaskInput, JsonValue, Task } from '@tasker/shared';
import type { Services } from '../../../src/services/types.js';
import { pipelineTemplate } from '../helpers/runtime.js';
import type { ParityContext } from './types.js';

export const PARITY_NAMESPACE = 'parity';

/** A 3-step chain for the read, list, step and event scenarios. */
export const LINEAR_TEMPLATE = `
name: parity_linear
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
description: Parity suite linear chain
input_schema: {type: object, required: [order]}
steps:
  - {name: first, handler: {callable: Parity.First}, dependencies: []}
  - {name: second, handler: {callable: Parity.Second, initialization: {mode: fast}}, dependencies: [first]}
  - {name: third, handler: {callable: Parity.Third}, dependencies: [second], retry: {retryable: false, max_attempts: 1}}
`;

/** Worker-protocol scenarios claim by these handler names only, so they never pick another scenario's step. */
export const WORKER_TEMPLATE = `
name: parity_worker
namespace_name: ${PARITY_NAMESPACE}
version: 1.0.0
description: Parity suite worker protocol
steps:
  - {name: work, handler: {callable: ParityWorker.Work, initialization: {size: 3}}, dependencies: [], retry: {retryable: true, max_attempts: 3}}
  - {name: wrap_up, handler: {callable: ParityWorker.WrapUp}, dependencies: [work]}
`;

/** A decision that picks a batch pipeline: its steps appear as the task runs (dynamic scenarios). */
export const DYNAMIC_TEMPLATE = pipelineTemplate(PARITY_NAMESPACE);

/** What each step of a dynamic task answers: route picks the batch pipeline, split makes 3 batches of 25 rows. */
const DYNAMIC_RESULTS: Record<string, JsonValue> = {
  'Pipeline.Start': { rows: 25 },
  'Pipeline.Route': { decision_point_outcome: { type: 'create_steps', step_names: ['split'] } },
  'Pipeline.Split': { batch_processing_outcome: { type: 'create_batches', total_items: 25 } },
  'Pipeline.Chunk': { processed: true },
  'Pipeline.Merge': { merged: true },
};

export const WORK_HANDLER = 'ParityWorker.Work';
export const WRAP_UP_HANDLER = 'ParityWorker.WrapUp';

/** The linear chain in a second namespace: list filters must tell the two apart. */
export const OTHER_NAMESPACE = 'parity_alt';
/** A second version of the linear chain: the list's version filter must tell the two apart. */
export const LINEAR_NEXT_VERSION = '1.1.0';

export async function registerParityTemplates(
  services: Services,
  principal: ParityContext['principal'],
): Promise<void> {
  const elsewhere = LINEAR_TEMPLATE.replace(
    `namespace_name: ${PARITY_NAMESPACE}`,
    `namespace_name: ${OTHER_NAMESPACE}`,
  );
  const next = LINEAR_TEMPLATE.replace('version: 1.0.0', `version: ${LINEAR_NEXT_VERSION}`);
  await services.templates.register(principal, [LINEAR_TEMPLATE, WORKER_TEMPLATE, DYNAMIC_TEMPLATE, elsewhere, next], {
    force: true,
  });
}

export function linearTaskInput(ctx: ParityContext, overrides: Partial<CreateTaskInput> = {}): CreateTaskInput {
  return {
    namespace: PARITY_NAMESPACE,
    name: 'parity_linear',
    version: '1.0.0',
    context: { order: `order-${ctx.token}`, amount: 12.5, lines: [{ sku: 'A', qty: 2 }] },
    initiator: `parity-${ctx.token}`,
    sourceSystem: 'parity-suite',
    reason: 'parity check',
    tags: [ctx.token],
    ...overrides,
  };
}

const created = new WeakMap<ParityContext, number>();

/**
 * Creates a task through the services and cancels it after the run. Identity is the template's (`strict`):
 * each task of a run gets its own context, numbered in creation order (the same order on both transports).
 */
export async function createTask(ctx: ParityContext, overrides: Partial<CreateTaskInput> = {}): Promise<Task> {
  const n = (created.get(ctx) ?? 0) + 1;
  created.set(ctx, n);
  const input = linearTaskInput(ctx, {
    context: { order: `order-${ctx.token}-${n}`, amount: 12.5, lines: [{ sku: 'A', qty: 2 }] },
    ...overrides,
  });
  const task = await ctx.services.tasks.create(ctx.principal, input);
  ctx.cleanup(() =>
    ctx.services.tasks.cancel(ctx.principal, task.taskUuid, { reason: 'parity cleanup', performedBy: null }),
  );
  return task;
}

export function createWorkerTask(ctx: ParityContext): Promise<Task> {
  return createTask(ctx, { name: 'parity_worker' });
}

/** Claims the ready step of `handler` through the services (waiting for the engine to enqueue it). */
export async function claimThroughServices(
  ctx: ParityContext,
  handler: string,
  workerId = `worker-${ctx.token}`,
): Promise<ClaimedStep> {
  const [step] = await ctx.services.workers.claim(ctx.principal, {
    workerId,
    namespaces: [PARITY_NAMESPACE],
    handlerNames: [handler],
    maxSteps: 1,
    waitMs: 5_000,
  });
  if (step === undefined) throw new Error(`no ${handler} step became claimable`);
  return step;
}

/** Registers the run's worker, then claims its `work` step. */
export async function claimWork(ctx: ParityContext): Promise<{ task: Task; step: ClaimedStep; workerId: string }> {
  const workerId = `worker-${ctx.token}`;
  await ctx.services.workers.register(ctx.principal, {
    workerId,
    hostname: 'parity-host',
    version: '1.0.0',
    namespaces: [PARITY_NAMESPACE],
    handlers: [WORK_HANDLER, WRAP_UP_HANDLER],
    metadata: {},
  });
  const task = await createWorkerTask(ctx);
  const step = await claimThroughServices(ctx, WORK_HANDLER, workerId);
  if (step.taskUuid !== task.taskUuid)
    throw new Error('claimed a step of another task: a previous run left one behind');
  return { task, step, workerId };
}

/** Drives a worker task to `complete` through the services. */
export async function completeWorkerTask(ctx: ParityContext): Promise<Task> {
  const { task, step, workerId } = await claimWork(ctx);
  await ctx.services.workers.complete(ctx.principal, {
    workerId,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    result: { done: 1 },
    executionTimeMs: 5,
    metadata: null,
  });
  const next = await claimThroughServices(ctx, WRAP_UP_HANDLER, workerId);
  await ctx.services.workers.complete(ctx.principal, {
    workerId,
    stepUuid: next.stepUuid,
    leaseToken: next.leaseToken,
    result: { done: 2 },
    executionTimeMs: 5,
    metadata: null,
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const current = await ctx.services.tasks.get(ctx.principal, task.taskUuid);
    if (current.state === 'complete') return current;
    if (Date.now() > deadline) throw new Error(`task stuck in ${current.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the task reaches `state` (10 s at most). */
async function taskReaching(ctx: ParityContext, taskUuid: string, state: Task['state']): Promise<Task> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const current = await ctx.services.tasks.get(ctx.principal, taskUuid);
    if (current.state === state) return current;
    if (Date.now() > deadline) throw new Error(`task stuck in ${current.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Drives a dynamic task to `complete` through the services, one step at a time in a fixed order (route, then
 * split, then each chunk), so both transports' runs record the same history.
 */
export async function completeDynamicTask(ctx: ParityContext): Promise<Task> {
  const task = await createTask(ctx, { name: 'pick_pipeline', context: { order: `dyn-${ctx.token}` } });
  const workerId = `worker-${ctx.token}`;
  const order = ['Pipeline.Start', 'Pipeline.Route', 'Pipeline.Split'];
  order.push('Pipeline.Chunk', 'Pipeline.Chunk', 'Pipeline.Chunk', 'Pipeline.Merge');
  for (const handler of order) {
    const step = await claimThroughServices(ctx, handler, workerId);
    if (step.taskUuid !== task.taskUuid) throw new Error(`claimed a ${handler} step of another task`);
    await ctx.services.workers.complete(ctx.principal, {
      workerId,
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      result: DYNAMIC_RESULTS[handler] as JsonValue,
      executionTimeMs: 5,
      metadata: null,
    });
  }
  return taskReaching(ctx, task.taskUuid, 'complete');
}

/** A step of `task` moved to `error` by a non-retryable failure reported through the services. */
export async function stepInError(ctx: ParityContext): Promise<{ taskUuid: string; stepUuid: string }> {
  const { task, step, workerId } = await claimWork(ctx);
  await ctx.services.workers.fail(ctx.principal, {
    workerId,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    error: {
      message: 'permanent',
      errorType: 'parity',
      retryable: false,
      retryAfterSeconds: null,
      statusCode: 422,
      backtrace: null,
      context: null,
    },
    executionTimeMs: 3,
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const current = await ctx.services.steps.get(ctx.principal, task.taskUuid, step.stepUuid);
    if (current.state === 'error') return { taskUuid: task.taskUuid, stepUuid: step.stepUuid };
    if (Date.now() > deadline) throw new Error(`step stuck in ${current.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker task in `error` (its `work` step failed for good), with its pending DLQ entry. */
export async function taskInError(ctx: ParityContext): Promise<{ taskUuid: string; stepUuid: string }> {
  const failed = await stepInError(ctx);
  const deadline = Date.now() + 10_000;
  while ((await ctx.services.tasks.get(ctx.principal, failed.taskUuid)).state !== 'error') {
    if (Date.now() > deadline) throw new Error('task never reached error');
    await new Promise((r) => setTimeout(r, 50));
  }
  return failed;
}

/** A syntactically valid UUID no row has. */
export const MISSING_UUID = '0190a4f0-5a1b-7c3d-8e4f-00000000dead';

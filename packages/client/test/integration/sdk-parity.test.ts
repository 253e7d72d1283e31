// The same reads through both transports give the same domain objects: compared as their REST JSON, field by
// field, with nothing normalised.
import * as rest from '@tasker/shared/convert/rest/index';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, type TaskerClient } from '../../src/index.js';
import { differingPaths } from './helpers/json-diff.js';
import { LINEAR, LINEAR_YAML, claimStep, completeStep, linearInput } from './helpers/scenario.js';
import { TEST_API_KEY, startTestServers, type TestServers } from './helpers/servers.js';

let servers: TestServers;
let viaRest: TaskerClient;
let viaGrpc: TaskerClient;
let taskUuid: string;

beforeAll(async () => {
  servers = await startTestServers({ auth: true });
  viaRest = createClient({ transport: 'rest', address: servers.address.rest, apiKey: TEST_API_KEY });
  viaGrpc = createClient({ transport: 'grpc', address: servers.address.grpc, apiKey: TEST_API_KEY });
  await viaRest.templates.register([LINEAR_YAML]);
  // A task with history: two steps done, one failed for good (error + DLQ entry).
  const task = await viaRest.tasks.create(linearInput({ tags: ['parity'], idempotencyKey: 'parity-1' }));
  taskUuid = task.taskUuid;
  await completeStep(viaRest, 'parity-worker', taskUuid, 'load_invoice', { amount: 1 });
  await completeStep(viaRest, 'parity-worker', taskUuid, 'compute_tax', { tax: 0.2 });
  const charge = await claimStep(viaRest, 'parity-worker', taskUuid, 'charge_card');
  await viaRest.workers.fail({
    workerId: 'parity-worker',
    stepUuid: charge.stepUuid,
    leaseToken: charge.leaseToken,
    error: {
      message: 'declined',
      errorType: 'Declined',
      retryable: false,
      retryAfterSeconds: null,
      statusCode: 402,
      backtrace: null,
      context: null,
    },
    executionTimeMs: 2,
  });
  for (let i = 0; (await viaRest.tasks.get(taskUuid)).state !== 'error'; i += 1) {
    if (i > 200) throw new Error('task never reached error');
    await new Promise((r) => setTimeout(r, 25));
  }
});

afterAll(async () => {
  await viaRest?.close();
  await viaGrpc?.close();
  await servers?.stop();
});

/** Reads through both clients and returns the two REST documents. */
async function both<T>(read: (c: TaskerClient) => Promise<T>, toRest: (v: T) => unknown): Promise<[unknown, unknown]> {
  return [toRest(await read(viaRest)), toRest(await read(viaGrpc))];
}

it.each([
  ['task', (c: TaskerClient) => c.tasks.get(taskUuid), rest.taskToRest],
  ['task with steps', (c: TaskerClient) => c.tasks.getWithSteps(taskUuid), rest.taskWithStepsToRest],
  ['task list', (c: TaskerClient) => c.tasks.list({ tags: ['parity'], limit: 5 }), rest.taskPageToRest],
  ['getContext', (c: TaskerClient) => c.tasks.getContext(taskUuid), rest.taskContextToRest],
  ['summary', (c: TaskerClient) => c.tasks.summary(taskUuid), rest.taskSummaryToRest],
  [
    'steps',
    (c: TaskerClient) => c.steps.list(taskUuid),
    (s: Awaited<ReturnType<TaskerClient['steps']['list']>>) => s.map(rest.stepToRest),
  ],
  [
    'template',
    (c: TaskerClient) => c.templates.get(LINEAR.namespace, LINEAR.name, LINEAR.version),
    rest.templateToRest,
  ],
  ['template list', (c: TaskerClient) => c.templates.list(), rest.templateListToRest],
  ['dlq entry', (c: TaskerClient) => c.dlq.getByTask(taskUuid), rest.dlqEntryToRest],
  [
    'dlq list',
    (c: TaskerClient) => c.dlq.list(),
    (l: Awaited<ReturnType<TaskerClient['dlq']['list']>>) => l.map(rest.dlqEntryToRest),
  ],
  [
    'dlq stats',
    (c: TaskerClient) => c.dlq.stats(),
    (l: Awaited<ReturnType<TaskerClient['dlq']['stats']>>) => l.map(rest.dlqStatsToRest),
  ],
  [
    'workers',
    (c: TaskerClient) => c.workers.list(),
    (l: Awaited<ReturnType<TaskerClient['workers']['list']>>) => l.map(rest.workerToRest),
  ],
] as const)('%s', async (name, read, toRest) => {
  const [fromRest, fromGrpc] = await both(read as (c: TaskerClient) => Promise<never>, toRest as (v: never) => unknown);
  expect(differingPaths(fromRest, fromGrpc), name).toEqual([]);
});

it('step audit', async () => {
  const steps = await viaRest.steps.list(taskUuid);
  for (const step of steps) {
    const [fromRest, fromGrpc] = await both(
      (c) => c.steps.audit(taskUuid, step.stepUuid),
      (l) => l.map(rest.stepAuditToRest),
    );
    expect(differingPaths(fromRest, fromGrpc)).toEqual([]);
  }
});

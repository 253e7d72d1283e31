// Setup for the operator-action tests of both transports: a namespace of its own (so claims here never pick
// another test's steps) and a task driven into `error` through the services, transport-neutrally.
import type { Task } from '@tasker/shared';
import type { Services } from '../../../src/services/types.js';
import { readFixtureTemplate, TEST_PRINCIPAL, waitForTaskState } from './runtime.js';

export const OPS_NAMESPACE = 'ops_close';
export const OPS_TEMPLATE = { namespace: OPS_NAMESPACE, name: 'invoice_settlement', version: '1.0.0' } as const;

export async function registerOpsTemplate(services: Services): Promise<void> {
  const yaml = readFixtureTemplate('linear').replace('namespace_name: billing', `namespace_name: ${OPS_NAMESPACE}`);
  await services.templates.register(TEST_PRINCIPAL, [yaml], { force: false });
}

let invoice = 0;

export function createOpsTask(services: Services, options?: Record<string, string>): Promise<Task> {
  invoice += 1;
  return services.tasks.create(TEST_PRINCIPAL, {
    ...OPS_TEMPLATE,
    context: { invoice_id: invoice },
    initiator: 'ops-tests',
    sourceSystem: 'vitest',
    reason: 'operator actions',
    ...(options === undefined ? {} : { options }),
  });
}

/** A task whose charge_card failed for good: `error`, with its pending max_retries_exceeded DLQ entry. */
export async function createErroredTask(services: Services): Promise<Task> {
  const task = await createOpsTask(services);
  const worker = { workerId: 'ops-worker', executionTimeMs: 1, metadata: null };
  for (;;) {
    const [step] = await services.workers.claim(TEST_PRINCIPAL, {
      workerId: worker.workerId,
      namespaces: [OPS_NAMESPACE],
      handlerNames: [],
      maxSteps: 1,
      waitMs: 2000,
    });
    if (step === undefined) throw new Error('no step became claimable');
    if (step.taskUuid !== task.taskUuid) throw new Error('claimed a step of another task');
    if (step.stepName !== 'charge_card') {
      await services.workers.complete(TEST_PRINCIPAL, {
        ...worker,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: { ok: true },
      });
      continue;
    }
    await services.workers.fail(TEST_PRINCIPAL, {
      workerId: worker.workerId,
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'declined',
        errorType: 'Declined',
        retryable: false,
        retryAfterSeconds: null,
        statusCode: 402,
        backtrace: null,
        context: null,
      },
    });
    return waitForTaskState(services, task.taskUuid, ['error']);
  }
}

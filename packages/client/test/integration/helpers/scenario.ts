// Shared pieces of the client scenarios: the fixture templates, a create input, and a worker played through
// the SDK's own worker API.
import type { ClaimedStep, CreateTaskInput, JsonValue } from '@tasker/shared';
import { readFixtureTemplate } from '../../../../orchestration/test/integration/helpers/runtime.js';
import type { TaskerClient } from '../../../src/index.js';

export const LINEAR_YAML = readFixtureTemplate('linear');
export const LINEAR = { namespace: 'billing', name: 'invoice_settlement', version: '1.0.0' } as const;
export const LINEAR_STEPS = ['load_invoice', 'compute_tax', 'charge_card', 'send_receipt'] as const;
export const MISSING_UUID = '0190a4f0-5a1b-7c3d-8e4f-0000000000ff';
/** A step whose timeout outlives the template's 30-minute lifetime: registration answers with a warning. */
export const OUTLIVING_YAML = `
name: outliving
namespace_name: billing
version: 1.0.0
lifecycle: {max_duration_minutes: 30}
steps:
  - {name: slow, handler: {callable: Billing.Slow}, timeout_seconds: 3600, retry: {max_backoff_ms: 60000}}
`;

export function linearInput(overrides: Partial<CreateTaskInput> = {}): CreateTaskInput {
  return {
    ...LINEAR,
    context: { invoice_id: 42 },
    initiator: 'client-tests',
    sourceSystem: 'vitest',
    reason: 'client scenario',
    ...overrides,
  };
}

/** Claims until a step named `stepName` of `taskUuid` is handed out (other tasks' steps are released). */
export async function claimStep(
  client: TaskerClient,
  workerId: string,
  taskUuid: string,
  stepName: string,
): Promise<ClaimedStep> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    // A batch, so another task's older ready step cannot hide this one.
    const claimed = await client.workers.claim({
      workerId,
      namespaces: [LINEAR.namespace],
      handlerNames: [],
      maxSteps: 50,
      waitMs: 500,
    });
    const mine = claimed.find((s) => s.taskUuid === taskUuid && s.stepName === stepName);
    const others = claimed.filter((s) => s !== mine).map((s) => ({ stepUuid: s.stepUuid, leaseToken: s.leaseToken }));
    if (others.length > 0) await client.workers.release({ workerId, leases: others });
    if (mine !== undefined) return mine;
  }
  throw new Error(`step ${stepName} of ${taskUuid} was never claimable`);
}

/** Claims and completes `stepName` with `result`. */
export async function completeStep(
  client: TaskerClient,
  workerId: string,
  taskUuid: string,
  stepName: string,
  result: JsonValue = { done: stepName },
): Promise<void> {
  const step = await claimStep(client, workerId, taskUuid, stepName);
  await client.workers.complete({
    workerId,
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    result,
    executionTimeMs: 3,
    metadata: null,
  });
}

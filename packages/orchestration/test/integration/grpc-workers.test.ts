// WorkerService over a real server and runtime: every RPC's success and failure codes, fencing, and the call
// deadline reaching the claim long poll.
import { StepState, TaskState } from '@tasker/shared/gen/tasker/v1/common';
import { LeaseStatus, TemplateRegistrationOutcome } from '@tasker/shared/gen/tasker/v1/workers';
import { parse as parseYaml } from 'yaml';
import { Status } from 'nice-grpc';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimWithDeadline } from '../../src/grpc/testing/deadline-client.js';
import { grpcErrorOf, useGrpcRuntime } from './helpers/grpc-client.js';
import { readFixtureTemplate, TEST_PRINCIPAL } from './helpers/runtime.js';

const h = useGrpcRuntime();
const NAMESPACE = 'grpc_workers';
const TEMPLATE = readFixtureTemplate('linear').replace('namespace_name: billing', `namespace_name: ${NAMESPACE}`);
const STALE_TOKEN = '0190a4f0-5a1b-7c3d-8e4f-000000000000';
let invoice = 0;
const created: string[] = [];

const fieldsOf = (err: { details: Record<string, unknown> | null }) =>
  ((err.details?.fields ?? []) as Array<{ path: string }>).map((f) => f.path).sort();

async function newTask(): Promise<string> {
  invoice += 1;
  const task = await h.services.tasks.create(TEST_PRINCIPAL, {
    namespace: NAMESPACE, name: 'invoice_settlement', version: '1.0.0', context: { invoice_id: invoice }, initiator: 't', sourceSystem: 't', reason: 't',
  });
  created.push(task.taskUuid);
  return task.taskUuid;
}

// Every test leaves nothing claimable behind: a later claim must only ever see its own test's steps.
afterEach(async () => {
  for (const taskUuid of created.splice(0)) {
    await h.services.tasks.cancel(TEST_PRINCIPAL, taskUuid, { reason: null, performedBy: null }).catch(() => undefined);
  }
});

/** Creates a task and claims its first step over gRPC. */
async function claimed(workerId = 'w1') {
  const taskUuid = await newTask();
  const { steps } = await h.clients.workers.claimSteps({ workerId, namespaces: [NAMESPACE], handlerNames: ['Billing.LoadInvoice'], maxSteps: 1, waitMs: 5_000 });
  const step = steps[0];
  if (step === undefined || step.taskUuid !== taskUuid) throw new Error('did not claim the new task');
  return step;
}

beforeAll(async () => {
  await h.clients.workers.registerTemplates({ templates: [parseYaml(TEMPLATE)], force: false });
});

describe('registration', () => {
  it('registers and lists workers with every field', async () => {
    const r = await h.clients.workers.registerWorker({ workerId: 'w-reg', hostname: 'host', version: '3.1', namespaces: [NAMESPACE], handlers: ['A', 'B'], metadata: { pid: 7 } });
    expect(r.worker).toMatchObject({ workerId: 'w-reg', hostname: 'host', version: '3.1', namespaces: [NAMESPACE], handlers: ['A', 'B'], metadata: { pid: 7 }, live: true });
    const list = await h.clients.workers.listWorkers({});
    expect(list.workers.map((w) => w.workerId)).toContain('w-reg');
    const bad = await grpcErrorOf(h.clients.workers.registerWorker({ hostname: 'h' }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['version', 'worker_id']]);
  });

  it('registers templates: unchanged, refused when changed without force, and rejected when invalid', async () => {
    const same = await h.clients.workers.registerTemplates({ templates: [parseYaml(TEMPLATE)], force: false });
    expect(same.results).toEqual([{ namespace: NAMESPACE, name: 'invoice_settlement', version: '1.0.0', outcome: TemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNCHANGED }]);
    const changed = parseYaml(TEMPLATE.replace('Billing.SendReceipt', 'Billing.SendEmail'));
    expect((await grpcErrorOf(h.clients.workers.registerTemplates({ templates: [changed], force: false }))).code).toMatch(/INVALID_STATE|ALREADY_EXISTS/);
    const invalid = await grpcErrorOf(h.clients.workers.registerTemplates({ templates: [parseYaml(readFixtureTemplate('cyclic'))] }));
    expect(invalid.status).toBe(Status.INVALID_ARGUMENT);
    expect((await grpcErrorOf(h.clients.workers.registerTemplates({ templates: [] }))).status).toBe(Status.INVALID_ARGUMENT);
  });
});

describe('claims, heartbeats and results', () => {
  it('claims with the handler, context and a fresh lease', async () => {
    const step = await claimed();
    expect(step).toMatchObject({ stepName: 'load_invoice', namespace: NAMESPACE, taskName: 'invoice_settlement', attempt: 1, maxAttempts: 3 });
    expect(step.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    const bad = await grpcErrorOf(h.clients.workers.claimSteps({ workerId: '', maxSteps: 0 }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['max_steps', 'worker_id']]);
  });

  it('heartbeats: extends a valid lease, reports a stale token as lost and a cancelled task as cancelled', async () => {
    const step = await claimed();
    const other = await claimed();
    const released = await claimed();
    await h.clients.workers.releaseLeases({ workerId: 'w1', leases: [{ stepUuid: released.stepUuid, leaseToken: released.leaseToken }] });
    await h.services.tasks.cancel(TEST_PRINCIPAL, other.taskUuid, { reason: null, performedBy: null });
    const r = await h.clients.workers.heartbeat({
      workerId: 'w1',
      leases: [
        { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
        { stepUuid: released.stepUuid, leaseToken: released.leaseToken },
        { stepUuid: other.stepUuid, leaseToken: other.leaseToken },
      ],
    });
    expect(r.leases.map((l) => l.status)).toEqual([LeaseStatus.LEASE_STATUS_VALID, LeaseStatus.LEASE_STATUS_LOST, LeaseStatus.LEASE_STATUS_CANCELLED]);
    const bad = await grpcErrorOf(h.clients.workers.heartbeat({ workerId: 'w1', leases: [{ stepUuid: 'x', leaseToken: '' }] }));
    expect(fieldsOf(bad)).toEqual(['leases[0].lease_token', 'leases[0].step_uuid']);
  });

  it('completes a step and fences a stale token with FAILED_PRECONDITION', async () => {
    const step = await claimed();
    const stale = await grpcErrorOf(
      h.clients.workers.completeStep({ workerId: 'w1', stepUuid: step.stepUuid, leaseToken: STALE_TOKEN, result: 1 }),
    );
    expect([stale.status, stale.code]).toEqual([Status.FAILED_PRECONDITION, 'INVALID_STATE']);
    const ack = await h.clients.workers.completeStep({ workerId: 'w1', stepUuid: step.stepUuid, leaseToken: step.leaseToken, result: { ok: true }, executionTimeMs: 4, metadata: { m: 1 } });
    expect(ack.stepUuid).toBe(step.stepUuid);
    expect([StepState.STEP_STATE_ENQUEUED_FOR_ORCHESTRATION, StepState.STEP_STATE_COMPLETE]).toContain(ack.stepState);
    const again = await grpcErrorOf(h.clients.workers.completeStep({ workerId: 'w1', stepUuid: step.stepUuid, leaseToken: step.leaseToken, result: 1 }));
    expect(again.status).toBe(Status.FAILED_PRECONDITION);
    const missing = await grpcErrorOf(h.clients.workers.completeStep({ workerId: 'w1', stepUuid: 'x', leaseToken: 'not-a-uuid' }));
    expect(fieldsOf(missing)).toEqual(['lease_token', 'result', 'step_uuid']);
  });

  it('fails a step: a retryable failure waits for a retry, a permanent one is an error', async () => {
    const retry = await claimed();
    const ack = await h.clients.workers.failStep({
      workerId: 'w1', stepUuid: retry.stepUuid, leaseToken: retry.leaseToken, executionTimeMs: 9,
      error: { message: 'timeout', errorType: 'timeout', retryable: true, retryAfterSeconds: 30, statusCode: 504, backtrace: 'bt', context: { n: 1 } },
    });
    expect(ack.stepState).toBe(StepState.STEP_STATE_WAITING_FOR_RETRY);
    // The worker's 30 s are capped by the step's maximum backoff (10 s in the test config).
    expect(ack.nextRetryAt!.getTime()).toBeGreaterThan(Date.now() + 5_000);
    const permanent = await claimed();
    const fatal = await h.clients.workers.failStep({ workerId: 'w1', stepUuid: permanent.stepUuid, leaseToken: permanent.leaseToken, error: { message: 'bad input', retryable: false } });
    expect(fatal.stepState).toBe(StepState.STEP_STATE_ERROR);
    expect(fatal.nextRetryAt).toBeUndefined();
    expect([TaskState.TASK_STATE_BLOCKED_BY_FAILURES, TaskState.TASK_STATE_EVALUATING_RESULTS, TaskState.TASK_STATE_ERROR]).toContain(fatal.taskState);
    const noError = await grpcErrorOf(h.clients.workers.failStep({ workerId: 'w1', stepUuid: permanent.stepUuid, leaseToken: permanent.leaseToken }));
    expect([noError.status, fieldsOf(noError)]).toEqual([Status.INVALID_ARGUMENT, ['error']]);
  });

  it('releases a held lease so the step can be claimed again, and reports a lost one as not released', async () => {
    const step = await claimed();
    const r = await h.clients.workers.releaseLeases({
      workerId: 'w1',
      leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }, { stepUuid: step.stepUuid, leaseToken: STALE_TOKEN }],
    });
    expect(r.releasedStepUuids).toEqual([step.stepUuid]);
    const { steps } = await h.clients.workers.claimSteps({ workerId: 'w2', namespaces: [NAMESPACE], handlerNames: ['Billing.LoadInvoice'], maxSteps: 1, waitMs: 5_000 });
    expect(steps.map((s) => [s.stepUuid, s.attempt])).toEqual([[step.stepUuid, 1]]);
  });
});

describe('deadline propagation', () => {
  it('ends the long poll when the call deadline passes: a later step goes to the next claimer', async () => {
    const err = await claimWithDeadline(h.address, { workerId: 'w-deadline', namespaces: [NAMESPACE], maxSteps: 1, waitMs: 30_000 }, 300);
    expect(err?.code).toBe(Status.DEADLINE_EXCEEDED);
    const taskUuid = await newTask();
    const { steps } = await h.clients.workers.claimSteps({ workerId: 'w-after', namespaces: [NAMESPACE], maxSteps: 1, waitMs: 5_000 });
    expect(steps.map((s) => s.taskUuid)).toEqual([taskUuid]);
  });
});

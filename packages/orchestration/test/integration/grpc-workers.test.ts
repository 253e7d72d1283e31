// WorkerService over a real server and runtime: every RPC's success and failure codes, fencing, batched results
// with a claim alongside (and its permission), and the call deadline reaching the claim long poll.
import { createSecretKey } from 'node:crypto';
import type { Config } from '@tasker/shared/config';
import { StepState, TaskState } from '@tasker/shared/gen/tasker/v1/common';
import { LeaseStatus, ResultOutcome, TemplateRegistrationOutcome } from '@tasker/shared/gen/tasker/v1/workers';
import { parse as parseYaml } from 'yaml';
import { Status } from 'nice-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { claimWithDeadline } from '../../src/grpc/testing/deadline-client.js';
import { createTaskerClients, grpcErrorOf, useGrpcRuntime, type TaskerClients } from './helpers/grpc-client.js';
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
    namespace: NAMESPACE,
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: invoice },
    initiator: 't',
    sourceSystem: 't',
    reason: 't',
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
  const { steps } = await h.clients.workers.claimSteps({
    workerId,
    namespaces: [NAMESPACE],
    handlerNames: ['Billing.LoadInvoice'],
    maxSteps: 1,
    waitMs: 5_000,
  });
  const step = steps[0];
  if (step === undefined || step.taskUuid !== taskUuid) throw new Error('did not claim the new task');
  return step;
}

beforeAll(async () => {
  await h.clients.workers.registerTemplates({ templates: [parseYaml(TEMPLATE)], force: false });
});

describe('registration', () => {
  it('registers and lists workers with every field', async () => {
    const r = await h.clients.workers.registerWorker({
      workerId: 'w-reg',
      hostname: 'host',
      version: '3.1',
      namespaces: [NAMESPACE],
      handlers: ['A', 'B'],
      metadata: { pid: 7 },
    });
    expect(r.worker).toMatchObject({
      workerId: 'w-reg',
      hostname: 'host',
      version: '3.1',
      namespaces: [NAMESPACE],
      handlers: ['A', 'B'],
      metadata: { pid: 7 },
      live: true,
    });
    const list = await h.clients.workers.listWorkers({});
    expect(list.workers.map((w) => w.workerId)).toContain('w-reg');
    const bad = await grpcErrorOf(h.clients.workers.registerWorker({ hostname: 'h' }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['version', 'worker_id']]);
  });

  it('registers templates: unchanged, refused when changed without force, and rejected when invalid', async () => {
    const same = await h.clients.workers.registerTemplates({ templates: [parseYaml(TEMPLATE)], force: false });
    expect(same.results).toEqual([
      {
        namespace: NAMESPACE,
        name: 'invoice_settlement',
        version: '1.0.0',
        outcome: TemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNCHANGED,
        warnings: [],
      },
    ]);
    const changed = parseYaml(TEMPLATE.replace('Billing.SendReceipt', 'Billing.SendEmail'));
    expect(
      (await grpcErrorOf(h.clients.workers.registerTemplates({ templates: [changed], force: false }))).code,
    ).toMatch(/INVALID_STATE|ALREADY_EXISTS/);
    const invalid = await grpcErrorOf(
      h.clients.workers.registerTemplates({ templates: [parseYaml(readFixtureTemplate('cyclic'))] }),
    );
    expect(invalid.status).toBe(Status.INVALID_ARGUMENT);
    expect((await grpcErrorOf(h.clients.workers.registerTemplates({ templates: [] }))).status).toBe(
      Status.INVALID_ARGUMENT,
    );
  });
});

describe('claims, heartbeats and results', () => {
  it('claims with the handler, context and a fresh lease', async () => {
    const step = await claimed();
    expect(step).toMatchObject({
      stepName: 'load_invoice',
      namespace: NAMESPACE,
      taskName: 'invoice_settlement',
      attempt: 1,
      maxAttempts: 3,
    });
    expect(step.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    const bad = await grpcErrorOf(h.clients.workers.claimSteps({ workerId: '', maxSteps: 0 }));
    expect([bad.status, fieldsOf(bad)]).toEqual([Status.INVALID_ARGUMENT, ['max_steps', 'worker_id']]);
  });

  it('heartbeats: extends a valid lease, reports a stale token as lost and a cancelled task as cancelled', async () => {
    const step = await claimed();
    const other = await claimed();
    const released = await claimed();
    await h.clients.workers.releaseLeases({
      workerId: 'w1',
      leases: [{ stepUuid: released.stepUuid, leaseToken: released.leaseToken }],
    });
    await h.services.tasks.cancel(TEST_PRINCIPAL, other.taskUuid, { reason: null, performedBy: null });
    const r = await h.clients.workers.heartbeat({
      workerId: 'w1',
      leases: [
        { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
        { stepUuid: released.stepUuid, leaseToken: released.leaseToken },
        { stepUuid: other.stepUuid, leaseToken: other.leaseToken },
      ],
    });
    expect(r.leases.map((l) => l.status)).toEqual([
      LeaseStatus.LEASE_STATUS_VALID,
      LeaseStatus.LEASE_STATUS_LOST,
      LeaseStatus.LEASE_STATUS_CANCELLED,
    ]);
    const bad = await grpcErrorOf(
      h.clients.workers.heartbeat({ workerId: 'w1', leases: [{ stepUuid: 'x', leaseToken: '' }] }),
    );
    expect(fieldsOf(bad)).toEqual(['leases[0].lease_token', 'leases[0].step_uuid']);
  });

  it('completes a step and fences a stale token with FAILED_PRECONDITION', async () => {
    const step = await claimed();
    const stale = await grpcErrorOf(
      h.clients.workers.completeStep({ workerId: 'w1', stepUuid: step.stepUuid, leaseToken: STALE_TOKEN, result: 1 }),
    );
    expect([stale.status, stale.code]).toEqual([Status.FAILED_PRECONDITION, 'INVALID_STATE']);
    const ack = await h.clients.workers.completeStep({
      workerId: 'w1',
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      result: { ok: true },
      executionTimeMs: 4,
      metadata: { m: 1 },
    });
    expect(ack.stepUuid).toBe(step.stepUuid);
    expect([StepState.STEP_STATE_ENQUEUED_FOR_ORCHESTRATION, StepState.STEP_STATE_COMPLETE]).toContain(ack.stepState);
    const again = await grpcErrorOf(
      h.clients.workers.completeStep({
        workerId: 'w1',
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: 1,
      }),
    );
    expect(again.status).toBe(Status.FAILED_PRECONDITION);
    const missing = await grpcErrorOf(
      h.clients.workers.completeStep({ workerId: 'w1', stepUuid: 'x', leaseToken: 'not-a-uuid' }),
    );
    expect(fieldsOf(missing)).toEqual(['lease_token', 'result', 'step_uuid']);
  });

  it('fails a step: a retryable failure waits for a retry, a permanent one is an error', async () => {
    const retry = await claimed();
    const ack = await h.clients.workers.failStep({
      workerId: 'w1',
      stepUuid: retry.stepUuid,
      leaseToken: retry.leaseToken,
      executionTimeMs: 9,
      error: {
        message: 'timeout',
        errorType: 'timeout',
        retryable: true,
        retryAfterSeconds: 30,
        statusCode: 504,
        backtrace: 'bt',
        context: { n: 1 },
      },
    });
    expect(ack.stepState).toBe(StepState.STEP_STATE_WAITING_FOR_RETRY);
    // The worker's 30 s are capped by the step's maximum backoff (10 s in the test config).
    expect(ack.nextRetryAt!.getTime()).toBeGreaterThan(Date.now() + 5_000);
    const permanent = await claimed();
    const fatal = await h.clients.workers.failStep({
      workerId: 'w1',
      stepUuid: permanent.stepUuid,
      leaseToken: permanent.leaseToken,
      error: { message: 'bad input', retryable: false },
    });
    expect(fatal.stepState).toBe(StepState.STEP_STATE_ERROR);
    expect(fatal.nextRetryAt).toBeUndefined();
    expect([
      TaskState.TASK_STATE_BLOCKED_BY_FAILURES,
      TaskState.TASK_STATE_EVALUATING_RESULTS,
      TaskState.TASK_STATE_ERROR,
    ]).toContain(fatal.taskState);
    const noError = await grpcErrorOf(
      h.clients.workers.failStep({ workerId: 'w1', stepUuid: permanent.stepUuid, leaseToken: permanent.leaseToken }),
    );
    expect([noError.status, fieldsOf(noError)]).toEqual([Status.INVALID_ARGUMENT, ['error']]);
  });

  it('releases a held lease so the step can be claimed again, and reports a lost one as not released', async () => {
    const step = await claimed();
    const r = await h.clients.workers.releaseLeases({
      workerId: 'w1',
      leases: [
        { stepUuid: step.stepUuid, leaseToken: step.leaseToken },
        { stepUuid: step.stepUuid, leaseToken: STALE_TOKEN },
      ],
    });
    expect(r.releasedStepUuids).toEqual([step.stepUuid]);
    const { steps } = await h.clients.workers.claimSteps({
      workerId: 'w2',
      namespaces: [NAMESPACE],
      handlerNames: ['Billing.LoadInvoice'],
      maxSteps: 1,
      waitMs: 5_000,
    });
    expect(steps.map((s) => [s.stepUuid, s.attempt])).toEqual([[step.stepUuid, 1]]);
  });
});

describe('batched results', () => {
  const MISSING = '0190a4f0-5a1b-7c3d-8e4f-0000000000ff';
  const claimTax = { maxSteps: 2, namespaces: [NAMESPACE], handlerNames: ['Billing.ComputeTax'] };

  it('applies a completion and a retryable failure, refuses a stale token and an unknown step, and claims the next step', async () => {
    const a = await claimed('w-batch');
    const b = await claimed('w-batch');
    const c = await claimed('w-batch');
    const r = await h.clients.workers.reportResults({
      workerId: 'w-batch',
      results: [
        {
          stepUuid: a.stepUuid,
          leaseToken: a.leaseToken,
          outcome: { $case: 'completed', value: { result: { amount: 10 }, metadata: { host: 'h' } } },
          executionTimeMs: 4,
        },
        {
          stepUuid: b.stepUuid,
          leaseToken: b.leaseToken,
          outcome: {
            $case: 'failed',
            value: { message: 'timeout', errorType: 'timeout', retryable: true, statusCode: 504 },
          },
        },
        { stepUuid: c.stepUuid, leaseToken: STALE_TOKEN, outcome: { $case: 'completed', value: { result: 1 } } },
        { stepUuid: MISSING, leaseToken: STALE_TOKEN, outcome: { $case: 'completed', value: { result: 1 } } },
      ],
      claim: claimTax,
    });
    expect(r.outcomes.map((o) => [o.stepUuid, o.outcome, o.stepState])).toEqual([
      [a.stepUuid, ResultOutcome.RESULT_OUTCOME_OK, StepState.STEP_STATE_COMPLETE],
      [b.stepUuid, ResultOutcome.RESULT_OUTCOME_OK, StepState.STEP_STATE_WAITING_FOR_RETRY],
      [c.stepUuid, ResultOutcome.RESULT_OUTCOME_LEASE_LOST, StepState.STEP_STATE_IN_PROGRESS],
      [MISSING, ResultOutcome.RESULT_OUTCOME_NOT_FOUND, undefined],
    ]);
    expect(r.outcomes[1]!.nextRetryAt).toBeInstanceOf(Date);
    expect([r.outcomes[3]!.taskState, r.outcomes[3]!.nextRetryAt]).toEqual([undefined, undefined]);
    expect(r.claimed.map((s) => [s.taskUuid, s.stepName, s.parentResults])).toEqual([
      [a.taskUuid, 'compute_tax', { load_invoice: { amount: 10 } }],
    ]);
    const again = await h.clients.workers.reportResults({
      workerId: 'w-batch',
      results: [
        {
          stepUuid: c.stepUuid,
          leaseToken: c.leaseToken,
          outcome: { $case: 'failed', value: { message: 'bad input', retryable: false } },
        },
      ],
    });
    expect(again.outcomes.map((o) => [o.outcome, o.stepState])).toEqual([
      [ResultOutcome.RESULT_OUTCOME_OK, StepState.STEP_STATE_ERROR],
    ]);
    expect(again.claimed).toEqual([]);
  });

  it.each([
    [
      'a result with neither outcome',
      { workerId: 'w', results: [{ stepUuid: MISSING, leaseToken: MISSING }] },
      ['results[0]'],
    ],
    [
      'malformed UUIDs',
      {
        workerId: 'w',
        results: [{ stepUuid: 'x', leaseToken: 'y', outcome: { $case: 'completed' as const, value: { result: 1 } } }],
      },
      ['results[0].lease_token', 'results[0].step_uuid'],
    ],
    [
      'a completion without its result',
      {
        workerId: 'w',
        results: [{ stepUuid: MISSING, leaseToken: MISSING, outcome: { $case: 'completed' as const, value: {} } }],
      },
      ['results[0].completed.result'],
    ],
    [
      'a claim of too many steps, no worker id',
      { results: [], claim: { maxSteps: 1001 } },
      ['claim.max_steps', 'worker_id'],
    ],
    [
      'a step reported twice',
      {
        workerId: 'w',
        results: [
          { stepUuid: MISSING, leaseToken: MISSING, outcome: { $case: 'completed' as const, value: { result: 1 } } },
          {
            stepUuid: MISSING,
            leaseToken: STALE_TOKEN,
            outcome: { $case: 'failed' as const, value: { message: 'm' } },
          },
        ],
      },
      ['results[1].step_uuid'],
    ],
  ])('answers INVALID_ARGUMENT for %s, naming the fields', async (_, request, fields) => {
    const err = await grpcErrorOf(h.clients.workers.reportResults(request));
    expect([err.status, err.code, fieldsOf(err)]).toEqual([Status.INVALID_ARGUMENT, 'VALIDATION_FAILED', fields]);
  });

  describe('with authentication: the claim alongside needs worker:claim', () => {
    const SECRET = 'grpc-batch-secret-0123456789-0123456789';
    let server: GrpcServer;
    let address: string;
    const opened: TaskerClients[] = [];

    beforeAll(async () => {
      const auth = {
        ...h.config.auth,
        enabled: true,
        jwt: { ...h.config.auth.jwt, hs256_secret: SECRET, algorithms: ['HS256'] },
      } as Config['auth'];
      server = createGrpcServer(h.services, { ...h.config, auth } as Config, {
        authenticate: createAuthenticator(auth),
      });
      address = `127.0.0.1:${(await server.listen('127.0.0.1:0')).port}`;
    });

    afterAll(async () => {
      for (const c of opened) c.close();
      await server?.shutdown();
    });

    async function as(permissions: string[]): Promise<TaskerClients> {
      const { issuer, audience } = h.config.auth.jwt;
      const token = await mintToken('HS256', createSecretKey(Buffer.from(SECRET)), {
        issuer,
        audience,
        subject: 'batch',
        permissions,
      });
      const clients = createTaskerClients(address, { metadata: { authorization: `Bearer ${token}` } });
      opened.push(clients);
      return clients;
    }

    it('refuses a claim without worker:claim and applies nothing; a result-only batch or a claim of 0 needs only worker:report', async () => {
      const a = await claimed('w-batch-auth');
      const report = {
        stepUuid: a.stepUuid,
        leaseToken: a.leaseToken,
        outcome: { $case: 'completed' as const, value: { result: 1 } },
      };
      const reporter = await as(['worker:report']);

      const denied = await grpcErrorOf(
        reporter.workers.reportResults({ workerId: 'w-batch-auth', results: [report], claim: claimTax }),
      );
      expect([denied.status, denied.code, denied.details]).toEqual([
        Status.PERMISSION_DENIED,
        'PERMISSION_DENIED',
        { permission: 'worker:claim' },
      ]);
      expect(denied.message).toContain('worker:claim');
      expect((await h.services.steps.get(TEST_PRINCIPAL, a.taskUuid, a.stepUuid)).state).toBe('in_progress');

      const claimer = await as(['worker:claim']);
      expect(
        (await grpcErrorOf(claimer.workers.reportResults({ workerId: 'w-batch-auth', results: [report] }))).status,
      ).toBe(Status.PERMISSION_DENIED);

      const zero = await reporter.workers.reportResults({
        workerId: 'w-batch-auth',
        results: [report],
        claim: { ...claimTax, maxSteps: 0 },
      });
      expect([zero.outcomes.map((o) => o.outcome), zero.claimed]).toEqual([[ResultOutcome.RESULT_OUTCOME_OK], []]);

      const both = await as(['worker:report', 'worker:claim']);
      const next = await both.workers.reportResults({ workerId: 'w-batch-auth', results: [], claim: claimTax });
      expect(next.claimed.map((s) => [s.taskUuid, s.stepName])).toEqual([[a.taskUuid, 'compute_tax']]);
    });
  });
});

describe('deadline propagation', () => {
  it('ends the long poll when the call deadline passes: a later step goes to the next claimer', async () => {
    const err = await claimWithDeadline(
      h.address,
      { workerId: 'w-deadline', namespaces: [NAMESPACE], maxSteps: 1, waitMs: 30_000 },
      300,
    );
    expect(err?.code).toBe(Status.DEADLINE_EXCEEDED);
    const taskUuid = await newTask();
    const { steps } = await h.clients.workers.claimSteps({
      workerId: 'w-after',
      namespaces: [NAMESPACE],
      maxSteps: 1,
      waitMs: 5_000,
    });
    expect(steps.map((s) => s.taskUuid)).toEqual([taskUuid]);
  });
});

// Retries with the step's backoff policy, Retry-After, exhaustion into blocked → error + DLQ, and an
// operator's reset + resume bringing the task to complete.
import { backoffBoundsMs } from '@tasker/shared/domain/readiness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  HandlerFailure,
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  runWorkerLoop,
  stopWorkerLoops,
  startTestRuntime,
  TEST_PRINCIPAL,
  waitForTaskState,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
  await registerFixtureTemplate(rt.services, 'flaky');
  await registerFixtureTemplate(rt.services, 'linear');
});

afterAll(async () => {
  await rt?.stop();
});

afterEach(stopWorkerLoops);

const FLAKY = {
  namespace: 'flaky',
  name: 'flaky_chain',
  version: '1.0.0',
  initiator: 't',
  sourceSystem: 't',
  reason: 't',
};
/** flaky.yaml's call_partner policy. */
const POLICY = { backoff: 'exponential' as const, backoffBaseMs: 100, maxBackoffMs: 5000, jitter: 0.1 };

async function attemptsOf(taskUuid: string, stepName: string) {
  return rt.sql<{ attempt: number; claimed_at: Date; finished_at: Date | null; outcome: string | null }[]>`
    SELECT a.attempt, a.claimed_at, a.finished_at, a.outcome FROM tasker.step_attempts a
    JOIN tasker.steps s ON s.step_uuid = a.step_uuid
    WHERE a.task_uuid = ${taskUuid} AND s.name = ${stepName} ORDER BY a.claimed_at`;
}

describe('retries', () => {
  it('retries with the configured backoff, errors into the DLQ, and reset + resume completes it', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...FLAKY, context: { run: 1 } });
    let partnerUp = false;
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: ['flaky'],
      signal: controller.signal,
      concurrency: 2,
      handlers: {
        'Flaky.CallPartner': () => {
          if (!partnerUp)
            throw new HandlerFailure('partner unavailable', { retryable: true, errorType: 'Unavailable' });
          return { called: true };
        },
        '*': (step) => ({ ok: step.stepName }),
      },
    });

    const failed = await waitForTaskState(rt.services, task.taskUuid, ['error', 'complete']);
    expect(failed.state).toBe('error');
    expect(failed.execution).toMatchObject({
      failedSteps: 1,
      completedSteps: 1,
      executionStatus: 'blocked_by_failures',
      healthStatus: 'blocked',
    });

    // Four runs; each gap (database clock: previous failure → next claim) within the policy's jitter bounds.
    const attempts = await attemptsOf(task.taskUuid, 'call_partner');
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'failed'],
    ]);
    for (let i = 1; i < attempts.length; i += 1) {
      const gap = (attempts[i]?.claimed_at.getTime() ?? 0) - (attempts[i - 1]?.finished_at?.getTime() ?? 0);
      const { min, max } = backoffBoundsMs(POLICY, i);
      expect(gap, `gap before attempt ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(min));
      // Upper bound: the jitter maximum plus promotion + NOTIFY + claim, generous for a loaded machine (the
      // 250 ms poll fallback alone would often exceed it, so a lazily polling promoter still fails here).
      expect(gap, `gap before attempt ${i + 1}`).toBeLessThanOrEqual(max + 150);
    }
    const delays = await rt.sql<{ delay: number }[]>`
      SELECT (se.metadata->>'delay_ms')::int AS delay FROM tasker.step_events se
      WHERE se.task_uuid = ${task.taskUuid} AND se.event LIKE '%>wait_for_retry' ORDER BY se.event_id`;
    expect(delays).toHaveLength(3);
    delays.forEach(({ delay }, i) => {
      const { min, max } = backoffBoundsMs(POLICY, i + 1);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(min));
      expect(delay).toBeLessThanOrEqual(Math.ceil(max));
    });

    const summary = await rt.services.tasks.summary(TEST_PRINCIPAL, task.taskUuid);
    expect(summary.dlq).toEqual({ inDlq: true, dlqReason: 'max_retries_exceeded', resolutionStatus: 'pending' });
    const [entry] = await rt.sql<
      { original_state: string; snapshot: { task: { task_uuid: string }; steps: { name: string; state: string }[] } }[]
    >`
      SELECT original_state, task_snapshot AS snapshot FROM tasker.dlq_entries WHERE task_uuid = ${task.taskUuid}`;
    expect(entry?.original_state).toBe('blocked_by_failures');
    expect(entry?.snapshot.task.task_uuid).toBe(task.taskUuid);
    expect(entry?.snapshot.steps.find((s) => s.name === 'call_partner')?.state).toBe('error');

    // Resume is refused while the step is still in error.
    await expect(
      rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, { performedBy: 'ops', reason: 'too early' }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const partner = (await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid)).find(
      (s) => s.name === 'call_partner',
    );
    if (partner === undefined) throw new Error('no call_partner step');
    expect(partner).toMatchObject({
      state: 'error',
      attempts: 4,
      retryEligible: false,
      lastError: { message: 'partner unavailable', errorType: 'Unavailable' },
    });
    const reset = await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, partner.stepUuid, {
      type: 'reset_for_retry',
      reason: 'partner is back',
      performedBy: 'ops@example.com',
    });
    expect(reset).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task.taskUuid)).state).toBe('error');

    partnerUp = true;
    const resumed = await rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, {
      performedBy: 'ops@example.com',
      reason: 'fixed upstream',
    });
    expect(resumed.state).toBe('steps_in_process');
    const done = await waitForTaskState(rt.services, task.taskUuid, ['complete', 'error']);
    controller.abort();
    await loop;
    expect(done.state).toBe('complete');

    const audit = await rt.services.steps.audit(TEST_PRINCIPAL, task.taskUuid, partner.stepUuid);
    expect(audit[0]).toMatchObject({ action: 'worker_result', success: true });
    expect(audit.find((a) => a.action === 'reset_for_retry')).toMatchObject({
      performedBy: 'ops@example.com',
      reason: 'partner is back',
      fromState: 'error',
      toState: 'pending',
    });
    const [closed] = await rt.sql<{ resolution_status: string; resolved_by: string; resolution_notes: string }[]>`
      SELECT resolution_status, resolved_by, resolution_notes FROM tasker.dlq_entries WHERE task_uuid = ${task.taskUuid}`;
    expect(closed).toEqual({
      resolution_status: 'manually_resolved',
      resolved_by: 'ops@example.com',
      resolution_notes: 'fixed upstream',
    });
    const [resume] = await rt.sql<{ actor: string; reason: string }[]>`
      SELECT actor, reason FROM tasker.task_transitions WHERE task_uuid = ${task.taskUuid} AND event LIKE 'resume>%'`;
    expect(resume).toEqual({ actor: 'ops@example.com', reason: 'fixed upstream' });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('honours Retry-After over the backoff, capped at the max backoff', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...FLAKY, context: { run: 2 } });
    const worker = 'retry-after-worker';
    const claim = async () => {
      const [step] = await rt.services.workers.claim(TEST_PRINCIPAL, {
        workerId: worker,
        namespaces: ['flaky'],
        handlerNames: [],
        maxSteps: 1,
        waitMs: 2000,
      });
      if (step === undefined) throw new Error('nothing claimed');
      return step;
    };
    const failWith = (step: { stepUuid: string; leaseToken: string }, retryAfterSeconds: number) =>
      rt.services.workers.fail(TEST_PRINCIPAL, {
        workerId: worker,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        executionTimeMs: 1,
        error: {
          message: 'slow down',
          errorType: 'RateLimited',
          retryable: true,
          retryAfterSeconds,
          statusCode: 429,
          backtrace: null,
          context: null,
        },
      });
    const prepare = await claim();
    await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: worker,
      stepUuid: prepare.stepUuid,
      leaseToken: prepare.leaseToken,
      result: {},
      executionTimeMs: 1,
      metadata: null,
    });

    const first = await claim();
    expect(first.stepName).toBe('call_partner');
    const ack = await failWith(first, 0.25);
    expect(ack).toMatchObject({ stepState: 'waiting_for_retry', taskState: 'waiting_for_retry' });
    const second = await claim();
    const [gap] = await rt.sql<{ ms: number }[]>`
      SELECT (extract(epoch FROM (SELECT last_attempted_at FROM tasker.steps WHERE lease_token = ${second.leaseToken})
                               - (SELECT finished_at FROM tasker.step_attempts WHERE lease_token = ${first.leaseToken})) * 1000)::float8 AS ms`;
    expect(gap?.ms).toBeGreaterThanOrEqual(250);
    expect(gap?.ms).toBeLessThan(250 + 150);

    const capped = await failWith(second, 3600);
    const [step] = await rt.sql<{ delay: number; backoff_request_seconds: number }[]>`
      SELECT (extract(epoch FROM next_retry_at - last_failure_at) * 1000)::float8 AS delay, backoff_request_seconds
      FROM tasker.steps WHERE step_uuid = ${second.stepUuid}`;
    expect(step).toEqual({ delay: 5000, backoff_request_seconds: 3600 });
    expect(capped.nextRetryAt).toBeInstanceOf(Date);
    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'done testing', performedBy: null });
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('a failure of a non-retryable step errors the task at once', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      namespace: 'billing',
      name: 'invoice_settlement',
      version: '1.0.0',
      context: { invoice_id: 1 },
      initiator: 't',
      sourceSystem: 't',
      reason: 't',
    });
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: ['billing'],
      signal: controller.signal,
      handlers: {
        'Billing.ChargeCard': () => {
          throw new HandlerFailure('card declined', { retryable: true });
        },
        '*': () => ({ ok: true }),
      },
    });
    const done = await waitForTaskState(rt.services, task.taskUuid, ['error', 'complete']);
    controller.abort();
    const stats = await loop;
    expect(done.state).toBe('error');
    expect(stats.failed).toBe(1);
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.map((s) => [s.name, s.state, s.attempts])).toEqual([
      ['load_invoice', 'complete', 1],
      ['compute_tax', 'complete', 1],
      ['charge_card', 'error', 1],
      ['send_receipt', 'pending', 0],
    ]);
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
  });
});

// Fencing: an expired lease is swept and the step re-dispatched; the zombie's result is refused and changes
// nothing. timeout_seconds caps a lease even with heartbeats. Cancel stops dispatch and reaches heartbeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  waitForTaskState,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;
const TASK = { initiator: 't', sourceSystem: 't', reason: 't' };
const TIMED = {
  name: 'timed',
  namespace_name: 'timed',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: [{ name: 'slow', handler: { callable: 'Timed.Slow' }, timeout_seconds: 1, retry: { max_attempts: 1 } }],
};

beforeAll(async () => {
  // 1 s leases, swept every 200 ms (test overlay): expiry tests take about a second.
  rt = await startTestRuntime({ engine: { lease_seconds: 1 } });
  await registerFixtureTemplate(rt.services, 'diamond');
  await rt.services.templates.register(TEST_PRINCIPAL, [TIMED], { force: false });
});

afterAll(async () => {
  await rt?.stop();
});

const claim = async (workerId: string, namespace: string, waitMs = 3000) => {
  const [step] = await rt.services.workers.claim(TEST_PRINCIPAL, {
    workerId,
    namespaces: [namespace],
    handlerNames: [],
    maxSteps: 1,
    waitMs,
  });
  return step;
};

describe('leases', () => {
  it('a worker whose lease expired cannot complete; the step is re-dispatched and completes once', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'media',
      name: 'media_ingest',
      version: '2.1.0',
      context: {},
    });
    const zombie = await claim('zombie', 'media');
    if (zombie === undefined) throw new Error('nothing claimed');
    expect(zombie.stepName).toBe('fetch_source');

    // No heartbeat: the sweeper fails the attempt (lease_expired, retryable) and the retry is dispatched again.
    const second = await claim('healthy', 'media', 4000);
    if (second === undefined) throw new Error('not re-dispatched');
    expect(second).toMatchObject({ stepUuid: zombie.stepUuid, attempt: 2 });

    const before = await rt.sql`SELECT * FROM tasker.steps WHERE step_uuid = ${zombie.stepUuid}`;
    await expect(
      rt.services.workers.complete(TEST_PRINCIPAL, {
        workerId: 'zombie',
        stepUuid: zombie.stepUuid,
        leaseToken: zombie.leaseToken,
        result: { from: 'zombie' },
        executionTimeMs: 1,
        metadata: null,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE', details: { step_uuid: zombie.stepUuid, reason: 'lease_lost' } });
    await expect(
      rt.services.workers.fail(TEST_PRINCIPAL, {
        workerId: 'zombie',
        stepUuid: zombie.stepUuid,
        leaseToken: zombie.leaseToken,
        executionTimeMs: 1,
        error: {
          message: 'late',
          errorType: null,
          retryable: true,
          retryAfterSeconds: null,
          statusCode: null,
          backtrace: null,
          context: null,
        },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await rt.sql`SELECT * FROM tasker.steps WHERE step_uuid = ${zombie.stepUuid}`).toEqual(before);

    await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'healthy',
      stepUuid: second.stepUuid,
      leaseToken: second.leaseToken,
      result: { from: 'healthy' },
      executionTimeMs: 1,
      metadata: null,
    });
    const attempts = await rt.sql<{ attempt: number; worker_id: string; outcome: string }[]>`
      SELECT attempt, worker_id, outcome FROM tasker.step_attempts WHERE step_uuid = ${zombie.stepUuid} ORDER BY claimed_at`;
    expect(attempts).toEqual([
      { attempt: 1, worker_id: 'zombie', outcome: 'lease_expired' },
      { attempt: 2, worker_id: 'healthy', outcome: 'completed' },
    ]);
    const step = await rt.services.steps.get(TEST_PRINCIPAL, task.taskUuid, zombie.stepUuid);
    expect(step).toMatchObject({ state: 'complete', results: { from: 'healthy' }, attempts: 2 });
    const audit = await rt.services.steps.audit(TEST_PRINCIPAL, task.taskUuid, zombie.stepUuid);
    expect(audit.map((a) => [a.action, a.success])).toEqual([
      ['worker_result', true],
      ['lease_expired', false],
    ]);

    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'cleanup', performedBy: 'test' });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('timeout_seconds caps the lease: heartbeats cannot keep a step past it, and the sweeper fails it as timeout', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'timed',
      name: 'timed',
      version: '1.0.0',
      context: {},
    });
    const step = await claim('slowpoke', 'timed');
    if (step === undefined) throw new Error('nothing claimed');
    const deadline = step.leaseExpiresAt.getTime();
    const beats: (Date | null)[] = [];
    const timer = setInterval(() => {
      void rt.services.workers
        .heartbeat(TEST_PRINCIPAL, {
          workerId: 'slowpoke',
          leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }],
        })
        .then(([s]) => beats.push(s?.status === 'valid' ? s.leaseExpiresAt : null));
    }, 150);
    const done = await waitForTaskState(rt.services, task.taskUuid, ['error'], 5000);
    clearInterval(timer);
    expect(done.state).toBe('error');
    expect(beats.filter((b): b is Date => b !== null).every((b) => b.getTime() <= deadline + 5)).toBe(true);
    const [attempt] = await rt.sql<{ outcome: string; error_type: string }[]>`
      SELECT outcome, error->>'error_type' AS error_type FROM tasker.step_attempts WHERE step_uuid = ${step.stepUuid}`;
    expect(attempt).toEqual({ outcome: 'lease_expired', error_type: 'timeout' });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('cancel mid-run: unfinished steps are cancelled, dispatch stops, heartbeats report cancelled, late results are refused', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'media',
      name: 'media_ingest',
      version: '2.1.0',
      context: {},
    });
    const fetch = await claim('w1', 'media');
    if (fetch === undefined) throw new Error('nothing claimed');
    await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'w1',
      stepUuid: fetch.stepUuid,
      leaseToken: fetch.leaseToken,
      result: {},
      executionTimeMs: 1,
      metadata: null,
    });
    const running = await claim('w1', 'media');
    if (running === undefined) throw new Error('nothing claimed');
    const lease = { stepUuid: running.stepUuid, leaseToken: running.leaseToken };
    expect((await rt.services.workers.heartbeat(TEST_PRINCIPAL, { workerId: 'w1', leases: [lease] }))[0]?.status).toBe(
      'valid',
    );

    const cancelled = await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, {
      reason: 'customer withdrew',
      performedBy: 'ops',
    });
    expect(cancelled).toMatchObject({ state: 'cancelled', execution: { completedSteps: 1, cancelledSteps: 3 } });
    expect(cancelled.completedAt).toBeInstanceOf(Date);
    expect((await rt.services.workers.heartbeat(TEST_PRINCIPAL, { workerId: 'w1', leases: [lease] }))[0]).toEqual({
      stepUuid: running.stepUuid,
      status: 'cancelled',
      leaseExpiresAt: null,
    });
    await expect(
      rt.services.workers.complete(TEST_PRINCIPAL, {
        workerId: 'w1',
        ...lease,
        result: {},
        executionTimeMs: 1,
        metadata: null,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE', details: { reason: 'cancelled' } });
    expect(await claim('w2', 'media', 300)).toBeUndefined();
    await expect(
      rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'again', performedBy: null }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const steps = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.map((s) => s.state)).toEqual(['complete', 'cancelled', 'cancelled', 'cancelled']);
    const audit = await rt.services.steps.audit(TEST_PRINCIPAL, task.taskUuid, running.stepUuid);
    expect(audit[0]).toMatchObject({
      action: 'cancel',
      performedBy: 'ops',
      reason: 'customer withdrew',
      fromState: 'in_progress',
    });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });
});

// Delayed start (tasks.run_at): a task waits `pending` with nothing dispatchable until its start time, then the
// task starter of the replica that created it (woken for that time) or the pulse of any replica (the fallback)
// starts it, once across replicas; cancel works meanwhile; bad start times are refused naming run_at.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreateTaskInput } from '@tasker/shared';
import {
  attachTestRuntime,
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  runWorkerLoop,
  startTestRuntime,
  stopWorkerLoops,
  TEST_PRINCIPAL,
  waitForTaskState,
  type TestRuntime,
} from './helpers/runtime.js';
import { detectStaleTasks } from '../../src/repositories/staleness.js';

let a: TestRuntime;
let b: TestRuntime;

const input = (overrides: Partial<CreateTaskInput> = {}): CreateTaskInput => ({
  namespace: 'billing',
  name: 'invoice_settlement',
  version: '1.0.0',
  context: { invoice_id: 1 },
  initiator: 't',
  sourceSystem: 't',
  reason: 't',
  ...overrides,
});

beforeAll(async () => {
  a = await startTestRuntime();
  b = await attachTestRuntime(a);
  await registerFixtureTemplate(a.services, 'linear');
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

afterEach(stopWorkerLoops);

async function startedAt(taskUuid: string): Promise<Date | null> {
  const [row] = await a.sql<{ at: Date | null }[]>`
    SELECT min(created_at) AS at FROM tasker.task_transitions
    WHERE task_uuid = ${taskUuid} AND event = 'start>ready_steps_found>steps_enqueued'`;
  return row?.at ?? null;
}

async function waitStarted(taskUuid: string, timeoutMs: number): Promise<Date> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await startedAt(taskUuid);
    if (at !== null) return at;
    if (Date.now() > deadline) throw new Error(`task ${taskUuid} not started after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('delayed start', () => {
  it('keeps the task pending with nothing dispatchable, then starts it within 100 ms of run_at', async () => {
    const runAt = new Date(Date.now() + 400);
    const task = await a.services.tasks.create(TEST_PRINCIPAL, input({ runAt }));
    expect([task.state, task.runAt?.toISOString()]).toEqual(['pending', runAt.toISOString()]);
    const [early] = await a.sql<{ enqueued: number; pending: number }[]>`
      SELECT count(*) FILTER (WHERE state = 'enqueued')::int AS enqueued,
             count(*) FILTER (WHERE state = 'pending')::int AS pending
      FROM tasker.steps WHERE task_uuid = ${task.taskUuid}`;
    expect(early).toEqual({ enqueued: 0, pending: 4 });
    expect(await invariantViolations(a.sql, task.taskUuid)).toEqual([]);

    const started = await waitStarted(task.taskUuid, 5_000);
    const lateMs = started.getTime() - runAt.getTime();
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(100);
    const read = await a.services.tasks.get(TEST_PRINCIPAL, task.taskUuid);
    expect([read.state, read.runAt?.toISOString(), read.execution.enqueuedSteps]).toEqual([
      'steps_in_process',
      runAt.toISOString(),
      1,
    ]);
    expect(await invariantViolations(a.sql, task.taskUuid)).toEqual([]);
  });

  it('starts a task no replica was told about within the pulse interval plus 100 ms (the poll fallback)', async () => {
    // Created on b, whose starter alone is woken for it; b stops before run_at, so a's pulse must find it.
    const runAt = new Date(Date.now() + 300);
    const task = await b.services.tasks.create(TEST_PRINCIPAL, input({ runAt }));
    await b.stop();
    try {
      const started = await waitStarted(task.taskUuid, 5_000);
      const lateMs = started.getTime() - runAt.getTime();
      expect(lateMs).toBeGreaterThanOrEqual(0);
      expect(lateMs).toBeLessThan(a.config.engine.pulse_interval_ms + 100);
    } finally {
      b = await attachTestRuntime(a);
    }
  });

  it('two replicas start each of 40 due tasks exactly once, and they run to completion', async () => {
    const runAt = new Date(Date.now() + 300);
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? a : b).services.tasks.create(TEST_PRINCIPAL, input({ runAt, context: { invoice_id: i + 1 } })),
      ),
    );
    const ids = created.map((t) => t.taskUuid);
    const controller = new AbortController();
    const workers = [a, b].map((r, i) =>
      runWorkerLoop(r.services, { handlers: { '*': () => ({}) }, signal: controller.signal, workerId: `w${i}` }),
    );
    try {
      for (const id of ids) await waitForTaskState(a.services, id, ['complete'], 20_000);
    } finally {
      controller.abort();
      await Promise.all(workers);
    }
    const starts = await a.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tasker.task_transitions
      WHERE task_uuid = ANY (${ids}::uuid[]) AND event = 'start>ready_steps_found>steps_enqueued' GROUP BY task_uuid`;
    expect(starts.map((r) => r.n)).toEqual(ids.map(() => 1));
    const [runs] = await a.sql<{ attempts: number }[]>`
      SELECT max(attempts)::int AS attempts FROM tasker.steps WHERE task_uuid = ANY (${ids}::uuid[])`;
    expect(runs?.attempts).toBe(1);
    for (const id of ids.slice(0, 5)) {
      expect(await historyProblems(a.sql, id)).toEqual([]);
      expect(await invariantViolations(a.sql, id)).toEqual([]);
    }
  });

  it('cancels a task waiting for its start time; the starter leaves it alone', async () => {
    const runAt = new Date(Date.now() + 300);
    const task = await a.services.tasks.create(TEST_PRINCIPAL, input({ runAt }));
    const cancelled = await a.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, {
      reason: 'not needed',
      performedBy: null,
    });
    expect([cancelled.state, cancelled.execution.cancelledSteps]).toEqual(['cancelled', 4]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await startedAt(task.taskUuid)).toBeNull();
    expect((await a.services.tasks.get(TEST_PRINCIPAL, task.taskUuid)).state).toBe('cancelled');
    expect(await invariantViolations(a.sql, task.taskUuid)).toEqual([]);
    expect(await historyProblems(a.sql, task.taskUuid)).toEqual([]);
  });

  it('starts a task with a past run_at at once, run_at = its creation time', async () => {
    const task = await a.services.tasks.create(TEST_PRINCIPAL, input({ runAt: new Date(Date.now() - 3_600_000) }));
    expect(task.state).toBe('steps_in_process');
    expect(task.runAt?.getTime()).toBe(task.createdAt.getTime());
  });

  it('counts the lifetime of a delayed task from its start, not its creation', async () => {
    const runAt = new Date(Date.now() + 200);
    const task = await a.services.tasks.create(TEST_PRINCIPAL, input({ runAt }));
    await waitStarted(task.taskUuid, 5000);
    // As if it had been created two days before it started: a lifetime of one day counted from creation has run
    // out, one counted from the start has not.
    await a.sql`UPDATE tasker.tasks SET created_at = created_at - interval '2 days' WHERE task_uuid = ${task.taskUuid}`;
    const stale = await detectStaleTasks(a.sql, {
      limit: 100,
      dryRun: true,
      dependenciesMinutes: 60,
      retryMinutes: 60,
      inProcessMinutes: 60,
      lifetimeHours: 24,
    });
    expect(stale.filter((r) => r.taskUuid === task.taskUuid)).toEqual([]);
    await a.sql`UPDATE tasker.tasks SET run_at = run_at - interval '2 days' WHERE task_uuid = ${task.taskUuid}`;
    const late = await detectStaleTasks(a.sql, {
      limit: 100,
      dryRun: true,
      dependenciesMinutes: 60,
      retryMinutes: 60,
      inProcessMinutes: 60,
      lifetimeHours: 24,
    });
    expect(late.filter((r) => r.taskUuid === task.taskUuid).map((r) => r.cause)).toEqual(['max_lifetime']);
  });

  it('refuses a start time beyond engine.max_start_delay_days, naming run_at', async () => {
    const days = a.config.engine.max_start_delay_days;
    const tooLate = new Date(Date.now() + (days + 1) * 86_400_000);
    await expect(a.services.tasks.create(TEST_PRINCIPAL, input({ runAt: tooLate }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { fields: [{ path: 'run_at' }] },
    });
    await expect(a.services.tasks.create(TEST_PRINCIPAL, input({ runAt: new Date(NaN) }))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

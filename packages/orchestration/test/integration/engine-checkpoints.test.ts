// Checkpoints (migration 0024): fenced by the lease token, bounded in size, shown in step reads, handed to a
// retried attempt by its claim, counted as progress by the staleness detector, and events of the task's stream.
import type { ClaimedStep, TaskStatusEvent } from '@tasker/shared';
import { isAppError } from '@tasker/shared/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteDueRetries, sweepExpiredLeases } from '../../src/repositories/dispatch.js';
import { detectStaleTasks } from '../../src/repositories/staleness.js';
import { registerFixtureTemplate, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

let rt: TestRuntime;
const WORKER = 'cp-worker';

beforeAll(async () => {
  rt = await startTestRuntime({
    // Small bounds, so the tests reach them; the background loops are held off so only the calls below move anything.
    dynamic: { checkpoint_max_bytes: 2048, checkpoint_history: 3 },
    staleness: { enabled: false },
    engine: { pulse_interval_ms: 60_000, poll_fallback_ms: 600_000 },
  });
});
afterAll(async () => rt?.stop());

/** A fresh `linear` task with its first step claimed. */
async function claimFirstStep(): Promise<ClaimedStep> {
  const t = await registerFixtureTemplate(rt.services, 'linear');
  const created = await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: t.namespace,
    name: t.name,
    version: t.version,
    context: { invoice_id: 1 },
    initiator: 'test',
    sourceSystem: 'test',
    reason: 'checkpoints',
  });
  for (let i = 0; i < 20; i += 1) {
    const claimed = await rt.services.workers.claim(TEST_PRINCIPAL, {
      workerId: WORKER,
      namespaces: [t.namespace],
      handlerNames: [],
      maxSteps: 10,
      waitMs: 200,
    });
    const mine = claimed.find((c) => c.taskUuid === created.taskUuid);
    if (mine !== undefined) return mine;
  }
  throw new Error('step not claimed');
}

function checkpoint(step: ClaimedStep, cursor: number, extra: { token?: string; results?: unknown } = {}) {
  return rt.services.workers.checkpoint(TEST_PRINCIPAL, {
    workerId: WORKER,
    stepUuid: step.stepUuid,
    leaseToken: extra.token ?? step.leaseToken,
    cursor: { offset: cursor },
    itemsProcessed: cursor,
    accumulatedResults: (extra.results ?? { sum: cursor }) as never,
  });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('expected a refusal');
}

async function storedCheckpoint(stepUuid: string): Promise<unknown> {
  const [row] = await rt.sql<
    { checkpoint: unknown }[]
  >`SELECT checkpoint FROM tasker.steps WHERE step_uuid = ${stepUuid}`;
  return row?.checkpoint ?? null;
}

describe('recording', () => {
  it('stores the checkpoint on the step, extends the lease, and shows it in step reads', async () => {
    const step = await claimFirstStep();
    const saved = await checkpoint(step, 10);
    expect(saved.leaseExpiresAt.getTime()).toBeGreaterThanOrEqual(step.leaseExpiresAt.getTime());
    expect(saved.checkpoint).toMatchObject({
      cursor: { offset: 10 },
      itemsProcessed: 10,
      accumulatedResults: { sum: 10 },
      attempt: 1,
    });
    const read = await rt.services.steps.get(TEST_PRINCIPAL, step.taskUuid, step.stepUuid);
    expect(read.checkpoint).toEqual(saved.checkpoint);
  });

  it('keeps a history ring of the last N checkpoints, oldest first', async () => {
    const step = await claimFirstStep();
    for (const c of [1, 2, 3, 4, 5]) await checkpoint(step, c);
    const read = await rt.services.steps.get(TEST_PRINCIPAL, step.taskUuid, step.stepUuid);
    expect(read.checkpoint?.history.map((h) => h.cursor)).toEqual([{ offset: 3 }, { offset: 4 }, { offset: 5 }]);
    expect(read.checkpoint?.cursor).toEqual({ offset: 5 });
  });
});

describe('fencing', () => {
  it('refuses the checkpoint of a stale attempt (lease expired and re-claimed) and writes nothing', async () => {
    const first = await claimFirstStep();
    await checkpoint(first, 5);
    // The lease lapses; the sweeper fails the attempt (retryable), the retry is promoted and claimed again.
    await rt.sql`UPDATE tasker.steps SET lease_expires_at = now() - interval '1 second' WHERE step_uuid = ${first.stepUuid}`;
    await sweepExpiredLeases(rt.sql, { limit: 100, multiplier: 1 });
    await rt.sql`UPDATE tasker.steps SET next_retry_at = now() - interval '1 second' WHERE step_uuid = ${first.stepUuid}`;
    await promoteDueRetries(rt.sql, 100);
    const [second] = await rt.services.workers.claim(TEST_PRINCIPAL, {
      workerId: 'cp-worker-2',
      namespaces: [first.namespace],
      handlerNames: [first.handler.callable],
      maxSteps: 1,
      waitMs: 1000,
    });
    expect(second?.stepUuid).toBe(first.stepUuid);
    const before = await storedCheckpoint(first.stepUuid);

    const refused = await refusal(checkpoint(first, 99));
    expect(refused).toEqual({ code: 'INVALID_STATE', details: { step_uuid: first.stepUuid, reason: 'lease_lost' } });
    expect(await storedCheckpoint(first.stepUuid)).toEqual(before);
    // The live attempt may.
    await expect(checkpoint(second!, 6)).resolves.toMatchObject({ checkpoint: { attempt: 2 } });
  });

  it('refuses an unknown token as lease_lost and a cancelled task as cancelled', async () => {
    const step = await claimFirstStep();
    const unknown = await refusal(checkpoint(step, 1, { token: '00000000-0000-4000-8000-000000000000' }));
    expect(unknown.details).toMatchObject({ reason: 'lease_lost' });
    await rt.services.tasks.cancel(TEST_PRINCIPAL, step.taskUuid, { reason: 'stop', performedBy: 'test' });
    const cancelled = await refusal(checkpoint(step, 2));
    expect(cancelled).toMatchObject({ code: 'INVALID_STATE', details: { reason: 'cancelled' } });
    expect(await storedCheckpoint(step.stepUuid)).toBeNull();
  });

  it('answers NOT_FOUND for a step that does not exist', async () => {
    const step = await claimFirstStep();
    const missing = await refusal(
      rt.services.workers.checkpoint(TEST_PRINCIPAL, {
        workerId: WORKER,
        stepUuid: '00000000-0000-4000-8000-000000000001',
        leaseToken: step.leaseToken,
        cursor: 1,
        itemsProcessed: 1,
        accumulatedResults: null,
      }),
    );
    expect(missing.code).toBe('NOT_FOUND');
  });
});

describe('size bound', () => {
  it('refuses a checkpoint over dynamic.checkpoint_max_bytes, naming the larger field, and writes nothing', async () => {
    const step = await claimFirstStep();
    const refused = await refusal(checkpoint(step, 1, { results: { rows: 'x'.repeat(3000) } }));
    expect(refused.code).toBe('VALIDATION_FAILED');
    const fields = (refused.details as { fields: { path: string; message: string }[] }).fields;
    expect(fields).toHaveLength(1);
    expect(fields[0]!.path).toBe('accumulated_results');
    expect(fields[0]!.message).toContain('dynamic.checkpoint_max_bytes');
    expect(await storedCheckpoint(step.stepUuid)).toBeNull();
    // Just under the limit is fine.
    await expect(checkpoint(step, 1, { results: { rows: 'x'.repeat(1900) } })).resolves.toBeDefined();
  });
});

describe('resume', () => {
  it('hands the last checkpoint to the retried attempt with its claim', async () => {
    const first = await claimFirstStep();
    await checkpoint(first, 40);
    await rt.services.workers.fail(TEST_PRINCIPAL, {
      workerId: WORKER,
      stepUuid: first.stepUuid,
      leaseToken: first.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'crashed half way',
        errorType: 'test',
        retryable: true,
        statusCode: null,
        backtrace: null,
        context: null,
        retryAfterSeconds: null,
      },
    });
    await rt.sql`UPDATE tasker.steps SET next_retry_at = now() - interval '1 second' WHERE step_uuid = ${first.stepUuid}`;
    await promoteDueRetries(rt.sql, 100);
    const [retried] = await rt.services.workers.claim(TEST_PRINCIPAL, {
      workerId: WORKER,
      namespaces: [first.namespace],
      handlerNames: [first.handler.callable],
      maxSteps: 1,
      waitMs: 1000,
    });
    expect(retried?.stepUuid).toBe(first.stepUuid);
    expect(retried?.attempt).toBe(2);
    expect(retried?.checkpoint).toMatchObject({ cursor: { offset: 40 }, itemsProcessed: 40, attempt: 1 });
  });

  it('a first claim carries no checkpoint', async () => {
    const step = await claimFirstStep();
    expect(step.checkpoint).toBeNull();
  });
});

describe('staleness', () => {
  it('counts a checkpoint as progress: a step quiet for two hours is stale, one that checkpointed now is not', async () => {
    const quiet = await claimFirstStep();
    const busy = await claimFirstStep();
    for (const s of [quiet, busy]) {
      await rt.sql.begin(async (tx) => {
        await tx`UPDATE tasker.tasks SET state_entered_at = state_entered_at - interval '2 hours',
                   updated_at = updated_at - interval '2 hours', created_at = created_at - interval '2 hours',
                   requested_at = requested_at - interval '2 hours'
                 WHERE task_uuid = ${s.taskUuid}`;
        await tx`UPDATE tasker.steps SET updated_at = updated_at - interval '2 hours',
                   created_at = created_at - interval '2 hours', enqueued_at = enqueued_at - interval '2 hours',
                   last_attempted_at = last_attempted_at - interval '2 hours',
                   lease_expires_at = lease_expires_at - interval '2 hours'
                 WHERE task_uuid = ${s.taskUuid}`;
      });
    }
    await checkpoint(busy, 7);
    const [updated] = await rt.sql<{ updated_at: Date }[]>`
      SELECT updated_at FROM tasker.steps WHERE step_uuid = ${busy.stepUuid}`;
    expect(Date.now() - updated!.updated_at.getTime()).toBeLessThan(60_000);
    const stale = await detectStaleTasks(rt.sql, {
      limit: 1000,
      dryRun: true,
      dependenciesMinutes: 60,
      retryMinutes: 60,
      inProcessMinutes: 60,
      lifetimeHours: 24,
    });
    const staleTasks = stale.map((s) => s.taskUuid);
    expect(staleTasks).toContain(quiet.taskUuid);
    expect(staleTasks).not.toContain(busy.taskUuid);
  });
});

describe('events', () => {
  async function collect(taskUuid: string, until: (e: TaskStatusEvent) => boolean): Promise<TaskStatusEvent[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    const seen: TaskStatusEvent[] = [];
    try {
      for await (const e of rt.services.taskEvents.watch(TEST_PRINCIPAL, taskUuid, {
        includeSteps: true,
        signal: controller.signal,
      })) {
        seen.push(e);
        if (until(e)) break;
      }
    } finally {
      clearTimeout(timer);
    }
    return seen;
  }

  it('streams batch.worker_checkpointed live and in a replay, in event order', async () => {
    const step = await claimFirstStep();
    const live = collect(step.taskUuid, (e) => e.type === 'batch.worker_checkpointed');
    await new Promise((r) => setTimeout(r, 200));
    await checkpoint(step, 3);
    const events = await live;
    const cp = events.at(-1)!;
    expect(cp).toMatchObject({
      type: 'batch.worker_checkpointed',
      taskUuid: step.taskUuid,
      step: { stepUuid: step.stepUuid, name: step.stepName, state: 'in_progress', attempt: 1 },
    });

    await checkpoint(step, 4);
    const replay = await collect(
      step.taskUuid,
      (e) => e.type === 'batch.worker_checkpointed' && e.eventId > cp.eventId,
    );
    const checkpoints = replay.filter((e) => e.type === 'batch.worker_checkpointed');
    expect(checkpoints).toHaveLength(2);
    expect(checkpoints[0]!.eventId).toBe(cp.eventId);
    const ids = replay.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

// Claims under contention, long-poll wake-ups, heartbeats, releases and the worker registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedStep } from '@tasker/shared';
import {
  historyProblems,
  invariantViolations,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;

const WIDE_ROOTS = 25;
const WIDE = {
  name: 'wide_fanout',
  namespace_name: 'wide',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: [
    ...Array.from({ length: WIDE_ROOTS }, (_, i) => ({ name: `root_${i}`, handler: { callable: 'Wide.Root' } })),
    {
      name: 'join',
      handler: { callable: 'Wide.Join' },
      dependencies: Array.from({ length: WIDE_ROOTS }, (_, i) => `root_${i}`),
    },
  ],
};
const SINGLE = {
  name: 'single',
  namespace_name: 'single',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: [{ name: 'only', handler: { callable: 'Single.Only' } }],
};
const TASK = { initiator: 't', sourceSystem: 't', reason: 't' };

beforeAll(async () => {
  rt = await startTestRuntime({ engine: { max_claim_batch: 8 } });
  await rt.services.templates.register(TEST_PRINCIPAL, [WIDE, SINGLE], { force: false });
});

afterAll(async () => {
  await rt?.stop();
});

function claimInput(workerId: string, namespace: string, maxSteps: number, waitMs: number) {
  return { workerId, namespaces: [namespace], handlerNames: [], maxSteps, waitMs };
}

describe('claims', () => {
  it('20 concurrent claimers over 500 ready steps: every step claimed exactly once', async () => {
    const tasks = await Promise.all(
      Array.from({ length: 500 / WIDE_ROOTS }, (_, i) =>
        rt.services.tasks.create(TEST_PRINCIPAL, {
          ...TASK,
          namespace: 'wide',
          name: 'wide_fanout',
          version: '1.0.0',
          context: { i },
        }),
      ),
    );
    const claimed: ClaimedStep[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        for (;;) {
          const batch = await rt.services.workers.claim(TEST_PRINCIPAL, claimInput(`claimer-${c}`, 'wide', 7, 0));
          if (batch.length === 0) return;
          claimed.push(...batch);
        }
      }),
    );
    const ids = claimed.map((s) => s.stepUuid);
    expect(ids).toHaveLength(500);
    expect(new Set(ids).size).toBe(500);
    expect(claimed.every((s) => s.stepName.startsWith('root_') && s.attempt === 1)).toBe(true);
    // A running attempt is its step row (lease token, holder); its attempt row is written when it ends.
    const [counts] = await rt.sql<{ attempts: number; in_progress: number; enqueued: number }[]>`
      SELECT (SELECT count(DISTINCT lease_token)::int FROM tasker.steps WHERE state = 'in_progress') AS attempts,
             (SELECT count(*)::int FROM tasker.steps WHERE state = 'in_progress') AS in_progress,
             (SELECT count(*)::int FROM tasker.steps WHERE state = 'enqueued') AS enqueued`;
    expect(counts).toEqual({ attempts: 500, in_progress: 500, enqueued: 0 });
    for (const t of tasks) expect(await invariantViolations(rt.sql, t.taskUuid)).toEqual([]);
    await Promise.all(
      tasks.map((t) => rt.services.tasks.cancel(TEST_PRINCIPAL, t.taskUuid, { reason: 'cleanup', performedBy: null })),
    );
  });

  it('a waiting long-poll wakes as soon as work is enqueued, and returns [] on abort or timeout', async () => {
    const started = Date.now();
    const waiting = rt.services.workers.claim(TEST_PRINCIPAL, claimInput('poller', 'single', 1, 2000));
    await new Promise((r) => setTimeout(r, 100));
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'single',
      name: 'single',
      version: '1.0.0',
      context: {},
    });
    const createdAt = Date.now();
    const [step] = await waiting;
    const wokeAfter = Date.now() - createdAt;
    expect(step?.taskUuid).toBe(task.taskUuid);
    // Woken by NOTIFY, not by the 250 ms poll fallback.
    expect(wokeAfter).toBeLessThan(150);
    expect(Date.now() - started).toBeLessThan(1000);

    const controller = new AbortController();
    const aborted = rt.services.workers.claim(
      TEST_PRINCIPAL,
      claimInput('poller', 'single', 1, 2000),
      controller.signal,
    );
    setTimeout(() => controller.abort(), 100);
    const abortStart = Date.now();
    expect(await aborted).toEqual([]);
    expect(Date.now() - abortStart).toBeLessThan(500);

    const timeoutStart = Date.now();
    expect(await rt.services.workers.claim(TEST_PRINCIPAL, claimInput('poller', 'single', 1, 300))).toEqual([]);
    expect(Date.now() - timeoutStart).toBeGreaterThanOrEqual(290);
    await rt.services.tasks.cancel(TEST_PRINCIPAL, task.taskUuid, { reason: 'cleanup', performedBy: null });
  });

  it('heartbeats extend a lease; release hands the step back without spending an attempt', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'single',
      name: 'single',
      version: '1.0.0',
      context: {},
    });
    const [step] = await rt.services.workers.claim(TEST_PRINCIPAL, claimInput('hb', 'single', 1, 1000));
    if (step === undefined) throw new Error('nothing claimed');
    await new Promise((r) => setTimeout(r, 300));
    const [beat] = await rt.services.workers.heartbeat(TEST_PRINCIPAL, {
      workerId: 'hb',
      leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }],
    });
    expect(beat?.status).toBe('valid');
    expect(beat?.leaseExpiresAt?.getTime()).toBeGreaterThan(step.leaseExpiresAt.getTime() + 200);

    const released = await rt.services.workers.release(TEST_PRINCIPAL, {
      workerId: 'hb',
      leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }],
    });
    expect(released).toEqual([{ stepUuid: step.stepUuid, status: 'valid', leaseExpiresAt: null }]);
    const [stale] = await rt.services.workers.heartbeat(TEST_PRINCIPAL, {
      workerId: 'hb',
      leases: [{ stepUuid: step.stepUuid, leaseToken: step.leaseToken }],
    });
    expect(stale?.status).toBe('lost');
    await expect(
      rt.services.workers.complete(TEST_PRINCIPAL, {
        workerId: 'hb',
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: {},
        executionTimeMs: 1,
        metadata: null,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'lease lost', details: { step_uuid: step.stepUuid } });

    const [again] = await rt.services.workers.claim(TEST_PRINCIPAL, claimInput('hb2', 'single', 1, 1000));
    expect(again).toMatchObject({ stepUuid: step.stepUuid, attempt: 1 });
    expect(again?.leaseToken).not.toBe(step.leaseToken);
    const ack = await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: 'hb2',
      stepUuid: step.stepUuid,
      leaseToken: again?.leaseToken ?? '',
      result: { done: true },
      executionTimeMs: 3,
      metadata: null,
    });
    expect(ack).toEqual({ stepUuid: step.stepUuid, stepState: 'complete', taskState: 'complete', nextRetryAt: null });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('registers workers and reports liveness from claims and heartbeats', async () => {
    const info = await rt.services.workers.register(TEST_PRINCIPAL, {
      workerId: 'registry-1',
      hostname: 'box',
      version: '1.2.3',
      namespaces: ['single'],
      handlers: ['Single.Only'],
      metadata: { zone: 'a' },
    });
    expect(info).toMatchObject({ workerId: 'registry-1', live: true, namespaces: ['single'], metadata: { zone: 'a' } });
    await rt.sql`UPDATE tasker.workers SET last_seen_at = now() - interval '1 hour' WHERE worker_id = 'registry-1'`;
    expect((await rt.services.workers.list(TEST_PRINCIPAL)).find((w) => w.workerId === 'registry-1')?.live).toBe(false);
    await rt.services.workers.claim(TEST_PRINCIPAL, claimInput('registry-1', 'single', 1, 0));
    expect((await rt.services.workers.list(TEST_PRINCIPAL)).find((w) => w.workerId === 'registry-1')?.live).toBe(true);
    // Scoped principals only see workers of their namespaces.
    const scoped = { ...TEST_PRINCIPAL, namespaces: ['elsewhere'] };
    expect(await rt.services.workers.list(scoped)).toEqual([]);
    await expect(
      rt.services.workers.register(scoped, {
        workerId: 'intruder',
        hostname: 'h',
        version: '1',
        namespaces: ['single'],
        handlers: [],
        metadata: {},
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

// DLQ reason worker_unavailable (tasker.detect_worker_unavailable, migration 0022): tasks whose enqueued steps
// waited past dlq.worker_unavailable.after_seconds in a namespace no live worker serves get ONE entry each,
// batch-limited, never repeated, the task unchanged; a namespace with a live (even busy) worker gets none; the
// entry closes itself as cancelled once a worker is back or the task stops waiting, and yields to
// max_retries_exceeded when the task gives up. Time is moved by ageing rows, never by sleeping.
import { dlqEntryFromProto, dlqInvestigationItemFromProto } from '@tasker/shared/convert/proto/index';
import { dlqEntryFromRest, dlqInvestigationItemFromRest } from '@tasker/shared/convert/rest/index';
import { DlqReason as PbDlqReason } from '@tasker/shared/gen/tasker/v1/common';
import { DlqEntrySchema, DlqInvestigationQueueResponseSchema } from '@tasker/shared/schemas/rest/index';
import type { Config } from '@tasker/shared/config';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { detectWorkerUnavailable, type WorkerUnavailableFinding } from '../../src/repositories/worker-availability.js';
import { useGrpcRuntime } from './helpers/grpc-client.js';
import {
  attachTestRuntime,
  invariantViolations,
  stopWorkerLoops,
  TEST_PRINCIPAL,
  waitForTaskState,
  type TestRuntime,
} from './helpers/runtime.js';

// The runtime's own detector is off: each test runs the rounds itself, so "the next round" is exact.
const h = useGrpcRuntime({ config: { dlq: { worker_unavailable: { enabled: false } } } });
const AFTER_SECONDS = 300;
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildRestApp(h.services, { ...h.config, auth: { ...h.config.auth, enabled: false } } as Config);
});
afterAll(async () => {
  await closeApp(app, 1_000);
});
afterEach(stopWorkerLoops);

/** A one-step template (step `only`, handler `<ns>.Only`) in its own namespace, so tests never see each other's tasks. */
async function namespaceWithTemplate(namespace: string, retry = ''): Promise<void> {
  await h.services.templates.register(
    TEST_PRINCIPAL,
    [
      `name: waits\nnamespace_name: ${namespace}\nversion: 1.0.0\nidentity_strategy: always_unique\nsteps:\n  - {name: only, handler: {callable: ${namespace}.Only}, dependencies: []${retry}}\n`,
    ],
    { force: false },
  );
}

async function createTask(namespace: string): Promise<string> {
  const task = await h.services.tasks.create(TEST_PRINCIPAL, {
    namespace,
    name: 'waits',
    version: '1.0.0',
    context: {},
    initiator: 'i',
    sourceSystem: 's',
    reason: 'r',
  });
  return task.taskUuid;
}

/** Moves the enqueue time of every enqueued step of `namespace` `minutes` into the past. */
async function ageSteps(namespace: string, minutes: number): Promise<void> {
  await h.runtime.sql`UPDATE tasker.steps SET enqueued_at = now() - make_interval(mins => ${minutes})
                      WHERE namespace = ${namespace} AND state = 'enqueued'`;
}

async function registerWorker(workerId: string, namespaces: string[], lastSeenMinutesAgo = 0): Promise<void> {
  await h.services.workers.register(TEST_PRINCIPAL, {
    workerId,
    hostname: 'h',
    version: '1',
    namespaces,
    handlers: [],
    metadata: {},
  });
  await h.runtime
    .sql`UPDATE tasker.workers SET last_seen_at = now() - make_interval(mins => ${lastSeenMinutesAgo}) WHERE worker_id = ${workerId}`;
}

function round(
  options: { limit?: number; dryRun?: boolean; sql?: TestRuntime['sql'] } = {},
): Promise<WorkerUnavailableFinding[]> {
  return detectWorkerUnavailable(options.sql ?? h.runtime.sql, {
    afterSeconds: AFTER_SECONDS,
    livenessSeconds: h.config.engine.worker_liveness_seconds,
    limit: options.limit ?? 100,
    dryRun: options.dryRun ?? false,
  });
}

const of = (findings: WorkerUnavailableFinding[], namespace: string, action: WorkerUnavailableFinding['action']) =>
  findings.filter((f) => f.namespace === namespace && f.action === action);

async function entriesOf(taskUuid: string) {
  return h.runtime.sql<
    {
      reason: string;
      resolution_status: string;
      resolved_by: string | null;
      resolution_notes: string | null;
      original_state: string;
    }[]
  >`
    SELECT reason, resolution_status, resolved_by, resolution_notes, original_state FROM tasker.dlq_entries
    WHERE task_uuid = ${taskUuid} ORDER BY dlq_timestamp, created_at`;
}

async function taskTransitions(taskUuid: string): Promise<number> {
  const [row] = await h.runtime.sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM tasker.task_transitions WHERE task_uuid = ${taskUuid}`;
  return row?.n ?? 0;
}

describe('worker_unavailable detection', () => {
  it('opens one entry per waiting task after the configured time, batch-limited, and not again on the next round', async () => {
    await namespaceWithTemplate('wu_nobody');
    const tasks = [await createTask('wu_nobody'), await createTask('wu_nobody'), await createTask('wu_nobody')];
    const transitionsBefore = await Promise.all(tasks.map(taskTransitions));

    // Waiting 4 minutes: under after_seconds (5 min), nothing yet.
    await ageSteps('wu_nobody', 4);
    expect(of(await round(), 'wu_nobody', 'opened')).toEqual([]);

    await ageSteps('wu_nobody', 10);
    const first = of(await round({ limit: 2 }), 'wu_nobody', 'opened');
    expect(first).toHaveLength(2);
    for (const f of first) {
      expect(f).toMatchObject({
        state: 'steps_in_process',
        stepsWaiting: 1,
        lastWorkerSeenAt: null,
        applied: true,
        dlqEntryUuid: expect.any(String),
      });
      expect(f.waitingSince!.getTime()).toBeLessThan(Date.now() - 9 * 60_000);
    }
    const second = of(await round({ limit: 2 }), 'wu_nobody', 'opened');
    expect(second.map((f) => f.taskUuid)).toEqual(tasks.filter((t) => !first.some((f) => f.taskUuid === t)));
    expect(of(await round(), 'wu_nobody', 'opened')).toEqual([]);
    expect(of(await round(), 'wu_nobody', 'closed')).toEqual([]);

    for (const [i, taskUuid] of tasks.entries()) {
      expect(await entriesOf(taskUuid)).toEqual([
        {
          reason: 'worker_unavailable',
          resolution_status: 'pending',
          resolved_by: null,
          resolution_notes: null,
          original_state: 'steps_in_process',
        },
      ]);
      // The task is not changed: same state, no transition written.
      expect((await h.services.tasks.get(TEST_PRINCIPAL, taskUuid)).state).toBe('steps_in_process');
      expect(await taskTransitions(taskUuid)).toBe(transitionsBefore[i]);
      expect(await invariantViolations(h.runtime.sql, taskUuid)).toEqual([]);
    }
    const [snapshot] = await h.runtime.sql<{ s: Record<string, unknown> }[]>`
      SELECT task_snapshot->'worker_unavailable' AS s FROM tasker.dlq_entries WHERE task_uuid = ${tasks[0]!}`;
    expect(snapshot?.s).toMatchObject({
      namespace: 'wu_nobody',
      steps_waiting: 1,
      last_worker_seen_at: null,
      after_seconds: AFTER_SECONDS,
    });
  });

  it('leaves a namespace with a live worker alone, busy or not; counts workers gone for good', async () => {
    for (const ns of ['wu_busy', 'wu_gone', 'wu_recent']) await namespaceWithTemplate(ns);
    const busy = await createTask('wu_busy');
    const gone = await createTask('wu_gone');
    const recent = await createTask('wu_recent');
    // Live (seen now) but claiming nothing of ours: just busy.
    await registerWorker('wu-busy-worker', ['wu_busy']);
    // Last seen 20 minutes ago: dead for far longer than after_seconds.
    await registerWorker('wu-gone-worker', ['wu_gone'], 20);
    // Last seen 2 minutes ago: not live any more, but not yet missing for after_seconds.
    await registerWorker('wu-recent-worker', ['wu_recent'], 2);
    for (const ns of ['wu_busy', 'wu_gone', 'wu_recent']) await ageSteps(ns, 30);

    const findings = await round();
    expect(of(findings, 'wu_busy', 'opened')).toEqual([]);
    expect(of(findings, 'wu_recent', 'opened')).toEqual([]);
    expect(of(findings, 'wu_gone', 'opened')).toEqual([expect.objectContaining({ taskUuid: gone, applied: true })]);
    expect(of(findings, 'wu_gone', 'opened')[0]?.lastWorkerSeenAt).toBeInstanceOf(Date);
    for (const t of [busy, recent]) expect(await entriesOf(t)).toEqual([]);
  });

  it('counts a live worker registered without namespaces (it claims from all of them) as serving every namespace', async () => {
    await namespaceWithTemplate('wu_catchall');
    const served = await createTask('wu_catchall');
    await ageSteps('wu_catchall', 30);
    await registerWorker('wu-everything', []);
    try {
      expect(of(await round(), 'wu_catchall', 'opened')).toEqual([]);
      expect(await entriesOf(served)).toEqual([]);
    } finally {
      await h.runtime.sql`DELETE FROM tasker.workers WHERE worker_id = 'wu-everything'`;
      await h.services.tasks.cancel(TEST_PRINCIPAL, served, { reason: 'done', performedBy: 'test' });
    }
  });

  it('a dry run reports without writing', async () => {
    await namespaceWithTemplate('wu_dry');
    const task = await createTask('wu_dry');
    await ageSteps('wu_dry', 30);
    const report = of(await round({ dryRun: true }), 'wu_dry', 'opened');
    expect(report).toEqual([expect.objectContaining({ taskUuid: task, applied: false, dlqEntryUuid: null })]);
    expect(await entriesOf(task)).toEqual([]);
    await h.services.tasks.cancel(TEST_PRINCIPAL, task, { reason: 'done', performedBy: 'test' });
  });

  it('is safe with several replicas running a round at once: still one entry per task', async () => {
    await namespaceWithTemplate('wu_replicas');
    const tasks = await Promise.all(Array.from({ length: 6 }, () => createTask('wu_replicas')));
    await ageSteps('wu_replicas', 30);
    const replica = await attachTestRuntime(h.runtime, { dlq: { worker_unavailable: { enabled: false } } });
    try {
      const rounds = await Promise.all([round(), round({ sql: replica.sql }), round(), round({ sql: replica.sql })]);
      const opened = rounds.flatMap((r) => of(r, 'wu_replicas', 'opened').filter((f) => f.applied));
      expect(opened.map((f) => f.taskUuid).sort()).toEqual([...tasks].sort());
      for (const t of tasks) expect((await entriesOf(t)).map((e) => e.reason)).toEqual(['worker_unavailable']);
    } finally {
      await replica.stop();
    }
  });

  it('closes the entry as cancelled when a worker becomes available, or when the task stops waiting', async () => {
    await namespaceWithTemplate('wu_back');
    const back = await createTask('wu_back');
    await namespaceWithTemplate('wu_ends');
    const ends = await createTask('wu_ends');
    await ageSteps('wu_back', 30);
    await ageSteps('wu_ends', 30);
    await round();
    expect((await entriesOf(back)).map((e) => e.resolution_status)).toEqual(['pending']);

    await registerWorker('wu-back-worker', ['wu_back']);
    await h.services.tasks.cancel(TEST_PRINCIPAL, ends, { reason: 'no longer needed', performedBy: 'test' });
    const findings = await round();
    expect(of(findings, 'wu_back', 'closed')).toEqual([
      expect.objectContaining({ taskUuid: back, notes: 'a worker became available', applied: true }),
    ]);
    expect(of(findings, 'wu_ends', 'closed')).toEqual([
      expect.objectContaining({ taskUuid: ends, notes: 'the task ended (cancelled)', applied: true }),
    ]);
    expect(await entriesOf(back)).toEqual([
      expect.objectContaining({
        reason: 'worker_unavailable',
        resolution_status: 'cancelled',
        resolved_by: 'worker_unavailable_detector',
        resolution_notes: 'a worker became available',
      }),
    ]);
    // Still waiting (the worker has not claimed it yet), but a live worker is there: nothing reopens.
    expect(of(await round(), 'wu_back', 'opened')).toEqual([]);
    expect((await h.services.tasks.get(TEST_PRINCIPAL, back)).state).toBe('steps_in_process');
    await h.services.tasks.cancel(TEST_PRINCIPAL, back, { reason: 'done', performedBy: 'test' });
  });

  it('yields to max_retries_exceeded when a returning worker fails the step for good before the next round', async () => {
    await namespaceWithTemplate('wu_fails', ', retry: {retryable: false, max_attempts: 1}');
    const task = await createTask('wu_fails');
    await ageSteps('wu_fails', 30);
    await round();
    const [step] = await h.services.workers.claim(TEST_PRINCIPAL, {
      workerId: 'wu-fails-worker',
      namespaces: ['wu_fails'],
      handlerNames: [],
      maxSteps: 1,
      waitMs: 0,
    });
    expect(step?.taskUuid).toBe(task);
    await h.services.workers.fail(TEST_PRINCIPAL, {
      workerId: 'wu-fails-worker',
      stepUuid: step!.stepUuid,
      leaseToken: step!.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'no',
        errorType: 'rejected',
        retryable: false,
        retryAfterSeconds: null,
        statusCode: null,
        backtrace: null,
        context: null,
      },
    });
    await waitForTaskState(h.services, task, ['error']);
    expect(await entriesOf(task)).toEqual([
      expect.objectContaining({
        reason: 'worker_unavailable',
        resolution_status: 'cancelled',
        resolved_by: 'engine',
        resolution_notes: 'superseded: the task gave up (max_retries_exceeded)',
      }),
      expect.objectContaining({ reason: 'max_retries_exceeded', resolution_status: 'pending' }),
    ]);
    expect(of(await round(), 'wu_fails', 'closed')).toEqual([]);
  });

  it('shows through the REST and gRPC DLQ reads alike, and in the investigation queue with base score 50', async () => {
    await namespaceWithTemplate('wu_read');
    const task = await createTask('wu_read');
    await ageSteps('wu_read', 30);
    await round();

    const rest = await app.inject({ method: 'GET', url: `/v1/dlq/task/${task}` });
    expect(rest.statusCode).toBe(200);
    const fromRest = dlqEntryFromRest(DlqEntrySchema.parse(rest.json()));
    const grpc = await h.clients.dlq.getEntryByTask({ taskUuid: task });
    expect(grpc.entry?.dlqReason).toBe(PbDlqReason.DLQ_REASON_WORKER_UNAVAILABLE);
    expect(rest.json()).toMatchObject({ dlq_reason: 'worker_unavailable', resolution_status: 'pending' });
    expect(dlqEntryFromProto(grpc.entry)).toEqual(fromRest);
    expect(fromRest).toMatchObject({
      reason: 'worker_unavailable',
      originalState: 'steps_in_process',
      taskSnapshot: { worker_unavailable: { namespace: 'wu_read' } },
    });

    const queue = await app.inject({ method: 'GET', url: '/v1/dlq/investigation-queue?limit=100' });
    const restItem = DlqInvestigationQueueResponseSchema.parse(queue.json())
      .map(dlqInvestigationItemFromRest)
      .find((i) => i.taskUuid === task);
    const grpcItem = (await h.clients.dlq.getInvestigationQueue({ limit: 100 })).entries
      .map((e) => dlqInvestigationItemFromProto(e))
      .find((i) => i.taskUuid === task);
    expect(restItem).toMatchObject({
      reason: 'worker_unavailable',
      namespace: 'wu_read',
      currentState: 'steps_in_process',
    });
    expect(restItem!.priorityScore).toBeGreaterThanOrEqual(50);
    expect(restItem!.priorityScore).toBeLessThan(52);
    expect(grpcItem).toMatchObject({ reason: 'worker_unavailable', dlqEntryUuid: restItem!.dlqEntryUuid });
    await h.services.tasks.cancel(TEST_PRINCIPAL, task, { reason: 'done', performedBy: 'test' });
  });

  it('runs as an engine loop when enabled', async () => {
    await namespaceWithTemplate('wu_loop');
    const task = await createTask('wu_loop');
    await ageSteps('wu_loop', 30);
    const replica = await attachTestRuntime(h.runtime, {
      dlq: { worker_unavailable: { enabled: true, interval_ms: 50 } },
    });
    try {
      const deadline = Date.now() + 5000;
      while ((await entriesOf(task)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect((await entriesOf(task)).map((e) => [e.reason, e.resolution_status])).toEqual([
        ['worker_unavailable', 'pending'],
      ]);
      expect((await replica.services.health.detailed()).checks).toHaveProperty('worker_unavailable_detector');
    } finally {
      await replica.stop();
    }
  });
});

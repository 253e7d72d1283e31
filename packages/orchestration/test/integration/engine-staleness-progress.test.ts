// Staleness measures lack of progress, never a long step: a live lease (heartbeats), a retry whose
// next_retry_at is still ahead, or any task event keeps a task healthy; the max lifetime stays an absolute cap.
// A task closed as stale stops the work under it in the same transaction (its workers read `cancelled`), and
// the template's lifecycle chooses what closing means (staleness_action, auto_fail_on_timeout,
// auto_dlq_on_timeout). Time is moved by shifting the task's timestamps back, never by sleeping; the lease
// sweeper, the retry promoter and the detector loop are held off so only the calls below move anything.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { JsonObject } from '@tasker/shared';
import { loadConfig, type Config } from '@tasker/shared/config';
import { stalenessEffectOf } from '@tasker/shared/domain/staleness';
import type { TemplateLifecycle } from '@tasker/shared';
import { isAppError } from '@tasker/shared/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectStaleTasks, type StaleTask } from '../../src/repositories/staleness.js';
import {
  historyProblems,
  invariantViolations,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';
import { databaseNow, minutesBefore, seedTask, seedTemplate } from './helpers/seed.js';

let rt: TestRuntime;
const NS = 'stale';
const REQUEST = { initiator: 'i', sourceSystem: 's', reason: 'r', context: {} };
const WORKER = 'stale-worker';
const SHIPPED = {
  development: loadConfig({ env: { TASKER_ENV: 'development' } }),
  production: loadConfig({ env: { TASKER_ENV: 'production' } }),
  // default.yaml without an overlay (what an unnamed environment gets).
  base: loadConfig({ env: { TASKER_ENV: 'test' }, overrides: { staleness: { thresholds: defaultThresholds() } } }),
};

function defaultThresholds(): Config['staleness']['thresholds'] {
  const text = readFileSync(new URL('../../../../config/default.yaml', import.meta.url), 'utf8');
  return (parseYaml(text) as { staleness: { thresholds: Config['staleness']['thresholds'] } }).staleness.thresholds;
}

beforeAll(async () => {
  rt = await startTestRuntime({
    // The runtime's own thresholds (monitoring, registration warnings): the test overlay's, with a 3-hour lifetime.
    staleness: { enabled: false, thresholds: { task_max_lifetime_hours: 3 } },
    // The sweeper would fail an aged lease, and the promoter promote an aged retry, before the detector looks.
    engine: { pulse_interval_ms: 60_000, poll_fallback_ms: 600_000 },
  });
});

afterAll(async () => {
  await rt?.stop();
});

let templates = 0;
/** Registers a one-step (or `steps`-step chain) template in namespace `stale`; returns its create input. */
async function template(
  options: { timeoutSeconds?: number; retry?: JsonObject; lifecycle?: JsonObject; steps?: number } = {},
) {
  templates += 1;
  const name = `stale_${templates}`;
  const steps = Array.from({ length: options.steps ?? 1 }, (_, i) => ({
    name: `s${i}`,
    handler: { callable: `Stale.S${i}` },
    dependencies: i === 0 ? [] : [`s${i - 1}`],
    ...(options.timeoutSeconds === undefined ? {} : { timeout_seconds: options.timeoutSeconds }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  }));
  const [registration] = await rt.services.templates.register(
    TEST_PRINCIPAL,
    [
      {
        name,
        namespace_name: NS,
        version: '1.0.0',
        identity_strategy: 'always_unique',
        steps,
        ...(options.lifecycle === undefined ? {} : { lifecycle: options.lifecycle }),
      },
    ],
    { force: false },
  );
  return { registration, create: { namespace: NS, name, version: '1.0.0', ...REQUEST } };
}

/** As if `minutes` passed with nothing happening: every timestamp of the task and its steps moves back. */
async function shiftBack(taskUuid: string, minutes: number): Promise<void> {
  await rt.sql.begin(async (tx) => {
    await tx`UPDATE tasker.tasks SET created_at = created_at - make_interval(mins => ${minutes}),
               requested_at = requested_at - make_interval(mins => ${minutes}),
               state_entered_at = state_entered_at - make_interval(mins => ${minutes}),
               updated_at = updated_at - make_interval(mins => ${minutes})
             WHERE task_uuid = ${taskUuid}`;
    await tx`UPDATE tasker.steps SET created_at = created_at - make_interval(mins => ${minutes}),
               updated_at = updated_at - make_interval(mins => ${minutes}),
               enqueued_at = enqueued_at - make_interval(mins => ${minutes}),
               last_attempted_at = last_attempted_at - make_interval(mins => ${minutes}),
               last_failure_at = last_failure_at - make_interval(mins => ${minutes}),
               next_retry_at = next_retry_at - make_interval(mins => ${minutes}),
               lease_expires_at = lease_expires_at - make_interval(mins => ${minutes})
             WHERE task_uuid = ${taskUuid}`;
  });
}

/** One detector run with the thresholds of `config` (the shipped overlays unless a test says otherwise). */
async function detect(config: Config, dryRun = false): Promise<StaleTask[]> {
  const t = config.staleness.thresholds;
  return detectStaleTasks(rt.sql, {
    limit: 100,
    dryRun,
    dependenciesMinutes: t.waiting_for_dependencies_minutes,
    retryMinutes: t.waiting_for_retry_minutes,
    inProcessMinutes: t.steps_in_process_minutes,
    lifetimeHours: t.task_max_lifetime_hours,
  });
}

const forTask = (rows: StaleTask[], taskUuid: string) => rows.filter((r) => r.taskUuid === taskUuid);

async function claimOne(taskUuid: string) {
  for (let i = 0; i < 20; i += 1) {
    const claimed = await rt.services.workers.claim(TEST_PRINCIPAL, {
      workerId: WORKER,
      namespaces: [NS],
      handlerNames: [],
      maxSteps: 10,
      waitMs: 200,
    });
    const mine = claimed.find((c) => c.taskUuid === taskUuid);
    if (mine !== undefined) return mine;
  }
  throw new Error(`nothing of ${taskUuid} claimed`);
}

async function taskRow(taskUuid: string) {
  const [row] = await rt.sql<{ state: string; entries: number; reasons: string[] }[]>`
    SELECT t.state, (SELECT count(*)::int FROM tasker.dlq_entries d WHERE d.task_uuid = t.task_uuid) AS entries,
           coalesce((SELECT array_agg(d.reason::text) FROM tasker.dlq_entries d WHERE d.task_uuid = t.task_uuid), '{}') AS reasons
    FROM tasker.tasks t WHERE t.task_uuid = ${taskUuid}`;
  if (row === undefined) throw new Error('no task');
  return row;
}

async function heartbeat(stepUuid: string, leaseToken: string) {
  const [lease] = await rt.services.workers.heartbeat(TEST_PRINCIPAL, {
    workerId: WORKER,
    leases: [{ stepUuid, leaseToken }],
  });
  return lease;
}

/** The task's row of the staleness monitoring (GET /v1/dlq/staleness), with the runtime's thresholds. */
async function monitored(taskUuid: string) {
  const dlq = rt.services.dlq;
  if (dlq === undefined) throw new Error('the runtime has no DLQ service');
  return (await dlq.staleness(TEST_PRINCIPAL, 1000)).find((i) => i.taskUuid === taskUuid);
}

async function consistent(taskUuid: string) {
  expect(await historyProblems(rt.sql, taskUuid)).toEqual([]);
  expect(await invariantViolations(rt.sql, taskUuid)).toEqual([]);
}

describe('progress keeps a task healthy', () => {
  it('a claimed, heartbeating 2-hour step survives the shipped development and production thresholds; its result completes the task', async () => {
    const { create } = await template({ timeoutSeconds: 7200 });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    // 100 minutes into the run: past development's 15 and production's 60 steps_in_process minutes.
    await shiftBack(task.taskUuid, 100);
    const lease = await heartbeat(step.stepUuid, step.leaseToken);
    expect(lease?.status).toBe('valid');
    for (const config of [SHIPPED.development, SHIPPED.production, SHIPPED.base]) {
      expect(forTask(await detect(config), task.taskUuid)).toEqual([]);
    }
    expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'steps_in_process', entries: 0 });
    // The monitoring reads the same clock: 100 minutes in state against its 5, yet healthy.
    expect((await monitored(task.taskUuid))?.healthStatus).toBe('healthy');
    expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('valid');
    const ack = await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: WORKER,
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      result: { done: true },
      executionTimeMs: 6_000_000,
      metadata: null,
    });
    expect(ack).toMatchObject({ stepState: 'complete', taskState: 'complete' });
    await consistent(task.taskUuid);
  });

  it('a step completing in a long chain is progress: the task rests in steps_in_process, yet is not stale', async () => {
    const { create } = await template({ steps: 3 });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const first = await claimOne(task.taskUuid);
    await shiftBack(task.taskUuid, 50);
    await rt.services.workers.complete(TEST_PRINCIPAL, {
      workerId: WORKER,
      stepUuid: first.stepUuid,
      leaseToken: first.leaseToken,
      result: {},
      executionTimeMs: 1,
      metadata: null,
    });
    // The task never left steps_in_process (50 min there), but its last event is a second old.
    expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([]);
    await consistent(task.taskUuid);
  });

  it('a 40-minute Retry-After survives thresholds it exceeds; once the retry is overdue the clock runs from next_retry_at', async () => {
    const { create } = await template({ retry: { max_attempts: 3, max_backoff_ms: 3_600_000 } });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    const ack = await rt.services.workers.fail(TEST_PRINCIPAL, {
      workerId: WORKER,
      stepUuid: step.stepUuid,
      leaseToken: step.leaseToken,
      executionTimeMs: 5,
      error: {
        message: 'rate limited',
        errorType: 'http_429',
        retryable: true,
        retryAfterSeconds: 2400,
        statusCode: 429,
        backtrace: null,
        context: null,
      },
    });
    expect(ack).toMatchObject({ stepState: 'waiting_for_retry', taskState: 'waiting_for_retry' });
    expect((ack.nextRetryAt?.getTime() ?? 0) - Date.now()).toBeGreaterThan(39 * 60_000);
    // 35 minutes in waiting_for_retry: past development's 10 and the base 30, with 5 minutes of backoff left.
    await shiftBack(task.taskUuid, 35);
    for (const config of [SHIPPED.development, SHIPPED.base, SHIPPED.production]) {
      expect(forTask(await detect(config), task.taskUuid)).toEqual([]);
    }
    expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'waiting_for_retry', entries: 0 });

    // 45 minutes later the retry is 40 minutes overdue (nothing promoted it): stale after the base 30 minutes,
    // not after production's 60.
    await shiftBack(task.taskUuid, 45);
    expect(forTask(await detect(SHIPPED.production, true), task.taskUuid)).toEqual([]);
    const [closed] = forTask(await detect(SHIPPED.base), task.taskUuid);
    expect(closed).toMatchObject({
      state: 'waiting_for_retry',
      cause: 'no_progress',
      thresholdMinutes: 30,
      action: 'dlq',
      moved: true,
      entryOpened: true,
      stepsStopped: 1,
    });
    expect(closed?.minutesWithoutProgress).toBeGreaterThan(39);
    expect(closed?.minutesWithoutProgress).toBeLessThan(41);
    expect(closed?.minutesInState).toBeGreaterThan(79);
    expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'error', entries: 1, reasons: ['staleness_timeout'] });
    const [s] = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(s).toMatchObject({ state: 'error', nextRetryAt: null });
    await consistent(task.taskUuid);
  });
});

describe('a stuck task is still closed, and what ran under it is told', () => {
  it('a lease that lapsed long ago: the task goes to error with its entry, the attempt is cancelled; heartbeat and late results read cancelled', async () => {
    const { create } = await template({ timeoutSeconds: 7200, steps: 2 });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    await shiftBack(task.taskUuid, 100); // no heartbeat for 100 minutes: the lease lapsed ~100 minutes ago

    const [closed] = forTask(await detect(SHIPPED.development), task.taskUuid);
    expect(closed).toMatchObject({
      state: 'steps_in_process',
      cause: 'no_progress',
      thresholdMinutes: 15,
      action: 'dlq',
      moved: true,
      entryOpened: true,
      stepsStopped: 1,
    });
    expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'error', entries: 1 });

    expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('cancelled');
    const late = await rt.services.workers
      .complete(TEST_PRINCIPAL, {
        workerId: WORKER,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: { late: true },
        executionTimeMs: 1,
        metadata: null,
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isAppError(late) && late.code).toBe('INVALID_STATE');
    expect(isAppError(late) && late.details).toMatchObject({ reason: 'cancelled' });
    const batch = await rt.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: WORKER,
      claim: null,
      results: [
        {
          kind: 'completed',
          stepUuid: step.stepUuid,
          leaseToken: step.leaseToken,
          result: {},
          executionTimeMs: 1,
          metadata: null,
        },
      ],
    });
    expect(batch.outcomes.map((r) => r.outcome)).toEqual(['cancelled']);

    // Recorded: the attempt ended as cancelled by the detector; the late result changed nothing.
    const attempts = await rt.sql<{ outcome: string; to_state: string; finished_by: string; error_type: string }[]>`
      SELECT outcome, to_state, finished_by, error->>'error_type' AS error_type FROM tasker.step_attempts WHERE step_uuid = ${step.stepUuid}`;
    expect(attempts).toEqual([
      { outcome: 'cancelled', to_state: 'error', finished_by: 'staleness_detector', error_type: 'staleness_timeout' },
    ]);
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.map((s) => [s.name, s.state, s.results])).toEqual([
      ['s0', 'error', null],
      ['s1', 'pending', null],
    ]);
    await consistent(task.taskUuid);

    // The documented way back still works: reset the stopped step, resume, run the rest.
    await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, step.stepUuid, {
      type: 'reset_for_retry',
      reason: 'worker fixed',
      performedBy: 'ops',
    });
    await rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, { performedBy: 'ops', reason: 'worker fixed' });
    for (let i = 0; i < 2; i += 1) {
      const next = await claimOne(task.taskUuid);
      await rt.services.workers.complete(TEST_PRINCIPAL, {
        workerId: WORKER,
        stepUuid: next.stepUuid,
        leaseToken: next.leaseToken,
        result: {},
        executionTimeMs: 1,
        metadata: null,
      });
    }
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task.taskUuid)).state).toBe('complete');
    const [entry] = await rt.sql<
      { resolution_status: string }[]
    >`SELECT resolution_status FROM tasker.dlq_entries WHERE task_uuid = ${task.taskUuid}`;
    expect(entry?.resolution_status).toBe('manually_resolved');
    await consistent(task.taskUuid);
  });

  it('an enqueued step nobody claims is no progress: closed, and the step cannot be claimed any more', async () => {
    const { create } = await template();
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    await shiftBack(task.taskUuid, 20);
    const [closed] = forTask(await detect(SHIPPED.development), task.taskUuid);
    expect(closed).toMatchObject({ cause: 'no_progress', action: 'dlq', moved: true, stepsStopped: 1 });
    const claimed = await rt.services.workers.claim(TEST_PRINCIPAL, {
      workerId: WORKER,
      namespaces: [NS],
      handlerNames: [],
      maxSteps: 10,
      waitMs: 0,
    });
    expect(claimed.filter((c) => c.taskUuid === task.taskUuid)).toEqual([]);
    await consistent(task.taskUuid);
  });

  it('pending steps with nothing running: closed, the pending steps are left for resume', async () => {
    const tpl = await seedTemplate(rt.sql, { namespace: NS });
    const now = await databaseNow(rt.sql);
    const task = await seedTask(rt.sql, {
      template: tpl,
      state: 'steps_in_process',
      createdAt: minutesBefore(now, 90),
      stateEnteredAt: minutesBefore(now, 80),
      steps: [
        { name: 'a', state: 'complete', claims: [minutesBefore(now, 85)], finishedAt: minutesBefore(now, 80) },
        { name: 'b', state: 'pending' },
      ],
    });
    const [closed] = forTask(await detect(SHIPPED.production), task.taskUuid);
    expect(closed).toMatchObject({ cause: 'no_progress', moved: true, entryOpened: true, stepsStopped: 0 });
    const states = await rt.sql<
      { name: string; state: string }[]
    >`SELECT name, state FROM tasker.steps WHERE task_uuid = ${task.taskUuid} ORDER BY name`;
    expect(states).toEqual([
      { name: 'a', state: 'complete' },
      { name: 'b', state: 'pending' },
    ]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('the max lifetime stays an absolute cap: a heartbeating task older than it is closed, its worker told', async () => {
    const { create } = await template({ timeoutSeconds: 7200, lifecycle: { max_duration_minutes: 60 } });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    await shiftBack(task.taskUuid, 70);
    expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('valid');
    const [closed] = forTask(await detect(SHIPPED.production), task.taskUuid);
    expect(closed).toMatchObject({ cause: 'max_lifetime', thresholdMinutes: 60, moved: true, stepsStopped: 1 });
    expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('cancelled');
    await consistent(task.taskUuid);
  });

  it('a task whose running step another transaction holds (a heartbeat or result in flight) is left for the next round', async () => {
    const { create } = await template();
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    await shiftBack(task.taskUuid, 30);
    const holder = await rt.sql.reserve();
    try {
      await holder`BEGIN`;
      await holder`SELECT 1 FROM tasker.steps WHERE step_uuid = ${step.stepUuid} FOR UPDATE`;
      expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([]);
      expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'steps_in_process', entries: 0 });
      await holder`ROLLBACK`;
    } finally {
      holder.release();
    }
    expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([
      expect.objectContaining({ moved: true, stepsStopped: 1 }),
    ]);
    await consistent(task.taskUuid);
  });

  it('a dry run reports what it would do and changes nothing', async () => {
    const { create } = await template();
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    await shiftBack(task.taskUuid, 20);
    const [reported] = forTask(await detect(SHIPPED.development, true), task.taskUuid);
    expect(reported).toMatchObject({ action: 'dlq', moved: false, entryOpened: false, stepsStopped: 0 });
    expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'steps_in_process', entries: 0 });
  });
});

describe('the template lifecycle chooses what closing means', () => {
  async function stuck(lifecycle: JsonObject) {
    const { create } = await template({ timeoutSeconds: 600, lifecycle });
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, create);
    const step = await claimOne(task.taskUuid);
    await shiftBack(task.taskUuid, 30);
    return { task, step };
  }

  it('staleness_action: dlq (the default) = entry + error; error = error without an entry; auto_dlq_on_timeout: false = error without an entry', async () => {
    const dlq = await stuck({ staleness_action: 'dlq' });
    const plain = await stuck({ max_steps_in_process_minutes: 20 });
    const error = await stuck({ staleness_action: 'error' });
    const noEntry = await stuck({ auto_dlq_on_timeout: false });
    const rows = await detect(SHIPPED.development);
    expect(forTask(rows, dlq.task.taskUuid)).toEqual([
      expect.objectContaining({ action: 'dlq', moved: true, entryOpened: true, stepsStopped: 1 }),
    ]);
    expect(forTask(rows, plain.task.taskUuid)).toEqual([
      expect.objectContaining({ action: 'dlq', thresholdMinutes: 20, moved: true, entryOpened: true }),
    ]);
    for (const t of [error, noEntry]) {
      expect(forTask(rows, t.task.taskUuid)).toEqual([
        expect.objectContaining({ action: 'error', moved: true, entryOpened: false, stepsStopped: 1 }),
      ]);
      expect(await taskRow(t.task.taskUuid)).toMatchObject({ state: 'error', entries: 0 });
      expect((await heartbeat(t.step.stepUuid, t.step.leaseToken))?.status).toBe('cancelled');
      await consistent(t.task.taskUuid);
    }
    expect(await taskRow(dlq.task.taskUuid)).toMatchObject({ state: 'error', entries: 1 });
    // Detected again later: an error task is not watched, nothing more happens.
    expect(forTask(await detect(SHIPPED.development), error.task.taskUuid)).toEqual([]);
  });

  it('auto_fail_on_timeout: false opens the entry once and leaves the task and its running step alone', async () => {
    for (const lifecycle of [
      { auto_fail_on_timeout: false },
      { staleness_action: 'dlq', auto_fail_on_timeout: false },
    ]) {
      const { task, step } = await stuck(lifecycle);
      expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([
        expect.objectContaining({ action: 'entry_only', moved: false, entryOpened: true, stepsStopped: 0 }),
      ]);
      expect(await taskRow(task.taskUuid)).toMatchObject({
        state: 'steps_in_process',
        entries: 1,
        reasons: ['staleness_timeout'],
      });
      expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('valid');
      // The pending entry is the one per task: the next run leaves it alone.
      expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([]);
      const ack = await rt.services.workers.complete(TEST_PRINCIPAL, {
        workerId: WORKER,
        stepUuid: step.stepUuid,
        leaseToken: step.leaseToken,
        result: {},
        executionTimeMs: 1,
        metadata: null,
      });
      expect(ack.taskState).toBe('complete');
      await consistent(task.taskUuid);
    }
  });

  it('staleness_action: none is only reported by the staleness monitoring; the detector changes nothing', async () => {
    for (const lifecycle of [
      { staleness_action: 'none' },
      { auto_fail_on_timeout: false, auto_dlq_on_timeout: false },
    ]) {
      const { task, step } = await stuck(lifecycle);
      expect(forTask(await detect(SHIPPED.development), task.taskUuid)).toEqual([]);
      expect(await taskRow(task.taskUuid)).toMatchObject({ state: 'steps_in_process', entries: 0 });
      expect((await heartbeat(step.stepUuid, step.leaseToken))?.status).toBe('valid');
      await shiftBack(task.taskUuid, 30);
      expect((await monitored(task.taskUuid))?.healthStatus).toBe('stale');
    }
  });

  it('the SQL reading of a stored lifecycle matches stalenessEffectOf for every valid combination', async () => {
    const actions = [null, 'dlq', 'error', 'none'] as const;
    const flags = [null, true, false] as const;
    const combos: TemplateLifecycle[] = [];
    for (const stalenessAction of actions) {
      for (const autoFailOnTimeout of flags) {
        for (const autoDlqOnTimeout of flags) {
          combos.push({
            maxDurationMinutes: null,
            maxWaitingForDependenciesMinutes: null,
            maxWaitingForRetryMinutes: null,
            maxStepsInProcessMinutes: null,
            stalenessAction,
            autoFailOnTimeout,
            autoDlqOnTimeout,
          });
        }
      }
    }
    for (const lifecycle of combos) {
      const want = stalenessEffectOf(lifecycle);
      const snake = {
        staleness_action: lifecycle.stalenessAction,
        auto_fail_on_timeout: lifecycle.autoFailOnTimeout,
        auto_dlq_on_timeout: lifecycle.autoDlqOnTimeout,
      };
      for (const stored of [{ lifecycle }, { lifecycle: snake }]) {
        const [got] = await rt.sql<{ fail: boolean; entry: boolean }[]>`
          SELECT tasker.staleness_fails_task(${rt.sql.json(stored as never)}) AS fail, tasker.staleness_opens_entry(${rt.sql.json(stored as never)}) AS entry`;
        expect([lifecycle, got]).toEqual([lifecycle, { fail: want.failTask, entry: want.openEntry }]);
      }
    }
    const [none] = await rt.sql<{ fail: boolean; entry: boolean }[]>`
      SELECT tasker.staleness_fails_task('{"lifecycle": null}') AS fail, tasker.staleness_opens_entry('{}') AS entry`;
    expect(none).toEqual({ fail: true, entry: true });
  });
});

describe('registration', () => {
  it('refuses contradictory lifecycle combinations, naming the keys', async () => {
    const cases: [JsonObject, string][] = [
      [{ staleness_action: 'dlq', auto_dlq_on_timeout: false }, 'lifecycle.auto_dlq_on_timeout'],
      [{ staleness_action: 'error', auto_fail_on_timeout: false }, 'lifecycle.auto_fail_on_timeout'],
      [{ staleness_action: 'error', auto_dlq_on_timeout: true }, 'lifecycle.auto_dlq_on_timeout'],
      [{ staleness_action: 'none', auto_fail_on_timeout: true }, 'lifecycle.auto_fail_on_timeout'],
      [{ staleness_action: 'none', auto_dlq_on_timeout: true }, 'lifecycle.auto_dlq_on_timeout'],
      [{ staleness_action: 'retry' }, 'lifecycle.staleness_action'],
      [{ auto_fail_on_timeout: 'yes' }, 'lifecycle.auto_fail_on_timeout'],
      [{ max_step_in_process_minutes: 5 }, 'lifecycle.max_step_in_process_minutes'],
    ];
    for (const [lifecycle, path] of cases) {
      const err = await template({ lifecycle }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAppError(err) && err.code).toBe('VALIDATION_FAILED');
      const fields = isAppError(err) ? (err.details as { fields: { path: string; message: string }[] }).fields : [];
      expect(fields.map((f) => f.path)).toEqual([path]);
      if (path.includes('auto_') && 'staleness_action' in lifecycle)
        expect(fields[0]?.message).toContain('staleness_action');
    }
  });

  it('warns about a step whose timeout or retry cap outlives the max lifetime that closes the task', async () => {
    const { registration } = await template({
      timeoutSeconds: 7200,
      retry: { max_backoff_ms: 5_400_000 },
      lifecycle: { max_duration_minutes: 60 },
    });
    expect(registration?.warnings).toEqual([
      { path: 'steps[0].timeout_seconds', message: expect.stringContaining('lifecycle.max_duration_minutes') },
      { path: 'steps[0].retry.max_backoff_ms', message: expect.stringContaining('60 min') },
    ]);
    // Against the configured lifetime (3 hours here) when the template sets none.
    const { registration: configured } = await template({ timeoutSeconds: 11_000 });
    expect(configured?.warnings).toEqual([
      {
        path: 'steps[0].timeout_seconds',
        message: expect.stringContaining('staleness.thresholds.task_max_lifetime_hours'),
      },
    ]);
    // Nothing closes the task: nothing to warn about. A long step under the lifetime is no problem either.
    for (const lifecycle of [{ staleness_action: 'none' }, { auto_fail_on_timeout: false, max_duration_minutes: 60 }]) {
      expect((await template({ timeoutSeconds: 7200, lifecycle })).registration?.warnings).toEqual([]);
    }
    expect(
      (await template({ timeoutSeconds: 3000, retry: { max_backoff_ms: 3_000_000 } })).registration?.warnings,
    ).toEqual([]);
  });

  it('stores the lifecycle keys and returns them with the template', async () => {
    const { create } = await template({ lifecycle: { staleness_action: 'dlq', auto_fail_on_timeout: false } });
    const got = await rt.services.templates.get(TEST_PRINCIPAL, create.namespace, create.name, create.version);
    expect(got.definition.lifecycle).toEqual({
      maxDurationMinutes: null,
      maxWaitingForDependenciesMinutes: null,
      maxWaitingForRetryMinutes: null,
      maxStepsInProcessMinutes: null,
      stalenessAction: 'dlq',
      autoFailOnTimeout: false,
      autoDlqOnTimeout: null,
    });
  });
});

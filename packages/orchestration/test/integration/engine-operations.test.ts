// Operator actions beyond reset + resume: complete/resolve manually (children proceed and read the result),
// staleness detection with template overrides and dry runs, and the SQL copy of the state machines.
import { STEP_EVENTS, listStepTransitions } from '@tasker/shared/domain/step-machine';
import { TASK_EVENTS, listTaskTransitions } from '@tasker/shared/domain/task-machine';
import { STEP_STATES, TASK_STATES } from '@tasker/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectStaleTasks } from '../../src/repositories/staleness.js';
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
const LINEAR = {
  namespace: 'billing',
  name: 'invoice_settlement',
  version: '1.0.0',
  initiator: 'i',
  sourceSystem: 's',
  reason: 'r',
};
const DIAMOND = {
  namespace: 'media',
  name: 'media_ingest',
  version: '2.1.0',
  initiator: 'i',
  sourceSystem: 's',
  reason: 'r',
};

beforeAll(async () => {
  // Staleness runs every 100 ms here; thresholds are the test overlay's (steps_in_process 5 min).
  rt = await startTestRuntime({ staleness: { interval_ms: 100 } });
  await registerFixtureTemplate(rt.services, 'linear');
  await registerFixtureTemplate(rt.services, 'diamond');
});

afterAll(async () => {
  await rt?.stop();
});

afterEach(stopWorkerLoops);

describe('manual completion', () => {
  it('complete_manually of a failed step stores its result for the children; resume finishes the task', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 5 } });
    const parents: Record<string, unknown>[] = [];
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: ['billing'],
      signal: controller.signal,
      handlers: {
        'Billing.ChargeCard': () => {
          throw new HandlerFailure('gateway down', { retryable: false });
        },
        'Billing.SendReceipt': (step) => {
          parents.push(step.parentResults);
          return { sent: true };
        },
        '*': () => ({ ok: true }),
      },
    });
    await waitForTaskState(rt.services, task.taskUuid, ['error']);
    const charge = (await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid)).find((s) => s.name === 'charge_card');
    if (charge === undefined) throw new Error('no charge_card');
    const completed = await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, charge.stepUuid, {
      type: 'complete_manually',
      result: { charged: 'by phone' },
      metadata: { ticket: 'T-1' },
      reason: 'charged by phone',
      performedBy: 'ops',
    });
    expect(completed).toMatchObject({ state: 'complete', results: { charged: 'by phone' } });
    // Fixing a step of an error task does not restart it; resume does.
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task.taskUuid)).state).toBe('error');
    await rt.services.tasks.resume(TEST_PRINCIPAL, task.taskUuid, { performedBy: 'ops', reason: 'charged manually' });
    const done = await waitForTaskState(rt.services, task.taskUuid, ['complete']);
    controller.abort();
    await loop;
    expect(done.execution.completedSteps).toBe(4);
    expect(parents).toEqual([{ charge_card: { charged: 'by phone' } }]);
    const [audit] = await rt.services.steps.audit(TEST_PRINCIPAL, task.taskUuid, charge.stepUuid);
    expect(audit).toMatchObject({
      action: 'complete_manually',
      performedBy: 'ops',
      reason: 'charged by phone',
      fromState: 'error',
      toState: 'complete',
      result: {
        result: { charged: 'by phone' },
        metadata: { ticket: 'T-1', manually_completed: true, completed_by: 'ops' },
      },
    });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('resolve_manually of a step in backoff lets a running task continue', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    const claim = async () =>
      await rt.services.workers.claim(TEST_PRINCIPAL, {
        workerId: 'w',
        namespaces: ['media'],
        handlerNames: [],
        maxSteps: 4,
        waitMs: 1000,
      });
    const report = { workerId: 'w', executionTimeMs: 1, metadata: null };
    const [fetch] = await claim();
    if (fetch === undefined) throw new Error('nothing claimed');
    await rt.services.workers.complete(TEST_PRINCIPAL, {
      ...report,
      stepUuid: fetch.stepUuid,
      leaseToken: fetch.leaseToken,
      result: {},
    });
    const branches = await claim();
    const thumbs = branches.find((s) => s.stepName === 'make_thumbs');
    const transcribe = branches.find((s) => s.stepName === 'transcribe');
    if (thumbs === undefined || transcribe === undefined) throw new Error('branches not claimed');
    await rt.services.workers.complete(TEST_PRINCIPAL, {
      ...report,
      stepUuid: thumbs.stepUuid,
      leaseToken: thumbs.leaseToken,
      result: {},
    });
    const ack = await rt.services.workers.fail(TEST_PRINCIPAL, {
      workerId: 'w',
      stepUuid: transcribe.stepUuid,
      leaseToken: transcribe.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'try later',
        errorType: null,
        retryable: true,
        retryAfterSeconds: 60,
        statusCode: null,
        backtrace: null,
        context: null,
      },
    });
    expect(ack).toMatchObject({ stepState: 'waiting_for_retry', taskState: 'waiting_for_retry' });
    await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task.taskUuid, transcribe.stepUuid, {
      type: 'resolve_manually',
      reason: 'not needed',
      performedBy: 'ops',
    });
    const [publish] = await claim();
    expect(publish?.stepName).toBe('publish_asset');
    expect(publish?.parentResults).toEqual({ make_thumbs: {}, transcribe: null });
    const final = await rt.services.workers.complete(TEST_PRINCIPAL, {
      ...report,
      stepUuid: publish?.stepUuid ?? '',
      leaseToken: publish?.leaseToken ?? '',
      result: {},
    });
    expect(final.taskState).toBe('complete');
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });
});

describe('staleness', () => {
  it('moves tasks resting too long to error with a DLQ entry (template lifecycle overrides config); dry runs only report', async () => {
    const linear = await rt.services.tasks.create(TEST_PRINCIPAL, { ...LINEAR, context: { invoice_id: 9 } });
    const diamond = await rt.services.tasks.create(TEST_PRINCIPAL, { ...DIAMOND, context: {} });
    // As if `minutes` passed without progress: the task's and its steps' timestamps move back (staleness reads
    // the task's events and its steps' enqueues, leases and retries, not only the time in state).
    const age = async (uuid: string, minutes: number) => {
      await rt.sql`UPDATE tasker.tasks SET state_entered_at = state_entered_at - make_interval(mins => ${minutes}),
                     updated_at = updated_at - make_interval(mins => ${minutes}) WHERE task_uuid = ${uuid}`;
      await rt.sql`UPDATE tasker.steps SET updated_at = updated_at - make_interval(mins => ${minutes}),
                     enqueued_at = enqueued_at - make_interval(mins => ${minutes}) WHERE task_uuid = ${uuid}`;
    };
    // 6 min in steps_in_process without progress (its root enqueued, never claimed): over the test overlay's 5,
    // under the diamond template's 45.
    await age(linear.taskUuid, 6);
    await age(diamond.taskUuid, 6);
    await waitForTaskState(rt.services, linear.taskUuid, ['error'], 3000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, diamond.taskUuid)).state).toBe('steps_in_process');

    const [entry] = await rt.sql<
      { reason: string; original_state: string; staleness: { threshold_minutes: number; cause: string } }[]
    >`
      SELECT reason, original_state, task_snapshot->'staleness' AS staleness FROM tasker.dlq_entries WHERE task_uuid = ${linear.taskUuid}`;
    expect(entry).toMatchObject({
      reason: 'staleness_timeout',
      original_state: 'steps_in_process',
      staleness: { threshold_minutes: 5, cause: 'no_progress', action: 'dlq' },
    });
    const [transition] = await rt.sql<{ event: string; actor: string }[]>`
      SELECT event, actor FROM tasker.task_transitions WHERE task_uuid = ${linear.taskUuid} ORDER BY event_id DESC LIMIT 1`;
    expect(transition).toEqual({ event: 'staleness_timeout', actor: 'staleness_detector' });

    // A dry run reports the diamond once it is over its own 45 minutes, and changes nothing.
    await rt.runtime.stop();
    await age(diamond.taskUuid, 44);
    const t = rt.config.staleness.thresholds;
    const report = await detectStaleTasks(rt.sql, {
      limit: 10,
      dryRun: true,
      dependenciesMinutes: t.waiting_for_dependencies_minutes,
      retryMinutes: t.waiting_for_retry_minutes,
      inProcessMinutes: t.steps_in_process_minutes,
      lifetimeHours: t.task_max_lifetime_hours,
    });
    expect(report).toEqual([
      expect.objectContaining({
        taskUuid: diamond.taskUuid,
        thresholdMinutes: 45,
        cause: 'no_progress',
        moved: false,
        entryOpened: false,
      }),
    ]);
    const [state] = await rt.sql<{ state: string; entries: number }[]>`
      SELECT state, (SELECT count(*)::int FROM tasker.dlq_entries WHERE task_uuid = ${diamond.taskUuid}) AS entries
      FROM tasker.tasks WHERE task_uuid = ${diamond.taskUuid}`;
    expect(state).toEqual({ state: 'steps_in_process', entries: 0 });
    expect(await historyProblems(rt.sql, linear.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, linear.taskUuid)).toEqual([]);
  });
});

describe('state machines in SQL', () => {
  it('tasker.task_transition_allowed and tasker.step_transition_allowed match the TypeScript tables exactly', async () => {
    const tasks = await rt.sql<{ f: string; e: string; t: string }[]>`
      SELECT f, e, t FROM unnest(${[...TASK_STATES]}::text[]) f, unnest(${[...TASK_EVENTS, 'create']}::text[]) e,
                          unnest(${[...TASK_STATES]}::text[]) t
      WHERE tasker.task_transition_allowed(f, e, t) ORDER BY 1, 2, 3`;
    const expectedTasks = listTaskTransitions().map((x) => ({ f: x.from, e: x.event, t: x.to }));
    expect(tasks).toEqual(expect.arrayContaining(expectedTasks));
    expect(tasks).toHaveLength(expectedTasks.length);
    const steps = await rt.sql<{ f: string; e: string; t: string }[]>`
      SELECT f, e, t FROM unnest(${[...STEP_STATES]}::text[]) f, unnest(${[...STEP_EVENTS, 'create']}::text[]) e,
                          unnest(${[...STEP_STATES]}::text[]) t
      WHERE tasker.step_transition_allowed(f, e, t) ORDER BY 1, 2, 3`;
    const expectedSteps = listStepTransitions().map((x) => ({ f: x.from, e: x.event, t: x.to }));
    expect(steps).toEqual(expect.arrayContaining(expectedSteps));
    expect(steps).toHaveLength(expectedSteps.length);
    const [creation] = await rt.sql<{ task: boolean; step: boolean; bad: boolean }[]>`
      SELECT tasker.task_transition_allowed(NULL, 'create', 'pending') AS task,
             tasker.step_transition_allowed(NULL, 'create', 'pending') AS step,
             tasker.task_transition_allowed(NULL, 'start', 'pending') AS bad`;
    expect(creation).toEqual({ task: true, step: true, bad: false });
  });
});

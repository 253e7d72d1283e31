// Many results in one report_results call: each task settles once for all its results, joins count every
// parent completed in the batch, a failure holds back the children of completions beside it, and outcomes
// keep the input order whatever the tasks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimedStep, StepResultReport } from '@tasker/shared';
import {
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  startTestRuntime,
  TEST_PRINCIPAL,
  transitionHistory,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;
const SINGLE = {
  name: 'batch_single',
  namespace_name: 'batchres',
  version: '1.0.0',
  identity_strategy: 'always_unique',
  steps: [{ name: 'only', handler: { callable: 'Batch.Only' } }],
};
const TASK = { initiator: 't', sourceSystem: 't', reason: 't', context: {} };
const STALE = '0190a4f0-5a1b-7c3d-8e4f-00000000aaaa';
const MISSING = '0190a4f0-5a1b-7c3d-8e4f-00000000bbbb';

beforeAll(async () => {
  rt = await startTestRuntime();
  await registerFixtureTemplate(rt.services, 'diamond');
  await registerFixtureTemplate(rt.services, 'dag7');
  await rt.services.templates.register(TEST_PRINCIPAL, [SINGLE], { force: false });
});

afterAll(async () => {
  await rt?.stop();
});

async function claim(namespace: string, maxSteps: number): Promise<ClaimedStep[]> {
  return rt.services.workers.claim(TEST_PRINCIPAL, {
    workerId: 'w-batch',
    namespaces: [namespace],
    handlerNames: [],
    maxSteps,
    waitMs: 2_000,
  });
}

function completed(step: ClaimedStep, result: unknown = { step: step.stepName }): StepResultReport {
  return {
    kind: 'completed',
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    result: result as never,
    executionTimeMs: 1,
    metadata: null,
  };
}

function failed(step: ClaimedStep, retryable: boolean): StepResultReport {
  return {
    kind: 'failed',
    stepUuid: step.stepUuid,
    leaseToken: step.leaseToken,
    executionTimeMs: 1,
    error: {
      message: 'boom',
      errorType: 'Boom',
      retryable,
      retryAfterSeconds: null,
      statusCode: null,
      backtrace: null,
      context: null,
    },
  };
}

async function report(results: StepResultReport[], maxSteps = 0) {
  return rt.services.workers.reportResults(TEST_PRINCIPAL, {
    workerId: 'w-batch',
    results,
    claim: maxSteps > 0 ? { maxSteps, namespaces: [], handlerNames: [] } : null,
  });
}

async function stepsByName(taskUuid: string) {
  const steps = await rt.services.steps.list(TEST_PRINCIPAL, taskUuid);
  return new Map(steps.map((s) => [s.name, s]));
}

describe('report_results with many results', () => {
  it('a join whose parents complete in one batch is enqueued once, and the task settles once', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'media',
      name: 'media_ingest',
      version: '2.1.0',
    });
    const [root] = await claim('media', 1);
    const first = await report([completed(root!)], 2);
    expect(first.claimed.map((s) => s.stepName).sort()).toEqual(['make_thumbs', 'transcribe']);

    const both = await report(
      first.claimed.map((s) => completed(s)),
      2,
    );
    expect(both.outcomes.map((o) => [o.outcome, o.stepState, o.taskState])).toEqual([
      ['ok', 'complete', 'steps_in_process'],
      ['ok', 'complete', 'steps_in_process'],
    ]);
    expect(both.claimed.map((s) => [s.stepName, Object.keys(s.parentResults).sort()])).toEqual([
      ['publish_asset', ['make_thumbs', 'transcribe']],
    ]);
    const done = await report([completed(both.claimed[0]!)]);
    expect(done.outcomes[0]).toMatchObject({ outcome: 'ok', stepState: 'complete', taskState: 'complete' });

    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
    // The task rested in steps_in_process throughout, so it has its creation and its completion only.
    const history = await transitionHistory(rt.sql, task.taskUuid);
    expect(history.task.map((t) => t.event)).toEqual([
      'create>start>ready_steps_found>steps_enqueued',
      'step_completed>all_steps_successful',
    ]);
  });

  it('a permanent failure holds back the children of a completion in the same batch, and the task gives up', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      ...TASK,
      namespace: 'crm',
      name: 'customer_onboarding',
      version: '1.0.0',
    });
    const [root] = await claim('crm', 1);
    const next = await report([completed(root!)], 2);
    const identity = next.claimed.find((s) => s.stepName === 'check_identity')!;
    const credit = next.claimed.find((s) => s.stepName === 'check_credit')!;

    const r = await report([completed(identity), failed(credit, false)], 4);
    expect(r.outcomes.map((o) => [o.stepUuid, o.outcome, o.stepState, o.taskState])).toEqual([
      [identity.stepUuid, 'ok', 'complete', 'error'],
      [credit.stepUuid, 'ok', 'error', 'error'],
    ]);
    expect(r.claimed).toEqual([]);

    const steps = await stepsByName(task.taskUuid);
    // create_login's only parent completed, but the task was failing: it stays pending, ready for a resume.
    expect(steps.get('create_login')).toMatchObject({ state: 'pending', dependenciesSatisfied: true });
    expect(steps.get('score_risk')).toMatchObject({ state: 'pending', dependenciesSatisfied: false });
    const now = await rt.services.tasks.get(TEST_PRINCIPAL, task.taskUuid);
    expect(now.state).toBe('error');
    const history = await transitionHistory(rt.sql, task.taskUuid);
    expect(history.task.at(-1)?.event).toBe('step_failed>permanent_failure>give_up');
    const entry = await rt.services.dlq!.getByTask(TEST_PRINCIPAL, task.taskUuid);
    expect(entry).toMatchObject({ reason: 'max_retries_exceeded', resolutionStatus: 'pending' });
    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
  });

  it('results of many tasks, refusals among them, answer in input order and settle every task', async () => {
    const tasks = [];
    for (let i = 0; i < 12; i += 1)
      tasks.push(
        await rt.services.tasks.create(TEST_PRINCIPAL, {
          ...TASK,
          namespace: 'batchres',
          name: 'batch_single',
          version: '1.0.0',
        }),
      );
    const claimed = await claim('batchres', 12);
    expect(claimed).toHaveLength(12);
    const retry = claimed[3]!;
    const stale = claimed[7]!;
    const results: StepResultReport[] = [];
    for (const step of claimed) {
      if (step === retry) results.push(failed(step, true));
      else if (step === stale) results.push({ ...completed(step), leaseToken: STALE });
      else results.push(completed(step));
    }
    results.splice(5, 0, { ...completed(claimed[0]!), stepUuid: MISSING });
    const r = await report(results);

    expect(r.outcomes.map((o) => o.stepUuid)).toEqual(results.map((x) => x.stepUuid));
    for (const [i, o] of r.outcomes.entries()) {
      const uuid = results[i]!.stepUuid;
      if (uuid === MISSING) expect(o).toMatchObject({ outcome: 'not_found', stepState: null, taskState: null });
      else if (uuid === stale.stepUuid)
        expect(o).toMatchObject({ outcome: 'lease_lost', stepState: 'in_progress', taskState: 'steps_in_process' });
      else if (uuid === retry.stepUuid) {
        expect(o).toMatchObject({ outcome: 'ok', stepState: 'waiting_for_retry', taskState: 'waiting_for_retry' });
        expect(o.nextRetryAt).toBeInstanceOf(Date);
      } else expect(o).toMatchObject({ outcome: 'ok', stepState: 'complete', taskState: 'complete' });
    }
    for (const task of tasks) {
      expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
      expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
    }
    // The stale one is still running and can still report with its real token.
    const late = await report([completed(stale)]);
    expect(late.outcomes[0]).toMatchObject({ outcome: 'ok', taskState: 'complete' });
  });
});

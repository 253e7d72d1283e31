// Batch workers on every path that can end them in error: an expired lease on the last attempt follows the
// batch's failure_strategy like a reported failure; a non-retryable failure does so with attempts left; the
// parallelism cap holds exactly through failures, operator resets and resumes; a task closed as stale keeps
// its holds consistent and resumes under the cap. The lease sweeper, retry promoter and staleness detector
// loops are held off: only the calls below move anything.
import type { ClaimedStep, JsonValue } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectStaleTasks } from '../../src/repositories/staleness.js';
import {
  claimReady,
  completeStep,
  cursorConfigs,
  expectConsistent as expectConsistentRows,
  expireLease,
  failStep,
  runningWorkers,
  startTask,
  stepsOf,
} from './helpers/dynamic.js';
import { startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const NS = 'dyn_fail';

const batchTemplate = (name: string, batchConfig: Record<string, JsonValue>, maxAttempts = 1) => ({
  name,
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'scan', type: 'batchable', handler: { callable: 'Scan' } },
    {
      name: 'chunk',
      type: 'batch_worker',
      dependencies: ['scan'],
      retry: { max_attempts: maxAttempts, backoff_base_ms: 1, max_backoff_ms: 1 },
      handler: { callable: 'Chunk' },
      batch_config: { worker_template: 'chunk', ...batchConfig },
    },
    { name: 'merge', type: 'deferred_convergence', dependencies: ['chunk'], handler: { callable: 'Merge' } },
  ],
});

let rt: TestRuntime;
const expectConsistent = (task: string): Promise<void> => expectConsistentRows(rt.sql, task);

beforeAll(async () => {
  rt = await startTestRuntime({
    staleness: { enabled: false },
    engine: { pulse_interval_ms: 60_000, poll_fallback_ms: 600_000 },
  });
  await rt.services.templates.register(
    TEST_PRINCIPAL,
    [
      batchTemplate('f_continue', {}),
      batchTemplate('f_fail_fast', { failure_strategy: 'fail_fast' }),
      batchTemplate('f_isolate_p2', { failure_strategy: 'isolate', parallelism: 2 }),
      batchTemplate('f_fail_fast_retry', { failure_strategy: 'fail_fast' }, 3),
    ],
    { force: false },
  );
});

afterAll(async () => {
  await rt?.stop();
});

const claimOf = async (task: string): Promise<ClaimedStep[]> =>
  (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);

/** Starts the task and completes its batchable step with `workers` cursor configs. */
async function startBatch(name: string, workers: number): Promise<string> {
  const task = await startTask(rt.services, NS, name);
  const [scan] = await claimOf(task);
  await completeStep(rt.services, scan as ClaimedStep, {
    batch_processing_outcome: { type: 'create_batches', cursor_configs: cursorConfigs(workers) },
  });
  return task;
}

const statesOf = async (task: string, names: string[]): Promise<(string | undefined)[]> => {
  const steps = await stepsOf(rt.sql, task);
  return names.map((n) => steps.get(n)?.state);
};

const taskState = async (task: string): Promise<string> => (await rt.services.tasks.get(TEST_PRINCIPAL, task)).state;

/** Completes every worker claimable now, and then the aggregator; expects the task complete. */
async function finishBatch(task: string, cap: number): Promise<void> {
  for (let round = 0; round < 20; round += 1) {
    const claimed = await claimOf(task);
    const merge = claimed.find((s) => s.stepName === 'merge');
    if (merge !== undefined) {
      await completeStep(rt.services, merge, {});
      break;
    }
    expect(claimed.length).toBeGreaterThan(0);
    expect(await runningWorkers(rt.sql, task, 'chunk')).toBeLessThanOrEqual(cap);
    for (const w of claimed) await completeStep(rt.services, w, { ok: true });
    await expectConsistent(task);
  }
  expect(await taskState(task)).toBe('complete');
}

describe('an expired lease on the last attempt follows the failure_strategy', () => {
  it('continue_on_failure: the worker completes with the expiry as its result and the aggregator runs', async () => {
    const task = await startBatch('f_continue', 3);
    const workers = await claimOf(task);
    expect(await expireLease(rt.sql, (workers[0] as ClaimedStep).stepUuid)).toEqual({
      step_uuid: (workers[0] as ClaimedStep).stepUuid,
      step_state: 'complete',
      error_type: 'lease_expired',
    });
    expect((await stepsOf(rt.sql, task)).get('chunk_001')?.results).toMatchObject({
      failed: true,
      error: { error_type: 'lease_expired' },
    });
    for (const w of workers.slice(1)) await completeStep(rt.services, w, { ok: true });
    const [merge] = await claimOf(task);
    expect(Object.keys(merge?.parentResults ?? {}).sort()).toEqual(['chunk_001', 'chunk_002', 'chunk_003']);
    await completeStep(rt.services, merge as ClaimedStep, {});
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('fail_fast: the siblings are cancelled, running ones fenced, and the task fails with a DLQ entry', async () => {
    const task = await startBatch('f_fail_fast', 3);
    const workers = await claimOf(task);
    expect((await expireLease(rt.sql, (workers[0] as ClaimedStep).stepUuid)).step_state).toBe('error');
    expect(await statesOf(task, ['chunk_001', 'chunk_002', 'chunk_003', 'merge'])).toEqual([
      'error',
      'cancelled',
      'cancelled',
      'pending',
    ]);
    await expect(completeStep(rt.services, workers[1] as ClaimedStep, {})).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(await taskState(task)).toBe('error');
    expect((await rt.services.dlq!.getByTask(TEST_PRINCIPAL, task)).reason).toBe('max_retries_exceeded');
    await expectConsistent(task);
  });

  it('isolate: the worker is parked, its slot goes to a waiting sibling, and the batch resumes after a reset', async () => {
    const task = await startBatch('f_isolate_p2', 4);
    const first = await claimOf(task);
    expect(first.map((s) => s.stepName)).toEqual(['chunk_001', 'chunk_002']);
    expect((await expireLease(rt.sql, (first[0] as ClaimedStep).stepUuid)).step_state).toBe('error');
    expect(await taskState(task)).toBe('blocked_by_failures');
    await expectConsistent(task);
    const next = await claimOf(task);
    expect(next.map((s) => s.stepName)).toEqual(['chunk_003']);
    for (const w of [first[1], ...next] as ClaimedStep[]) await completeStep(rt.services, w, { ok: true });
    const [last] = await claimOf(task);
    expect(last?.stepName).toBe('chunk_004');
    await completeStep(rt.services, last as ClaimedStep, { ok: true });
    expect(await taskState(task)).toBe('error');
    await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task, (first[0] as ClaimedStep).stepUuid, {
      type: 'reset_for_retry',
      reason: 'worker host replaced',
      performedBy: 'ops',
    });
    await rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'retry' });
    await finishBatch(task, 2);
    await expectConsistent(task);
  });

  it('with attempts left the expiry is retried and no strategy applies', async () => {
    const task = await startBatch('f_fail_fast_retry', 2);
    const workers = await claimOf(task);
    expect((await expireLease(rt.sql, (workers[0] as ClaimedStep).stepUuid)).step_state).toBe('waiting_for_retry');
    expect(await statesOf(task, ['chunk_001', 'chunk_002'])).toEqual(['waiting_for_retry', 'in_progress']);
    await expectConsistent(task);
  });
});

describe('a non-retryable failure', () => {
  it('applies the strategy at once, with attempts left; a retryable one waits for its retry', async () => {
    const task = await startBatch('f_fail_fast_retry', 3);
    const workers = await claimOf(task);
    expect((await failStep(rt.services, workers[0] as ClaimedStep, 'flaky', true)).stepState).toBe('waiting_for_retry');
    expect(await statesOf(task, ['chunk_002', 'chunk_003'])).toEqual(['in_progress', 'in_progress']);
    const ack = await failStep(rt.services, workers[1] as ClaimedStep, 'corrupt input', false);
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'error' });
    expect(await statesOf(task, ['chunk_001', 'chunk_002', 'chunk_003'])).toEqual(['cancelled', 'error', 'cancelled']);
    await expectConsistent(task);
  });
});

describe('parallelism through failures and resets', () => {
  it('never runs more than `parallelism` workers of a batch, whatever is reset and resumed', async () => {
    const task = await startBatch('f_isolate_p2', 6);
    const check = async () => {
      expect(await runningWorkers(rt.sql, task, 'chunk')).toBeLessThanOrEqual(2);
      await expectConsistent(task);
    };
    const reset = async (step: ClaimedStep) => {
      await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task, step.stepUuid, {
        type: 'reset_for_retry',
        reason: 'again',
        performedBy: 'ops',
      });
      await check();
    };
    const [w1, w2] = (await claimOf(task)) as [ClaimedStep, ClaimedStep];
    await failStep(rt.services, w1, 'bad rows');
    await check();
    const [w3] = (await claimOf(task)) as [ClaimedStep];
    expect(w3.stepName).toBe('chunk_003');
    // Two running (chunk_002, chunk_003): the reset worker waits for a slot.
    await reset(w1);
    expect((await stepsOf(rt.sql, task)).get('chunk_001')).toMatchObject({ state: 'pending', held: 1 });
    await rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'go on' });
    await check();
    expect(await claimOf(task)).toEqual([]);
    await completeStep(rt.services, w2, { ok: true });
    await check();
    const [again] = (await claimOf(task)) as [ClaimedStep];
    expect(again.stepName).toBe('chunk_001');
    // A second failure and reset while two run.
    await failStep(rt.services, w3, 'bad rows');
    await check();
    const [w4] = (await claimOf(task)) as [ClaimedStep];
    expect(w4.stepName).toBe('chunk_004');
    await reset(w3);
    await rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'go on' });
    await check();
    for (const w of [again, w4]) await completeStep(rt.services, w, { ok: true });
    await check();
    await finishBatch(task, 2);
    const [merge] = await rt.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tasker.step_edges e JOIN tasker.steps c ON c.step_uuid = e.child_step_uuid
      WHERE c.task_uuid = ${task} AND c.name = 'merge'`;
    expect(merge?.n).toBe(6);
    await expectConsistent(task);
  });
});

describe('staleness', () => {
  it('a task closed as stale keeps its holds consistent and resumes under the cap', async () => {
    const task = await startBatch('f_isolate_p2', 4);
    const running = await claimOf(task);
    expect(running).toHaveLength(2);
    const minutes = 600;
    await rt.sql.begin(async (tx) => {
      await tx`UPDATE tasker.tasks SET created_at = created_at - make_interval(mins => ${minutes}),
                 state_entered_at = state_entered_at - make_interval(mins => ${minutes}),
                 updated_at = updated_at - make_interval(mins => ${minutes}) WHERE task_uuid = ${task}`;
      await tx`UPDATE tasker.steps SET updated_at = updated_at - make_interval(mins => ${minutes}),
                 enqueued_at = enqueued_at - make_interval(mins => ${minutes}),
                 last_attempted_at = last_attempted_at - make_interval(mins => ${minutes}),
                 lease_expires_at = lease_expires_at - make_interval(mins => ${minutes}) WHERE task_uuid = ${task}`;
    });
    const stale = await detectStaleTasks(rt.sql, {
      limit: 100,
      dryRun: false,
      dependenciesMinutes: 60,
      retryMinutes: 60,
      inProcessMinutes: 60,
      lifetimeHours: 1000,
    });
    expect(stale.find((r) => r.taskUuid === task)).toMatchObject({ moved: true, stepsStopped: 2 });
    expect(await statesOf(task, ['chunk_001', 'chunk_002', 'chunk_003', 'chunk_004'])).toEqual([
      'error',
      'error',
      'pending',
      'pending',
    ]);
    await expectConsistent(task);
    for (const w of running) {
      await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task, w.stepUuid, {
        type: 'reset_for_retry',
        reason: 'stale',
        performedBy: 'ops',
      });
      await expectConsistent(task);
    }
    await rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'stale' });
    await expectConsistent(task);
    await finishBatch(task, 2);
    await expectConsistent(task);
  });
});

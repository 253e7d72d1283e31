// Batches on a real database: explicit cursor configs, the server-side cursor generator, no_batches, the
// parallelism cap, each failure strategy, and bad outcomes failing the batchable step with a classified error.
import type { ClaimedStep, JsonValue } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimReady,
  completeStep,
  expansionsOf,
  expectConsistent as expectConsistentRows,
  failStep,
  parentsOf,
  stepsOf,
} from './helpers/dynamic.js';
import { startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const NS = 'dyn_batch';

const batchTemplate = (name: string, batchConfig: Record<string, JsonValue>) => ({
  name,
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'scan', type: 'batchable', handler: { callable: 'Scan', initialization: { batch_size: 1000 } } },
    {
      name: 'chunk',
      type: 'batch_worker',
      dependencies: ['scan'],
      retry: { max_attempts: 1 },
      handler: { callable: 'Chunk', initialization: { metric: 'value' } },
      batch_config: { worker_template: 'chunk', cursor_field: 'row', ...batchConfig },
    },
    { name: 'merge', type: 'deferred_convergence', dependencies: ['chunk'], handler: { callable: 'Merge' } },
  ],
});

let rt: TestRuntime;
const expectConsistent = (taskUuid: string): Promise<void> => expectConsistentRows(rt.sql, taskUuid);

beforeAll(async () => {
  rt = await startTestRuntime({ dynamic: { max_workers_per_batch: 6 } });
  await rt.services.templates.register(
    TEST_PRINCIPAL,
    [
      batchTemplate('batch_continue', {}),
      batchTemplate('batch_fail_fast', { failure_strategy: 'fail_fast' }),
      batchTemplate('batch_isolate', { failure_strategy: 'isolate' }),
      batchTemplate('batch_parallel', { parallelism: 2 }),
    ],
    { force: false },
  );
});

afterAll(async () => {
  await rt?.stop();
});

async function start(name: string): Promise<string> {
  const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: NS,
    name,
    version: '1.0.0',
    context: { nonce: Math.random() },
    initiator: 'test',
    sourceSystem: 'vitest',
    reason: 'batch',
  });
  return task.taskUuid;
}

async function claimAll(): Promise<ClaimedStep[]> {
  return claimReady(rt.services, NS);
}

async function runScan(task: string, outcome: JsonValue): Promise<void> {
  const [scan] = (await claimAll()).filter((s) => s.taskUuid === task);
  expect(scan?.stepName).toBe('scan');
  await completeStep(rt.services, scan as ClaimedStep, { batch_processing_outcome: outcome } as JsonValue);
}

const configs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    batch_id: String(i + 1).padStart(3, '0'),
    start_cursor: i * 10,
    end_cursor: (i + 1) * 10,
    batch_size: 10,
  }));

describe('worker creation', () => {
  it('creates one worker per cursor config named {template}_{batch_id}; the aggregator gets every result by name', async () => {
    const task = await start('batch_continue');
    expect([...(await stepsOf(rt.sql, task)).keys()]).toEqual(['scan']);
    await runScan(task, {
      type: 'create_batches',
      worker_template_name: 'chunk',
      worker_count: 3,
      total_items: 30,
      cursor_configs: configs(3),
    });
    const steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()]).toEqual(['scan', 'chunk_001', 'chunk_002', 'chunk_003', 'merge']);
    expect(steps.get('chunk_002')).toMatchObject({
      state: 'enqueued',
      step_type: 'batch_worker',
      template_step: 'chunk',
      created_by: 'scan',
    });
    expect(steps.get('chunk_002')?.initialization).toEqual({
      metric: 'value',
      cursor: { batch_id: '002', start_cursor: 10, end_cursor: 20, batch_size: 10 },
      batch_metadata: { cursor_field: 'row', failure_strategy: 'continue_on_failure' },
      is_no_op: false,
      __template_step_name: 'chunk',
    });
    expect(await parentsOf(rt.sql, task, 'merge')).toEqual(['chunk_001', 'chunk_002', 'chunk_003']);
    expect(await expansionsOf(rt.sql, task)).toEqual([
      {
        trigger_name: 'scan',
        event: 'batch.workers_created',
        outcome_type: 'create_batches',
        created_steps: ['chunk_001', 'chunk_002', 'chunk_003', 'merge'],
      },
    ]);
    for (const w of (await claimAll()).filter((s) => s.taskUuid === task)) {
      await completeStep(rt.services, w, {
        rows: (w.handler.initialization['cursor'] as { batch_id: string }).batch_id,
      });
    }
    const [merge] = (await claimAll()).filter((s) => s.taskUuid === task);
    expect(merge?.parentResults).toEqual({
      chunk_001: { rows: '001' },
      chunk_002: { rows: '002' },
      chunk_003: { rows: '003' },
    });
    await completeStep(rt.services, merge as ClaimedStep, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });

  it('generates zero-based cursor ranges from total_items and batch_size', async () => {
    const task = await start('batch_continue');
    await runScan(task, { type: 'create_batches', total_items: 2500 });
    const steps = await stepsOf(rt.sql, task);
    expect(['chunk_001', 'chunk_002', 'chunk_003'].map((n) => steps.get(n)?.initialization['cursor'])).toEqual([
      { batch_id: '001', start_cursor: 0, end_cursor: 1000, batch_size: 1000 },
      { batch_id: '002', start_cursor: 1000, end_cursor: 2000, batch_size: 1000 },
      { batch_id: '003', start_cursor: 2000, end_cursor: 2500, batch_size: 500 },
    ]);
    await expectConsistent(task);
  });

  it('no_batches creates the no-op placeholder {template}_000 and the aggregator', async () => {
    const task = await start('batch_continue');
    await runScan(task, { type: 'no_batches' });
    const steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()]).toEqual(['scan', 'chunk_000', 'merge']);
    expect(steps.get('chunk_000')?.initialization).toMatchObject({
      is_no_op: true,
      cursor: { batch_id: '000', start_cursor: 0, end_cursor: 0, batch_size: 0 },
    });
    await expectConsistent(task);
  });
});

describe('parallelism', () => {
  it('dispatches at most `parallelism` workers of a batch at a time', async () => {
    const task = await start('batch_parallel');
    await runScan(task, { type: 'create_batches', cursor_configs: configs(5) });
    let finished = 0;
    for (let round = 0; round < 10 && finished < 5; round += 1) {
      const [row] = await rt.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM tasker.steps WHERE task_uuid = ${task} AND template_step = 'chunk' AND state IN ('enqueued', 'in_progress')`;
      expect(row?.n).toBeLessThanOrEqual(2);
      const claimed = (await claimAll()).filter((s) => s.taskUuid === task);
      expect(claimed.length).toBeLessThanOrEqual(2);
      for (const w of claimed) {
        await completeStep(rt.services, w, {});
        finished += 1;
      }
    }
    expect(finished).toBe(5);
    const [merge] = (await claimAll()).filter((s) => s.taskUuid === task);
    expect(Object.keys(merge?.parentResults ?? {})).toHaveLength(5);
    await completeStep(rt.services, merge as ClaimedStep, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });
});

describe('failure strategies', () => {
  it('continue_on_failure: the failed worker completes with its error and the aggregator runs', async () => {
    const task = await start('batch_continue');
    await runScan(task, { type: 'create_batches', cursor_configs: configs(3) });
    const workers = (await claimAll()).filter((s) => s.taskUuid === task);
    const ack = await failStep(rt.services, workers[0] as ClaimedStep, 'bad rows');
    expect(ack.stepState).toBe('complete');
    for (const w of workers.slice(1)) await completeStep(rt.services, w, { ok: true });
    const [merge] = (await claimAll()).filter((s) => s.taskUuid === task);
    expect(merge?.parentResults['chunk_001']).toMatchObject({
      failed: true,
      error: { message: 'bad rows', error_type: 'handler_error' },
    });
    await completeStep(rt.services, merge as ClaimedStep, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });

  it('fail_fast: the siblings are cancelled (running ones fenced) and the task fails', async () => {
    const task = await start('batch_fail_fast');
    await runScan(task, { type: 'create_batches', cursor_configs: configs(3) });
    const workers = (await claimAll()).filter((s) => s.taskUuid === task);
    const ack = await failStep(rt.services, workers[0] as ClaimedStep, 'bad rows');
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'error' });
    const steps = await stepsOf(rt.sql, task);
    expect(['chunk_001', 'chunk_002', 'chunk_003', 'merge'].map((n) => steps.get(n)?.state)).toEqual([
      'error',
      'cancelled',
      'cancelled',
      'pending',
    ]);
    await expect(completeStep(rt.services, workers[1] as ClaimedStep, {})).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect((await rt.services.dlq!.getByTask(TEST_PRINCIPAL, task)).reason).toBe('max_retries_exceeded');
    await expectConsistent(task);
  });

  it('isolate: the failed worker waits for an operator, the others finish, convergence holds until it is fixed', async () => {
    const task = await start('batch_isolate');
    await runScan(task, { type: 'create_batches', cursor_configs: configs(3) });
    const workers = (await claimAll()).filter((s) => s.taskUuid === task);
    const ack = await failStep(rt.services, workers[0] as ClaimedStep, 'bad rows');
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'blocked_by_failures' });
    for (const w of workers.slice(1)) await completeStep(rt.services, w, { ok: true });
    let steps = await stepsOf(rt.sql, task);
    expect(['chunk_001', 'chunk_002', 'chunk_003', 'merge'].map((n) => steps.get(n)?.state)).toEqual([
      'error',
      'complete',
      'complete',
      'pending',
    ]);
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('error');
    const failed = workers[0] as ClaimedStep;
    await rt.services.steps.applyManualAction(TEST_PRINCIPAL, task, failed.stepUuid, {
      type: 'reset_for_retry',
      reason: 'fixed the rows',
      performedBy: 'ops',
    });
    await rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'fixed' });
    const [retried] = (await claimAll()).filter((s) => s.taskUuid === task);
    expect(retried?.stepName).toBe('chunk_001');
    await completeStep(rt.services, retried as ClaimedStep, { ok: true });
    const [merge] = (await claimAll()).filter((s) => s.taskUuid === task);
    expect(Object.keys(merge?.parentResults ?? {}).sort()).toEqual(['chunk_001', 'chunk_002', 'chunk_003']);
    await completeStep(rt.services, merge as ClaimedStep, {});
    steps = await stepsOf(rt.sql, task);
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });
});

describe('bad outcomes fail the batchable step permanently', () => {
  const cases: { label: string; outcome: JsonValue; errorType: string; message: RegExp }[] = [
    { label: 'no outcome', outcome: null, errorType: 'invalid_outcome', message: /batch_processing_outcome/ },
    {
      label: 'a worker_count that does not match',
      outcome: { type: 'create_batches', worker_count: 2, cursor_configs: configs(3) },
      errorType: 'invalid_outcome',
      message: /worker_count 2 does not match the 3/,
    },
    {
      label: 'duplicate batch ids',
      outcome: { type: 'create_batches', cursor_configs: [...configs(2), configs(1)[0] as JsonValue] },
      errorType: 'invalid_outcome',
      message: /repeat batch_id 001/,
    },
    {
      label: 'a reversed range',
      outcome: { type: 'create_batches', cursor_configs: [{ batch_id: '001', start_cursor: 10, end_cursor: 5 }] },
      errorType: 'invalid_outcome',
      message: /empty, reversed or negative/,
    },
    {
      label: 'an unknown worker template',
      outcome: { type: 'create_batches', worker_template_name: 'nope', cursor_configs: configs(1) },
      errorType: 'invalid_outcome',
      message: /nope is not a batch_worker/,
    },
    {
      label: 'more workers than the limit',
      outcome: { type: 'create_batches', cursor_configs: configs(7) },
      errorType: 'limit_exceeded',
      message: /7 workers exceed max_workers_per_batch 6/,
    },
    {
      label: 'generated workers over the limit',
      outcome: { type: 'create_batches', total_items: 7000 },
      errorType: 'limit_exceeded',
      message: /7 workers exceed/,
    },
  ];
  it.each(cases)('$label → $errorType', async ({ outcome, errorType, message }) => {
    const task = await start('batch_continue');
    const [scan] = (await claimAll()).filter((s) => s.taskUuid === task);
    const ack = await completeStep(
      rt.services,
      scan as ClaimedStep,
      outcome === null ? { rows: 1 } : { batch_processing_outcome: outcome },
    );
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'error' });
    const steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()]).toEqual(['scan']);
    expect(steps.get('scan')?.last_error).toMatchObject({
      error_type: errorType,
      retryable: false,
      message: expect.stringMatching(message),
    });
    await expectConsistent(task);
  });
});

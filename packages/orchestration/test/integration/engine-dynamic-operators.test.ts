// Operator actions on dynamic steps (complete_manually of a decision or batchable step expands in the same
// call, resolve_manually closes it and releases the convergence holds, actions on batch workers), the
// expansion depth limit, cycles through dynamic parts refused at registration, and two replicas racing the
// same result or a batch's workers against the replay of its expansion.
import type { ClaimedStep, JsonValue } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimByName,
  claimReady,
  completeStep,
  cursorConfigs,
  decisionResult,
  expansionsOf,
  expectConsistent as expectConsistentRows,
  parentsOf,
  runStep,
  startTask,
  stepsOf,
} from './helpers/dynamic.js';
import { attachTestRuntime, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const NS = 'dyn_ops';
const h = (callable: string) => ({ callable });
const decide = decisionResult;
const run = (name: string, held: ClaimedStep[], result?: JsonValue): Promise<ClaimedStep> =>
  runStep(rt.services, NS, name, held, result);
const expectConsistent = (task: string): Promise<void> => expectConsistentRows(rt.sql, task);

const STATIC_PARENT = {
  name: 'ops_static_parent',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'start', handler: h('Start') },
    { name: 'decide', type: 'decision', dependencies: ['start'], handler: h('Decide') },
    { name: 'slow_static', dependencies: ['start'], handler: h('Slow') },
    { name: 'branch_a', dependencies: ['decide'], handler: h('A') },
    { name: 'branch_b', dependencies: ['decide'], handler: h('B') },
    {
      name: 'merge',
      type: 'deferred_convergence',
      dependencies: ['branch_a', 'branch_b', 'slow_static'],
      handler: h('M'),
    },
  ],
};

const BATCH = {
  name: 'ops_batch',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'scan', type: 'batchable', handler: h('Scan') },
    { name: 'side', handler: h('Side') },
    {
      name: 'chunk',
      type: 'batch_worker',
      dependencies: ['scan'],
      retry: { max_attempts: 1 },
      handler: h('Chunk'),
      batch_config: { worker_template: 'chunk', parallelism: 2, failure_strategy: 'isolate' },
    },
    { name: 'merge', type: 'deferred_convergence', dependencies: ['chunk', 'side'], handler: h('Merge') },
  ],
};

const NESTED = {
  name: 'ops_nested',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'root', handler: h('Root') },
    { name: 'outer', type: 'decision', dependencies: ['root'], handler: h('Outer') },
    { name: 'inner', type: 'decision', dependencies: ['outer'], handler: h('Inner') },
    { name: 'leaf', dependencies: ['inner'], handler: h('Leaf') },
  ],
};

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
  await rt.services.templates.register(TEST_PRINCIPAL, [STATIC_PARENT, BATCH, NESTED], { force: false });
});

afterAll(async () => {
  await rt?.stop();
});

const taskState = async (task: string): Promise<string> => (await rt.services.tasks.get(TEST_PRINCIPAL, task)).state;

const act = (task: string, stepUuid: string, action: Record<string, JsonValue>) =>
  rt.services.steps.applyManualAction(TEST_PRINCIPAL, task, stepUuid, {
    reason: 'operator',
    performedBy: 'ops',
    ...action,
  } as never);

const resume = (task: string) => rt.services.tasks.resume(TEST_PRINCIPAL, task, { performedBy: 'ops', reason: 'go' });

/** Runs start and slow_static, then fails the decision with a bad outcome (the task gives up). */
async function failedDecision(): Promise<{ task: string; decision: ClaimedStep }> {
  const task = await startTask(rt.services, NS, 'ops_static_parent');
  const held: ClaimedStep[] = [];
  await run('start', held);
  await run('slow_static', held);
  const decision = await run('decide', held, { no: 'outcome' });
  expect(await taskState(task)).toBe('error');
  return { task, decision };
}

describe('operator actions on a decision', () => {
  it('complete_manually with an outcome expands in the same call, exactly as a worker result', async () => {
    const { task, decision } = await failedDecision();
    await expect(
      act(task, decision.stepUuid, { type: 'complete_manually', result: decide(['nope']) }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/unknown_branch: decision decide cannot create nope/),
    });
    expect([...(await stepsOf(rt.sql, task)).keys()]).toEqual(['start', 'decide', 'slow_static', 'merge']);
    await expectConsistent(task);

    const step = await act(task, decision.stepUuid, { type: 'complete_manually', result: decide(['branch_b']) });
    expect(step.state).toBe('complete');
    const steps = await stepsOf(rt.sql, task);
    expect(steps.get('branch_b')).toMatchObject({ state: 'pending', created_by: 'decide', unsatisfied_parents: 0 });
    expect(steps.get('merge')).toMatchObject({ held: 0, unsatisfied_parents: 1 });
    expect(await parentsOf(rt.sql, task, 'merge')).toEqual(['branch_b', 'slow_static']);
    const [ledger] = await rt.sql<{ actor: string; lease_token: string | null }[]>`
      SELECT actor, lease_token FROM tasker.task_expansions WHERE task_uuid = ${task}`;
    expect(ledger).toEqual({ actor: 'ops', lease_token: null });
    await expectConsistent(task);

    await resume(task);
    const held: ClaimedStep[] = [];
    await run('branch_b', held);
    const merge = await claimByName(rt.services, NS, 'merge', held);
    expect(Object.keys(merge.parentResults).sort()).toEqual(['branch_b', 'slow_static']);
    await completeStep(rt.services, merge, {});
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('complete_manually of a pending decision in a running task dispatches its branches at once', async () => {
    const task = await startTask(rt.services, NS, 'ops_static_parent');
    const decision = (await stepsOf(rt.sql, task)).get('decide');
    const [row] = await rt.sql<{ step_uuid: string }[]>`
      SELECT step_uuid FROM tasker.steps WHERE task_uuid = ${task} AND name = 'decide'`;
    expect(decision?.state).toBe('pending');
    await act(task, row?.step_uuid as string, { type: 'complete_manually', result: decide(['branch_a']) });
    const held: ClaimedStep[] = [];
    await run('start', held);
    await run('branch_a', held);
    await run('slow_static', held);
    await run('merge', held);
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('resolve_manually creates nothing; the convergence step stops waiting for the branches', async () => {
    const { task, decision } = await failedDecision();
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({ held: 1, unsatisfied_parents: 1 });
    await act(task, decision.stepUuid, { type: 'resolve_manually' });
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({
      state: 'pending',
      held: 0,
      unsatisfied_parents: 0,
    });
    expect(await expansionsOf(rt.sql, task)).toEqual([]);
    await expectConsistent(task);
    await resume(task);
    const held: ClaimedStep[] = [];
    const merge = await claimByName(rt.services, NS, 'merge', held);
    expect(Object.keys(merge.parentResults)).toEqual(['slow_static']);
    await completeStep(rt.services, merge, {});
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('reset_for_retry reruns the decision, whose outcome then expands as usual', async () => {
    const { task, decision } = await failedDecision();
    await act(task, decision.stepUuid, { type: 'reset_for_retry' });
    await resume(task);
    await expectConsistent(task);
    const held: ClaimedStep[] = [];
    await run('decide', held, decide(['branch_a']));
    await run('branch_a', held);
    await run('merge', held);
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });
});

describe('operator actions on a batch', () => {
  async function failedScan(): Promise<{ task: string; scan: ClaimedStep }> {
    const task = await startTask(rt.services, NS, 'ops_batch');
    const held: ClaimedStep[] = [];
    await run('side', held);
    const scan = await run('scan', held, { batch_processing_outcome: { type: 'create_batches' } });
    expect(await taskState(task)).toBe('error');
    return { task, scan };
  }

  it('complete_manually of the batchable creates its workers under the parallelism cap', async () => {
    const { task, scan } = await failedScan();
    await act(task, scan.stepUuid, {
      type: 'complete_manually',
      result: { batch_processing_outcome: { type: 'create_batches', cursor_configs: cursorConfigs(3) } },
    });
    const steps = await stepsOf(rt.sql, task);
    expect(['chunk_001', 'chunk_002', 'chunk_003'].map((n) => steps.get(n)?.held)).toEqual([0, 0, 1]);
    expect(await parentsOf(rt.sql, task, 'merge')).toEqual(['chunk_001', 'chunk_002', 'chunk_003', 'side']);
    await expectConsistent(task);
    await resume(task);
    const first = (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);
    expect(first.map((s) => s.stepName)).toEqual(['chunk_001', 'chunk_002']);
    for (const w of first) await completeStep(rt.services, w, { ok: w.stepName });
    const held: ClaimedStep[] = [];
    await run('chunk_003', held);
    await run('merge', held);
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('completing or resolving a worker that waits for a slot gives up its hold; the cap still holds', async () => {
    const task = await startTask(rt.services, NS, 'ops_batch');
    const held: ClaimedStep[] = [];
    await run('side', held);
    await run('scan', held, { batch_processing_outcome: { type: 'create_batches', cursor_configs: cursorConfigs(4) } });
    const uuids = new Map(
      (
        await rt.sql<{ name: string; step_uuid: string }[]>`
          SELECT name, step_uuid FROM tasker.steps WHERE task_uuid = ${task}`
      ).map((r) => [r.name, r.step_uuid]),
    );
    expect((await stepsOf(rt.sql, task)).get('chunk_003')).toMatchObject({ state: 'pending', held: 1 });
    await act(task, uuids.get('chunk_003') as string, { type: 'complete_manually', result: { ok: 'by hand' } });
    await act(task, uuids.get('chunk_004') as string, { type: 'resolve_manually' });
    expect(await stepsOf(rt.sql, task)).toSatisfy((steps: Map<string, { held: number; state: string }>) =>
      ['chunk_003', 'chunk_004'].every((n) => steps.get(n)?.held === 0),
    );
    await expectConsistent(task);
    const workers = (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);
    expect(workers.map((s) => s.stepName).sort()).toEqual(['chunk_001', 'chunk_002']);
    for (const w of workers) await completeStep(rt.services, w, { ok: w.stepName });
    const merge = await claimByName(rt.services, NS, 'merge', held);
    // A resolved worker supplies no result; the aggregator still sees it by name.
    expect(merge.parentResults).toMatchObject({ chunk_003: { ok: 'by hand' }, chunk_004: null });
    expect(Object.keys(merge.parentResults)).toHaveLength(5);
    await completeStep(rt.services, merge, {});
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('resolve_manually of the batchable: no workers, and the aggregator waits only for what exists', async () => {
    const { task, scan } = await failedScan();
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({ held: 1 });
    await act(task, scan.stepUuid, { type: 'resolve_manually' });
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({ held: 0, unsatisfied_parents: 0 });
    await expectConsistent(task);
    await resume(task);
    await run('merge', []);
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });

  it('complete_manually of a parked worker gives the aggregator the operator’s result by name', async () => {
    const task = await startTask(rt.services, NS, 'ops_batch');
    const held: ClaimedStep[] = [];
    await run('side', held);
    await run('scan', held, { batch_processing_outcome: { type: 'create_batches', cursor_configs: cursorConfigs(3) } });
    const workers = (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);
    const [w1, w2] = workers as [ClaimedStep, ClaimedStep];
    await rt.services.workers.fail(TEST_PRINCIPAL, {
      workerId: 'dyn-worker',
      stepUuid: w1.stepUuid,
      leaseToken: w1.leaseToken,
      executionTimeMs: 1,
      error: {
        message: 'bad rows',
        errorType: 'handler_error',
        retryable: false,
        retryAfterSeconds: null,
        statusCode: null,
        backtrace: null,
        context: null,
      },
    });
    await completeStep(rt.services, w2, { ok: 2 });
    await run('chunk_003', held, { ok: 3 });
    expect(await taskState(task)).toBe('error');
    await act(task, w1.stepUuid, { type: 'complete_manually', result: { ok: 'by hand' } });
    await resume(task);
    const merge = await claimByName(rt.services, NS, 'merge', held);
    expect(merge.parentResults).toMatchObject({
      chunk_001: { ok: 'by hand' },
      chunk_002: { ok: 2 },
      chunk_003: { ok: 3 },
    });
    await completeStep(rt.services, merge, {});
    expect(await taskState(task)).toBe('complete');
    await expectConsistent(task);
  });
});

describe('limits and registration', () => {
  it('a nested decision beyond max_expansion_depth fails with limit_exceeded', async () => {
    const shallow = await attachTestRuntime(rt, { dynamic: { max_expansion_depth: 1 } });
    try {
      const task = await startTask(shallow.services, NS, 'ops_nested');
      const held: ClaimedStep[] = [];
      await run('root', held);
      await run('outer', held, decide(['inner']));
      const inner = await claimByName(rt.services, NS, 'inner', held);
      const ack = await completeStep(rt.services, inner, decide(['leaf']));
      expect(ack).toMatchObject({ stepState: 'error', taskState: 'error' });
      const steps = await stepsOf(rt.sql, task);
      expect([...steps.keys()].sort()).toEqual(['inner', 'outer', 'root']);
      expect(steps.get('inner')?.last_error).toMatchObject({
        error_type: 'limit_exceeded',
        retryable: false,
        message: 'expansion depth 2 exceeds max_expansion_depth 1',
      });
      await expectConsistent(task);
    } finally {
      await shallow.stop();
    }
  });

  it('refuses a template whose dependencies cycle through a decision or a batch', async () => {
    const cyclic = [
      {
        name: 'cycle_decision',
        namespace_name: NS,
        version: '1.0.0',
        steps: [
          { name: 'a', dependencies: ['branch'], handler: h('A') },
          { name: 'pick', type: 'decision', dependencies: ['a'], handler: h('Pick') },
          { name: 'branch', dependencies: ['pick'], handler: h('Branch') },
        ],
      },
      {
        name: 'cycle_batch',
        namespace_name: NS,
        version: '1.0.0',
        steps: [
          { name: 'scan', type: 'batchable', dependencies: ['agg'], handler: h('Scan') },
          {
            name: 'w',
            type: 'batch_worker',
            dependencies: ['scan'],
            handler: h('W'),
            batch_config: { worker_template: 'w' },
          },
          { name: 'agg', type: 'deferred_convergence', dependencies: ['w'], handler: h('Agg') },
        ],
      },
    ];
    for (const template of cyclic) {
      const refused = await rt.services.templates.register(TEST_PRINCIPAL, [template], { force: false }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(refused)).toMatch(/dependency cycle/);
    }
  });
});

describe('two replicas', () => {
  it('reporting the same decision result at once expands it once; both answer as applied', async () => {
    const other = await attachTestRuntime(rt);
    try {
      for (let round = 0; round < 5; round += 1) {
        const task = await startTask(rt.services, NS, 'ops_static_parent', { round });
        const held: ClaimedStep[] = [];
        await run('start', held);
        const decision = await claimByName(rt.services, NS, 'decide', held);
        const acks = await Promise.all([
          completeStep(rt.services, decision, decide(['branch_a', 'branch_b'])),
          completeStep(other.services, decision, decide(['branch_a', 'branch_b'])),
        ]);
        expect(acks.map((a) => a.stepState)).toEqual(['complete', 'complete']);
        expect(await expansionsOf(rt.sql, task)).toHaveLength(1);
        expect(await parentsOf(rt.sql, task, 'merge')).toEqual(['branch_a', 'branch_b', 'slow_static']);
        await expectConsistent(task);
      }
    } finally {
      await other.stop();
    }
  });

  it('workers of one batch completing while the batchable’s result is replayed: one expansion, exact counters', async () => {
    const other = await attachTestRuntime(rt);
    try {
      for (let round = 0; round < 5; round += 1) {
        const task = await startTask(rt.services, NS, 'ops_batch', { round });
        const held: ClaimedStep[] = [];
        await run('side', held);
        const outcome = { batch_processing_outcome: { type: 'create_batches', cursor_configs: cursorConfigs(4) } };
        const scan = await run('scan', held, outcome);
        const workers = (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);
        expect(workers).toHaveLength(2);
        await Promise.all([
          completeStep(other.services, scan, outcome),
          completeStep(rt.services, workers[0] as ClaimedStep, { ok: 1 }),
          completeStep(other.services, workers[1] as ClaimedStep, { ok: 2 }),
          completeStep(rt.services, scan, outcome),
        ]);
        expect(await expansionsOf(rt.sql, task)).toHaveLength(1);
        await expectConsistent(task);
        const rest = (await claimReady(rt.services, NS)).filter((s) => s.taskUuid === task);
        expect(rest.map((s) => s.stepName).sort()).toEqual(['chunk_003', 'chunk_004']);
        await Promise.all([
          completeStep(rt.services, rest[0] as ClaimedStep, { ok: 3 }),
          completeStep(other.services, rest[1] as ClaimedStep, { ok: 4 }),
        ]);
        const merge = await claimByName(rt.services, NS, 'merge', []);
        expect(Object.keys(merge.parentResults).sort()).toEqual([
          'chunk_001',
          'chunk_002',
          'chunk_003',
          'chunk_004',
          'side',
        ]);
        await completeStep(rt.services, merge, {});
        expect(await taskState(task)).toBe('complete');
        await expectConsistent(task);
      }
    } finally {
      await other.stop();
    }
  });
});

// Decision points and deferred convergence on a real database: each outcome kind, no branches, nested
// decisions, a convergence step with a pre-existing static parent, bad outcomes failing the decision with a
// classified error, an idempotent replay, and two replicas expanding sibling decisions at once.
import type { ClaimedStep, JsonValue } from '@tasker/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimByName,
  claimReady,
  completeStep,
  decisionResult,
  expansionsOf,
  expectConsistent as expectConsistentRows,
  parentsOf,
  runStep,
  stepsOf,
} from './helpers/dynamic.js';
import { attachTestRuntime, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const NS = 'dyn_dec';
const h = (callable: string) => ({ callable });
const decide = decisionResult;
const run = (name: string, held: ClaimedStep[], result?: JsonValue): Promise<ClaimedStep> =>
  runStep(rt.services, NS, name, held, result);
const expectConsistent = (taskUuid: string): Promise<void> => expectConsistentRows(rt.sql, taskUuid);

const ROUTING = {
  name: 'expense_routing',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'check_expense', handler: h('Check') },
    { name: 'choose_path', type: 'decision', dependencies: ['check_expense'], handler: h('Choose') },
    { name: 'instant_ok', dependencies: ['choose_path'], handler: h('Instant') },
    { name: 'lead_signoff', dependencies: ['choose_path'], handler: h('Lead') },
    { name: 'controller_signoff', step_type: 'standard', depends_on: ['choose_path'], handler: h('Controller') },
    {
      name: 'record_outcome',
      type: 'deferred_convergence',
      dependencies: ['instant_ok', 'lead_signoff', 'controller_signoff'],
      handler: h('Record'),
    },
  ],
};

const STATIC_PARENT = {
  name: 'static_parent',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'start', handler: h('Start') },
    { name: 'decide', type: 'decision', dependencies: ['start'], handler: h('Decide') },
    { name: 'slow_static', dependencies: ['start'], handler: h('Slow') },
    { name: 'branch_a', dependencies: ['decide'], handler: h('A') },
    { name: 'merge', type: 'deferred_convergence', dependencies: ['branch_a', 'slow_static'], handler: h('Merge') },
  ],
};

const NESTED = {
  name: 'nested',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'outer', type: 'decision', dependencies: ['root'], handler: h('Outer') },
    { name: 'root', handler: h('Root') },
    { name: 'inner', type: 'decision', dependencies: ['outer'], handler: h('Inner') },
    { name: 'b1', dependencies: ['outer'], handler: h('B1') },
    { name: 'c1', dependencies: ['inner'], handler: h('C1') },
    { name: 'c2', dependencies: ['inner'], handler: h('C2') },
    { name: 'c2_tail', dependencies: ['c2'], handler: h('C2Tail') },
    { name: 'final', type: 'deferred_convergence', dependencies: ['b1', 'c1', 'c2_tail'], handler: h('Final') },
  ],
};

const TWO_DECISIONS = {
  name: 'two_decisions',
  namespace_name: NS,
  version: '1.0.0',
  steps: [
    { name: 'root', handler: h('Root') },
    { name: 'd1', type: 'decision', dependencies: ['root'], handler: h('D1') },
    { name: 'd2', type: 'decision', dependencies: ['root'], handler: h('D2') },
    { name: 'x1', dependencies: ['d1'], handler: h('X1') },
    { name: 'x2', dependencies: ['d2'], handler: h('X2') },
    { name: 'join', type: 'deferred_convergence', dependencies: ['x1', 'x2'], handler: h('Join') },
  ],
};

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ dynamic: { max_steps_per_decision: 2 } });
  const registered = await rt.services.templates.register(
    TEST_PRINCIPAL,
    [ROUTING, STATIC_PARENT, NESTED, TWO_DECISIONS],
    { force: false },
  );
  expect(registered.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
});

afterAll(async () => {
  await rt?.stop();
});

async function start(name: string, context: Record<string, JsonValue> = {}): Promise<string> {
  const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: NS,
    name,
    version: '1.0.0',
    context: { ...context, nonce: Math.random() },
    initiator: 'test',
    sourceSystem: 'vitest',
    reason: 'dynamic',
  });
  return task.taskUuid;
}

describe('decision outcomes', () => {
  it('starts with the steps outside decisions, creates the chosen branch and its convergence step, and completes', async () => {
    const task = await start('expense_routing');
    expect([...(await stepsOf(rt.sql, task)).keys()]).toEqual(['check_expense', 'choose_path']);
    const held: ClaimedStep[] = [];
    await run('check_expense', held);
    const decision = await run('choose_path', held, decide(['lead_signoff']));
    const steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()].sort()).toEqual(['check_expense', 'choose_path', 'lead_signoff', 'record_outcome']);
    expect(steps.get('lead_signoff')).toMatchObject({
      state: 'enqueued',
      created_by: 'choose_path',
      template_step: null,
    });
    expect(steps.get('record_outcome')).toMatchObject({
      state: 'pending',
      step_type: 'deferred_convergence',
      created_by: 'choose_path',
      held: 0,
    });
    expect(await parentsOf(rt.sql, task, 'record_outcome')).toEqual(['lead_signoff']);
    expect(await expansionsOf(rt.sql, task)).toEqual([
      {
        trigger_name: 'choose_path',
        event: 'decision.branches_created',
        outcome_type: 'create_steps',
        created_steps: ['lead_signoff', 'record_outcome'],
      },
    ]);
    expect(decision.parentResults).toEqual({ check_expense: { ok: true } });
    await run('lead_signoff', held, { signed: 'lead' });
    const record = await claimByName(rt.services, NS, 'record_outcome', held);
    expect(record.parentResults).toEqual({ lead_signoff: { signed: 'lead' } });
    await completeStep(rt.services, record, { done: true });
    const done = await rt.services.tasks.get(TEST_PRINCIPAL, task);
    expect(done).toMatchObject({ state: 'complete' });
    expect(done.execution.totalSteps).toBe(4);
    await expectConsistent(task);
  });

  it('creates two branches that run in parallel and a convergence step waiting for both', async () => {
    const task = await start('expense_routing');
    const held: ClaimedStep[] = [];
    await run('check_expense', held);
    await run('choose_path', held, decide(['lead_signoff', 'controller_signoff']));
    const ready = await claimReady(rt.services, NS);
    expect(ready.map((s) => s.stepName).sort()).toEqual(['controller_signoff', 'lead_signoff']);
    held.push(...ready);
    await run('lead_signoff', held);
    expect((await stepsOf(rt.sql, task)).get('record_outcome')).toMatchObject({
      state: 'pending',
      unsatisfied_parents: 1,
    });
    await run('controller_signoff', held);
    const record = await claimByName(rt.services, NS, 'record_outcome', held);
    expect(Object.keys(record.parentResults).sort()).toEqual(['controller_signoff', 'lead_signoff']);
    await completeStep(rt.services, record, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).execution.totalSteps).toBe(5);
    await expectConsistent(task);
  });

  it('no_branches creates nothing and the task completes without the convergence step', async () => {
    const task = await start('expense_routing');
    const held: ClaimedStep[] = [];
    await run('check_expense', held);
    await run('choose_path', held, decide(null));
    const done = await rt.services.tasks.get(TEST_PRINCIPAL, task);
    expect(done.state).toBe('complete');
    expect([...(await stepsOf(rt.sql, task)).keys()]).toEqual(['check_expense', 'choose_path']);
    expect((await expansionsOf(rt.sql, task))[0]).toMatchObject({ outcome_type: 'no_branches', created_steps: [] });
    await expectConsistent(task);
  });
});

describe('convergence', () => {
  it('waits for a pre-existing static parent as well as the branches that appear', async () => {
    const task = await start('static_parent');
    // merge exists from the start (slow_static is static), held while branch_a may still appear.
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({
      state: 'pending',
      held: 1,
      total_parents: 2,
      unsatisfied_parents: 2,
    });
    const held: ClaimedStep[] = [];
    await run('start', held);
    await run('decide', held, decide(['branch_a']));
    expect(await parentsOf(rt.sql, task, 'merge')).toEqual(['branch_a', 'slow_static']);
    await run('branch_a', held);
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({
      state: 'pending',
      held: 0,
      unsatisfied_parents: 1,
    });
    await run('slow_static', held, { slow: 1 });
    const merge = await claimByName(rt.services, NS, 'merge', held);
    expect(Object.keys(merge.parentResults).sort()).toEqual(['branch_a', 'slow_static']);
    await completeStep(rt.services, merge, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });

  it('becomes ready when its last possible parent can no longer appear and the others are done', async () => {
    const task = await start('static_parent');
    const held: ClaimedStep[] = [];
    await run('start', held);
    await run('slow_static', held);
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({
      state: 'pending',
      held: 1,
      unsatisfied_parents: 1,
    });
    await run('decide', held, decide(null));
    expect((await stepsOf(rt.sql, task)).get('merge')).toMatchObject({
      state: 'enqueued',
      held: 0,
      unsatisfied_parents: 0,
    });
    await run('merge', held);
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });

  it('nested decisions: the inner decision comes with the branch, the convergence waits for what it chooses', async () => {
    const task = await start('nested');
    const held: ClaimedStep[] = [];
    await run('root', held);
    await run('outer', held, decide(['inner']));
    let steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()].sort()).toEqual(['inner', 'outer', 'root']);
    await run('inner', held, decide(['c2']));
    steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()].sort()).toEqual(['c2', 'c2_tail', 'final', 'inner', 'outer', 'root']);
    expect(steps.get('c2_tail')).toMatchObject({ created_by: 'inner', state: 'pending' });
    expect(steps.get('final')).toMatchObject({ state: 'pending', held: 0 });
    await run('c2', held);
    await run('c2_tail', held);
    const final = await claimByName(rt.services, NS, 'final', held);
    expect(Object.keys(final.parentResults)).toEqual(['c2_tail']);
    await completeStep(rt.services, final, {});
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    const depths = await rt.sql<{ trigger_name: string; depth: number }[]>`
      SELECT trigger_name, depth FROM tasker.task_expansions WHERE task_uuid = ${task} ORDER BY event_id`;
    expect(depths).toEqual([
      { trigger_name: 'outer', depth: 1 },
      { trigger_name: 'inner', depth: 2 },
    ]);
    await expectConsistent(task);
  });

  it('a convergence created by one decision stays held while a sibling decision may still add parents', async () => {
    const task = await start('two_decisions');
    const held: ClaimedStep[] = [];
    await run('root', held);
    await run('d1', held, decide(['x1']));
    expect((await stepsOf(rt.sql, task)).get('join')).toMatchObject({ state: 'pending', held: 1 });
    await run('x1', held);
    expect((await stepsOf(rt.sql, task)).get('join')).toMatchObject({
      state: 'pending',
      held: 1,
      unsatisfied_parents: 1,
    });
    await run('d2', held, decide(['x2']));
    expect(await parentsOf(rt.sql, task, 'join')).toEqual(['x1', 'x2']);
    await run('x2', held);
    await run('join', held);
    expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
    await expectConsistent(task);
  });
});

describe('bad outcomes fail the decision permanently', () => {
  const cases: { label: string; result: JsonValue; errorType: string; message: RegExp }[] = [
    {
      label: 'a missing outcome',
      result: { route: 'x' },
      errorType: 'invalid_outcome',
      message: /decision_point_outcome/,
    },
    {
      label: 'an unknown type',
      result: { decision_point_outcome: { type: 'maybe' } },
      errorType: 'invalid_outcome',
      message: /create_steps or no_branches/,
    },
    {
      label: 'empty step_names',
      result: { decision_point_outcome: { type: 'create_steps', step_names: [] } },
      errorType: 'invalid_outcome',
      message: /non-empty/,
    },
    {
      label: 'a name outside its branches',
      result: decide(['check_expense']),
      errorType: 'unknown_branch',
      message: /cannot create check_expense/,
    },
    {
      label: 'more names than the limit',
      result: decide(['instant_ok', 'lead_signoff', 'controller_signoff']),
      errorType: 'limit_exceeded',
      message: /max_steps_per_decision is 2/,
    },
  ];
  it.each(cases)('$label → $errorType', async ({ result, errorType, message }) => {
    const task = await start('expense_routing');
    const held: ClaimedStep[] = [];
    await run('check_expense', held);
    const step = await claimByName(rt.services, NS, 'choose_path', held);
    const ack = await completeStep(rt.services, step, result);
    expect(ack).toMatchObject({ stepState: 'error', taskState: 'error' });
    const steps = await stepsOf(rt.sql, task);
    expect([...steps.keys()]).toEqual(['check_expense', 'choose_path']);
    expect(steps.get('choose_path')?.last_error).toMatchObject({
      error_type: errorType,
      retryable: false,
      message: expect.stringMatching(message),
    });
    expect(await expansionsOf(rt.sql, task)).toEqual([]);
    const dlq = await rt.services.dlq!.getByTask(TEST_PRINCIPAL, task);
    expect(dlq.reason).toBe('max_retries_exceeded');
    await expectConsistent(task);
  });
});

describe('replays and replicas', () => {
  it('a replayed decision result answers as the first did and creates nothing more', async () => {
    const task = await start('expense_routing');
    const held: ClaimedStep[] = [];
    await run('check_expense', held);
    const step = await claimByName(rt.services, NS, 'choose_path', held);
    const first = await completeStep(rt.services, step, decide(['instant_ok']));
    const again = await completeStep(rt.services, step, decide(['instant_ok']));
    expect(again).toMatchObject({ stepState: 'complete', taskState: first.taskState });
    const batch = await rt.services.workers.reportResults(TEST_PRINCIPAL, {
      workerId: 'dyn-worker',
      claim: null,
      results: [
        {
          kind: 'completed',
          stepUuid: step.stepUuid,
          leaseToken: step.leaseToken,
          result: decide(['lead_signoff']),
          executionTimeMs: 1,
          metadata: null,
        },
      ],
    });
    expect(JSON.stringify(batch)).toContain('"ok"');
    expect([...(await stepsOf(rt.sql, task)).keys()].sort()).toEqual([
      'check_expense',
      'choose_path',
      'instant_ok',
      'record_outcome',
    ]);
    expect(await expansionsOf(rt.sql, task)).toHaveLength(1);
    await expectConsistent(task);
  });

  it('two replicas completing sibling decisions at once expand each once and share one convergence step', async () => {
    const other = await attachTestRuntime(rt);
    try {
      for (let round = 0; round < 5; round += 1) {
        const task = await start('two_decisions', { round });
        const held: ClaimedStep[] = [];
        await run('root', held);
        const d1 = await claimByName(rt.services, NS, 'd1', held);
        const d2 = await claimByName(rt.services, NS, 'd2', held);
        await Promise.all([
          completeStep(rt.services, d1, decide(['x1'])),
          completeStep(other.services, d2, decide(['x2'])),
        ]);
        const steps = await stepsOf(rt.sql, task);
        expect([...steps.keys()].sort()).toEqual(['d1', 'd2', 'join', 'root', 'x1', 'x2']);
        expect(steps.get('join')).toMatchObject({ held: 0, total_parents: 2, unsatisfied_parents: 2 });
        expect(await expansionsOf(rt.sql, task)).toHaveLength(2);
        held.length = 0;
        await run('x1', held);
        await run('x2', held);
        await run('join', held);
        expect((await rt.services.tasks.get(TEST_PRINCIPAL, task)).state).toBe('complete');
        await expectConsistent(task);
      }
    } finally {
      await other.stop();
    }
  });
});

// The four reference shapes run to complete through services.workers, and every task's and step's history
// is a valid path of the state machines with all counters consistent.
import type { ClaimedStep, JsonValue } from '@tasker/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  runWorkerLoop,
  stopWorkerLoops,
  startTestRuntime,
  TEST_PRINCIPAL,
  waitForTaskState,
  type FixtureTemplate,
  type TestRuntime,
} from './helpers/runtime.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
  for (const name of ['linear', 'diamond', 'dag7', 'tree8'] as const) await registerFixtureTemplate(rt.services, name);
});

afterAll(async () => {
  await rt?.stop();
});

afterEach(stopWorkerLoops);

const SHAPES: {
  fixture: FixtureTemplate;
  namespace: string;
  name: string;
  version: string;
  context: Record<string, JsonValue>;
  order: string[][];
}[] = [
  {
    fixture: 'linear',
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: 7 },
    order: [['load_invoice'], ['compute_tax'], ['charge_card'], ['send_receipt']],
  },
  {
    fixture: 'diamond',
    namespace: 'media',
    name: 'media_ingest',
    version: '2.1.0',
    context: { url: 'x' },
    order: [['fetch_source'], ['make_thumbs', 'transcribe'], ['publish_asset']],
  },
  {
    fixture: 'dag7',
    namespace: 'crm',
    name: 'customer_onboarding',
    version: '1.0.0',
    context: {},
    order: [
      ['open_case'],
      ['check_identity', 'check_credit'],
      ['score_risk', 'create_login', 'set_limits'],
      ['welcome_pack'],
    ],
  },
  {
    fixture: 'tree8',
    namespace: 'reports',
    name: 'report_rollup',
    version: '1.0.0',
    context: {},
    order: [['root'], ['branch_a', 'branch_b'], ['leaf_a1', 'leaf_a2', 'leaf_b1', 'leaf_b2'], ['rollup']],
  },
];

describe.each(SHAPES)('$fixture template', (shape) => {
  it('runs to complete; parents run first and children see their results; histories are valid paths', async () => {
    const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
      namespace: shape.namespace,
      name: shape.name,
      version: shape.version,
      context: shape.context,
      initiator: 'engine-test',
      sourceSystem: 'vitest',
      reason: `run ${shape.fixture}`,
      tags: ['engine', shape.fixture],
      priority: 5,
    });
    expect(task).toMatchObject({
      state: 'steps_in_process',
      tags: ['engine', shape.fixture],
      priority: 5,
      initiator: 'engine-test',
    });
    expect(task.execution.readySteps).toBe(1);

    const seen: ClaimedStep[] = [];
    const controller = new AbortController();
    const loop = runWorkerLoop(rt.services, {
      namespaces: [shape.namespace],
      signal: controller.signal,
      concurrency: 3,
      handlers: {
        '*': (step) => {
          seen.push(step);
          return { step: step.stepName, parents: Object.keys(step.parentResults).sort() };
        },
      },
    });
    const done = await waitForTaskState(rt.services, task.taskUuid, ['complete', 'error']);
    controller.abort();
    const stats = await loop;

    expect(done.state).toBe('complete');
    expect(done.completedAt).toBeInstanceOf(Date);
    expect(done.execution).toMatchObject({
      completionPercentage: 100,
      executionStatus: 'all_complete',
      recommendedAction: 'none',
    });
    expect(stats).toMatchObject({ failed: 0, refused: 0, errors: [] });

    // Every step was claimed after each of its parents (a tree's leaf may start while a sibling of its parent
    // still runs: only the edges order claims).
    const claimIndex = new Map(seen.map((s, i) => [s.stepName, i]));
    expect([...claimIndex.keys()].sort()).toEqual(shape.order.flat().sort());
    for (const step of seen) {
      const parents = Object.keys(step.parentResults);
      const stage = shape.order.findIndex((names) => names.includes(step.stepName));
      expect(parents.length > 0).toBe(stage > 0);
      for (const parent of parents)
        expect(claimIndex.get(parent) ?? Infinity).toBeLessThan(claimIndex.get(step.stepName) ?? -1);
    }
    for (const step of seen) {
      expect(step.context).toEqual(shape.context);
      expect(step.attempt).toBe(1);
      for (const [parent, result] of Object.entries(step.parentResults)) {
        expect(result).toMatchObject({ step: parent });
      }
    }

    expect(await historyProblems(rt.sql, task.taskUuid)).toEqual([]);
    expect(await invariantViolations(rt.sql, task.taskUuid)).toEqual([]);
    const steps = await rt.services.steps.list(TEST_PRINCIPAL, task.taskUuid);
    expect(steps.every((s) => s.state === 'complete' && s.completedAt !== null && s.dependenciesSatisfied)).toBe(true);
  });
});

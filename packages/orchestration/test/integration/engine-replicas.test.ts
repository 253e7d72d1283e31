// Two engine instances (own pools, own LISTEN connections, own loops) on one database, each with its own
// workers, run 200 tasks to completion: every step runs exactly once.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  attachTestRuntime,
  historyProblems,
  invariantViolations,
  registerFixtureTemplate,
  runWorkerLoop,
  stopWorkerLoops,
  startTestRuntime,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

let a: TestRuntime;
let b: TestRuntime;

beforeAll(async () => {
  // Leases far longer than the run: on a loaded machine a 2 s lease could lapse between claim and result,
  // and a legitimate re-dispatch would be indistinguishable from double processing here.
  const overrides = { engine: { lease_seconds: 60 } };
  a = await startTestRuntime(overrides);
  b = await attachTestRuntime(a, overrides);
  await registerFixtureTemplate(a.services, 'diamond');
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

afterEach(stopWorkerLoops);

it('two runtimes on one database run 200 tasks to completion with no double processing', async () => {
  const runs = new Map<string, number>();
  const controller = new AbortController();
  const handlers = {
    '*': (step: { stepUuid: string; stepName: string }) => {
      runs.set(step.stepUuid, (runs.get(step.stepUuid) ?? 0) + 1);
      return { step: step.stepName };
    },
  };
  const loops = [
    runWorkerLoop(a.services, {
      handlers,
      signal: controller.signal,
      concurrency: 4,
      workerId: 'worker-a',
      maxSteps: 4,
    }),
    runWorkerLoop(b.services, {
      handlers,
      signal: controller.signal,
      concurrency: 4,
      workerId: 'worker-b',
      maxSteps: 4,
    }),
  ];

  try {
    const created = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? a : b).services.tasks.create(TEST_PRINCIPAL, {
          namespace: 'media',
          name: 'media_ingest',
          version: '2.1.0',
          context: { i },
          initiator: 't',
          sourceSystem: 't',
          reason: 't',
        }),
      ),
    );
    const ids = created.map((t) => t.taskUuid);
    const deadline = Date.now() + 40_000;
    for (;;) {
      const [row] = await a.sql<{ open: number }[]>`
        SELECT count(*)::int AS open FROM tasker.tasks WHERE task_uuid = ANY (${ids}::uuid[]) AND state <> 'complete'`;
      if (row?.open === 0) break;
      if (Date.now() > deadline) throw new Error(`${row?.open} tasks not complete`);
      await new Promise((r) => setTimeout(r, 50));
    }
    controller.abort();
    const stats = await Promise.all(loops);

    expect(runs.size).toBe(800);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(stats.map((s) => s.refused)).toEqual([0, 0]);
    expect(stats.flatMap((s) => s.errors)).toEqual([]);
    expect(stats[0]?.completed ?? 0).toBeGreaterThan(0);
    expect(stats[1]?.completed ?? 0).toBeGreaterThan(0);
    const [attempts] = await a.sql<{ total: number; completed: number; steps: number }[]>`
      SELECT count(*)::int AS total, count(*) FILTER (WHERE outcome = 'completed')::int AS completed,
             count(DISTINCT step_uuid)::int AS steps
      FROM tasker.step_attempts WHERE task_uuid = ANY (${ids}::uuid[])`;
    expect(attempts).toEqual({ total: 800, completed: 800, steps: 800 });
    for (const id of ids.slice(0, 20)) {
      expect(await historyProblems(a.sql, id)).toEqual([]);
      expect(await invariantViolations(a.sql, id)).toEqual([]);
    }
  } finally {
    controller.abort();
    await Promise.all(loops);
  }
});

// Fair priorities: claims order by dispatch_key = enqueued_at - priority × engine.priority_aging_ms, so a
// low-priority step under a sustained stream of higher-priority work waits at most (priority difference ×
// aging interval) longer than the steps that pass it: delayed, never starved.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  registerFixtureTemplate,
  runWorkerLoop,
  startTestRuntime,
  stopWorkerLoops,
  TEST_PRINCIPAL,
  type TestRuntime,
} from './helpers/runtime.js';

const AGING_MS = 100;
const HIGH = 5;
let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ engine: { priority_aging_ms: AGING_MS } });
  await registerFixtureTemplate(rt.services, 'linear');
});

afterAll(async () => {
  await rt?.stop();
});

afterEach(stopWorkerLoops);

const create = (priority: number, i: number) =>
  rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: 'billing',
    name: 'invoice_settlement',
    version: '1.0.0',
    context: { invoice_id: i },
    initiator: 't',
    sourceSystem: 't',
    reason: 't',
    priority,
  });

it('sets dispatch_key = enqueued_at - priority × the aging interval wherever a step is enqueued', async () => {
  const task = await create(3, 1);
  const [row] = await rt.sql<{ ok: boolean }[]>`
    SELECT bool_and(dispatch_key = enqueued_at - 3 * ${AGING_MS} * interval '1 millisecond') AS ok
    FROM tasker.steps WHERE task_uuid = ${task.taskUuid} AND state = 'enqueued'`;
  expect(row?.ok).toBe(true);
});

it('runs a low-priority step under sustained high-priority load within its aging bound', async () => {
  const controller = new AbortController();
  const worker = runWorkerLoop(rt.services, {
    handlers: { '*': () => new Promise((r) => setTimeout(() => r({}), 10)) },
    signal: controller.signal,
    concurrency: 1,
    waitMs: 200,
  });
  // The backlog of high-priority work is topped up whenever it falls below 40 enqueued steps: it never drains.
  let producing = true;
  let n = 1000;
  const backlog = async (): Promise<number> => {
    const [row] = await rt.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tasker.steps WHERE state = 'enqueued' AND priority = ${HIGH}`;
    return row?.n ?? 0;
  };
  const producer = (async () => {
    while (producing) {
      if ((await backlog()) < 40) await Promise.all(Array.from({ length: 20 }, () => create(HIGH, (n += 1))));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 300));
    const low = await create(0, 1);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [step] = await rt.sql<{ state: string }[]>`
        SELECT state FROM tasker.steps WHERE task_uuid = ${low.taskUuid} AND name = 'load_invoice'`;
      if (step?.state !== 'enqueued') break;
      if (Date.now() > deadline) throw new Error('the low-priority step was never claimed');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await backlog()).toBeGreaterThan(0);
    producing = false;
    await producer;
    const [first] = await rt.sql<{ step_uuid: string; enqueued_at: Date; claimed_at: Date }[]>`
      SELECT step_uuid, enqueued_at, (SELECT min(created_at) FROM tasker.step_transitions t
                                      WHERE t.step_uuid = s.step_uuid AND t.event = 'claim') AS claimed_at
      FROM tasker.steps s WHERE task_uuid = ${low.taskUuid} AND name = 'load_invoice'`;
    if (first === undefined) throw new Error('no first step');
    const bound = new Date(first.enqueued_at.getTime() + HIGH * AGING_MS);
    // Every high step claimed before it was enqueued within its bound ...
    const [passed] = await rt.sql<{ n: number; late: number }[]>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE s.enqueued_at > ${bound})::int AS late
      FROM tasker.steps s JOIN tasker.step_transitions t ON t.step_uuid = s.step_uuid AND t.event = 'claim'
      WHERE s.priority = ${HIGH} AND t.created_at < ${first.claimed_at}`;
    expect(passed?.late).toBe(0);
    // ... while high steps enqueued after the bound were still waiting when it ran (the load was sustained).
    const [waiting] = await rt.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM tasker.steps s
      WHERE s.priority = ${HIGH} AND s.enqueued_at > ${bound}
        AND NOT EXISTS (SELECT 1 FROM tasker.step_transitions t
                        WHERE t.step_uuid = s.step_uuid AND t.event = 'claim' AND t.created_at < ${first.claimed_at})`;
    expect(waiting?.n).toBeGreaterThan(0);
  } finally {
    producing = false;
    controller.abort();
    await producer;
    await worker;
  }
}, 40_000);

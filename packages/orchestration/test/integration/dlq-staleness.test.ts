// Staleness monitoring uses the CONFIGURED thresholds (here deliberately unlike the reference's 60/30/30) and
// per-template lifecycle overrides: healthy below 80 %, warning from 80 %, stale from 100 % of the state's
// threshold or of the task's max lifetime; sorted stale → warning → healthy, then longest time in state.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StalenessHealthStatus, StepState, TaskState } from '@tasker/shared';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { createDlqService } from '../../src/services/dlq-investigations.js';
import type { DlqService } from '../../src/services/types.js';
import { databaseNow, minutesBefore, seedTask, seedTemplate, type SeededTemplate } from './helpers/seed.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
const alphaOnly: Principal = { subject: 'alice', kind: 'api_key', permissions: ['dlq:read'], namespaces: ['alpha'] };
const THRESHOLDS = { waiting_for_dependencies: 50, waiting_for_retry: 20, steps_in_process: 40 } as const;
const LIFETIME_HOURS = 24;

interface Expected {
  taskUuid: string;
  namespace: string;
  state: TaskState;
  timeInState: number;
  age: number;
  threshold: number;
  lifetime: number;
}

let dlq: DlqService;
const watched: Expected[] = [];

beforeAll(async () => {
  const config = loadConfig({
    env: { TASKER_ENV: 'test' },
    overrides: {
      staleness: {
        thresholds: {
          waiting_for_dependencies_minutes: THRESHOLDS.waiting_for_dependencies,
          waiting_for_retry_minutes: THRESHOLDS.waiting_for_retry,
          steps_in_process_minutes: THRESHOLDS.steps_in_process,
          task_max_lifetime_hours: LIFETIME_HOURS,
        },
      },
    },
  });
  dlq = createDlqService({ sql: db.sql, config });
  const now = await databaseNow(db.sql);
  const plain = await seedTemplate(db.sql, { namespace: 'alpha' });
  const snake = await seedTemplate(db.sql, {
    namespace: 'alpha',
    lifecycle: { max_steps_in_process_minutes: 10, max_duration_minutes: 100 },
  });
  const camel = await seedTemplate(db.sql, { namespace: 'alpha', lifecycle: { maxWaitingForRetryMinutes: 5 } });
  const other = await seedTemplate(db.sql, { namespace: 'beta' });

  async function watch(
    template: SeededTemplate,
    state: keyof typeof THRESHOLDS,
    timeInState: number,
    age = timeInState,
    threshold: number = THRESHOLDS[state],
    lifetime = LIFETIME_HOURS * 60,
  ) {
    const task = await seedTask(db.sql, {
      template,
      state,
      createdAt: minutesBefore(now, age),
      stateEnteredAt: minutesBefore(now, timeInState),
    });
    watched.push({
      taskUuid: task.taskUuid,
      namespace: template.namespace,
      state,
      timeInState,
      age,
      threshold,
      lifetime,
    });
  }

  for (const state of ['steps_in_process', 'waiting_for_dependencies', 'waiting_for_retry'] as const) {
    for (const share of [0.79, 0.8, 1]) await watch(plain, state, THRESHOLDS[state] * share);
  }
  await watch(snake, 'steps_in_process', 8, 8, 10, 100); // 80 % of the template's 10, only 20 % of the config's 40
  await watch(camel, 'waiting_for_retry', 5.5, 5.5, 5); // past the template's 5 minutes
  await watch(snake, 'waiting_for_dependencies', 3, 100, THRESHOLDS.waiting_for_dependencies, 100); // lifetime reached
  await watch(plain, 'waiting_for_dependencies', 2, 0.85 * LIFETIME_HOURS * 60); // 85 % of the default lifetime
  await watch(other, 'steps_in_process', 45); // stale, but in namespace beta

  // States staleness does not watch never appear, however old.
  for (const state of ['pending', 'evaluating_results', 'blocked_by_failures', 'complete', 'error'] as const) {
    await seedTask(db.sql, {
      template: plain,
      state,
      createdAt: minutesBefore(now, 5000),
      stateEnteredAt: minutesBefore(now, 4000),
    });
  }
});

function classify(e: Expected): StalenessHealthStatus {
  const ratio = Math.max(e.timeInState / e.threshold, e.age / e.lifetime);
  return ratio >= 1 ? 'stale' : ratio >= 0.8 ? 'warning' : 'healthy';
}

const RANK: Record<StalenessHealthStatus, number> = { stale: 0, warning: 1, healthy: 2 };

function expectedOrder(list: Expected[]): { taskUuid: string; status: StalenessHealthStatus; threshold: number }[] {
  return list
    .map((e) => ({ ...e, status: classify(e) }))
    .sort((a, b) => RANK[a.status] - RANK[b.status] || b.timeInState - a.timeInState)
    .map((e) => ({ taskUuid: e.taskUuid, status: e.status, threshold: e.threshold }));
}

describe('DlqService.staleness', () => {
  it('classifies at 79 % / 80 % / 100 % of the configured threshold of each state', async () => {
    const got = await dlq.staleness(ALL_PERMISSIONS_PRINCIPAL, 100);
    const byTask = new Map(got.map((i) => [i.taskUuid, i]));
    for (const e of watched.slice(0, 9)) {
      const share = e.timeInState / e.threshold;
      const want = share >= 1 ? 'stale' : share >= 0.8 ? 'warning' : 'healthy';
      expect([e.state, share, byTask.get(e.taskUuid)?.healthStatus]).toEqual([e.state, share, want]);
      expect(byTask.get(e.taskUuid)?.stalenessThresholdMinutes).toBe(e.threshold);
    }
  });

  it('applies template lifecycle overrides (snake_case or camelCase) and the max lifetime', async () => {
    const got = new Map((await dlq.staleness(ALL_PERMISSIONS_PRINCIPAL, 100)).map((i) => [i.taskUuid, i]));
    const [tuned, camel, expired, aging] = watched.slice(9, 13) as [Expected, Expected, Expected, Expected];
    expect(got.get(tuned.taskUuid)).toMatchObject({ healthStatus: 'warning', stalenessThresholdMinutes: 10 });
    expect(got.get(camel.taskUuid)).toMatchObject({ healthStatus: 'stale', stalenessThresholdMinutes: 5 });
    expect(got.get(expired.taskUuid)).toMatchObject({ healthStatus: 'stale', stalenessThresholdMinutes: 50 });
    expect(got.get(aging.taskUuid)).toMatchObject({ healthStatus: 'warning' });
    expect(got.get(aging.taskUuid)?.taskAgeMinutes).toBeCloseTo(0.85 * LIFETIME_HOURS * 60, 0);
  });

  it('orders stale → warning → healthy, then longest time in state, and skips unwatched states', async () => {
    const got = await dlq.staleness(ALL_PERMISSIONS_PRINCIPAL, 100);
    expect(
      got.map((i) => ({ taskUuid: i.taskUuid, status: i.healthStatus, threshold: i.stalenessThresholdMinutes })),
    ).toEqual(expectedOrder(watched));
    const first = got[0];
    expect(first).toMatchObject({
      namespace: expect.any(String),
      taskName: expect.stringMatching(/^template_/),
      priority: 0,
    });
    expect(first?.timeInStateMinutes).toBeCloseTo(
      Math.max(...watched.filter((e) => classify(e) === 'stale').map((e) => e.timeInState)),
      0,
    );
  });

  it('honours the limit and the namespace scope', async () => {
    expect((await dlq.staleness(ALL_PERMISSIONS_PRINCIPAL, 4)).map((i) => i.taskUuid)).toEqual(
      expectedOrder(watched)
        .slice(0, 4)
        .map((e) => e.taskUuid),
    );
    expect((await dlq.staleness(alphaOnly, 100)).map((i) => i.taskUuid)).toEqual(
      expectedOrder(watched.filter((e) => e.namespace === 'alpha')).map((e) => e.taskUuid),
    );
  });
});

describe('the seed helper', () => {
  it('writes tasks the consistency check finds nothing wrong with, steps in every resting state included', async () => {
    const template = await seedTemplate(db.sql, { namespace: 'gamma' });
    const now = await databaseNow(db.sql);
    // The two *_for_orchestration states are only passed through inside a transaction: nothing rests there.
    const states: StepState[] = [
      'pending',
      'enqueued',
      'in_progress',
      'waiting_for_retry',
      'complete',
      'error',
      'cancelled',
      'resolved_manually',
    ];
    const claimed = (s: StepState) => !['pending', 'enqueued', 'cancelled', 'resolved_manually'].includes(s);
    const task = await seedTask(db.sql, {
      template,
      state: 'steps_in_process',
      createdAt: minutesBefore(now, 30),
      steps: states.map((state) => ({
        name: `step_${state}`,
        state,
        ...(claimed(state)
          ? { claims: [minutesBefore(now, 20), minutesBefore(now, 10)], finishedAt: minutesBefore(now, 5) }
          : {}),
      })),
    });
    const done = await seedTask(db.sql, {
      template,
      state: 'complete',
      createdAt: minutesBefore(now, 30),
      steps: [
        { name: 'only', state: 'complete', claims: [minutesBefore(now, 25)], finishedAt: minutesBefore(now, 20) },
      ],
    });
    for (const uuid of [task.taskUuid, done.taskUuid]) {
      const rows = await db.sql`select v from tasker.task_invariant_violations(${uuid}) v`;
      expect(rows.map((r) => r['v'])).toEqual([]);
    }
  });
});

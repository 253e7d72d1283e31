// Analytics against a seeded history with tasks inside and outside the window. Every expected figure is
// computed here, in JS, from the seed specification (not by re-running the service's SQL).
import { beforeAll, describe, expect, it } from 'vitest';
import { STEP_STATES, TASK_STATES, type StepState, type TaskState } from '@tasker/shared';
import { loadConfig } from '@tasker/shared/config';
import { ALL_PERMISSIONS_PRINCIPAL, type Principal } from '@tasker/shared/permissions';
import { createAnalyticsService, recommend } from '../../src/services/analytics.js';
import type { AnalyticsService } from '../../src/services/types.js';
import { databaseNow, seedTask, seedTemplate, type SeededTemplate } from './helpers/seed.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
const admin = ALL_PERMISSIONS_PRINCIPAL;
const alphaOnly: Principal = {
  subject: 'alice',
  kind: 'jwt',
  permissions: ['system:analytics_read'],
  namespaces: ['alpha'],
};
const MIN = 60_000;
const HOUR = 3_600_000;

interface StepSpec {
  name: string;
  state: StepState;
  claimAt?: number;
  minutes?: number;
  claims?: number;
}
interface TaskSpec {
  tpl: string;
  state: TaskState;
  hoursAgo: number;
  minutes?: number;
  steps: StepSpec[];
}

// claimAt / minutes: minutes after the task's creation when the step was first claimed, and how long it ran.
const SPEC: TaskSpec[] = [
  {
    tpl: 'pay',
    state: 'complete',
    hoursAgo: 2,
    minutes: 10,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 2 },
      { name: 'charge', state: 'complete', claimAt: 4, minutes: 5 },
    ],
  },
  {
    tpl: 'pay',
    state: 'complete',
    hoursAgo: 3,
    minutes: 20,
    steps: [
      { name: 'load', state: 'complete', claimAt: 2, minutes: 3 },
      { name: 'charge', state: 'complete', claimAt: 5, minutes: 12, claims: 2 },
    ],
  },
  {
    tpl: 'pay',
    state: 'error',
    hoursAgo: 4,
    minutes: 30,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 1 },
      { name: 'charge', state: 'error', claimAt: 3, minutes: 20, claims: 3 },
    ],
  },
  {
    tpl: 'pay',
    state: 'steps_in_process',
    hoursAgo: 5,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 2 },
      { name: 'charge', state: 'in_progress', claimAt: 4 },
    ],
  },
  {
    tpl: 'pay',
    state: 'waiting_for_retry',
    hoursAgo: 8,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 4 },
      { name: 'charge', state: 'waiting_for_retry', claimAt: 6, minutes: 1, claims: 1 },
    ],
  },
  {
    tpl: 'pay',
    state: 'pending',
    hoursAgo: 1.5,
    steps: [
      { name: 'load', state: 'pending' },
      { name: 'charge', state: 'pending' },
    ],
  },
  {
    tpl: 'ship',
    state: 'complete',
    hoursAgo: 6,
    minutes: 2,
    steps: [{ name: 'pack', state: 'complete', claimAt: 0.5, minutes: 1 }],
  },
  {
    tpl: 'ship',
    state: 'error',
    hoursAgo: 9,
    minutes: 2,
    steps: [{ name: 'pack', state: 'error', claimAt: 0.5, minutes: 1 }],
  },
  { tpl: 'ship', state: 'cancelled', hoursAgo: 7, minutes: 3, steps: [{ name: 'pack', state: 'cancelled' }] },
  {
    tpl: 'ship',
    state: 'complete',
    hoursAgo: 0.5,
    minutes: 1,
    steps: [{ name: 'pack', state: 'complete', claimAt: 0.1, minutes: 0.2 }],
  },
  {
    tpl: 'ship',
    state: 'error',
    hoursAgo: 0.25,
    minutes: 1,
    steps: [{ name: 'pack', state: 'error', claimAt: 0.05, minutes: 0.1 }],
  },
  {
    tpl: 'report',
    state: 'complete',
    hoursAgo: 10,
    minutes: 60,
    steps: [{ name: 'gather', state: 'complete', claimAt: 1, minutes: 45 }],
  },
  {
    tpl: 'report',
    state: 'resolved_manually',
    hoursAgo: 12,
    minutes: 5,
    steps: [{ name: 'gather', state: 'resolved_manually' }],
  },
  // Outside a 24 h window.
  {
    tpl: 'pay',
    state: 'complete',
    hoursAgo: 30,
    minutes: 100,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 50 },
      { name: 'charge', state: 'complete', claimAt: 60, minutes: 30 },
    ],
  },
  {
    tpl: 'archive',
    state: 'complete',
    hoursAgo: 50,
    minutes: 95,
    steps: [{ name: 'compress', state: 'complete', claimAt: 1, minutes: 90 }],
  },
  {
    tpl: 'pay',
    state: 'error',
    hoursAgo: 70,
    minutes: 40,
    steps: [
      { name: 'load', state: 'complete', claimAt: 1, minutes: 1 },
      { name: 'charge', state: 'error', claimAt: 2, minutes: 30 },
    ],
  },
  {
    tpl: 'ship',
    state: 'complete',
    hoursAgo: 100,
    minutes: 4,
    steps: [{ name: 'pack', state: 'complete', claimAt: 1, minutes: 2 }],
  },
];

let now: Date;
const templates: Record<string, SeededTemplate> = {};
const TERMINAL: TaskState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];

function createdAt(t: TaskSpec): Date {
  return new Date(now.getTime() - t.hoursAgo * HOUR);
}
function stepStart(t: TaskSpec, s: StepSpec): Date | null {
  return s.claimAt === undefined ? null : new Date(createdAt(t).getTime() + s.claimAt * MIN);
}
function stepEnd(t: TaskSpec, s: StepSpec): Date {
  return new Date(createdAt(t).getTime() + ((s.claimAt ?? 0) + (s.minutes ?? 0)) * MIN);
}
function stepSeconds(t: TaskSpec, s: StepSpec): number {
  return (stepEnd(t, s).getTime() - (stepStart(t, s) ?? createdAt(t)).getTime()) / 1000;
}
function inWindow(hours: number, ns: string[] | null = null) {
  return (t: TaskSpec) =>
    (hours === 0 || t.hoursAgo < hours) && (ns === null || ns.includes(templates[t.tpl]?.namespace as string));
}
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

beforeAll(async () => {
  now = await databaseNow(db.sql);
  for (const [tpl, namespace, version] of [
    ['pay', 'alpha', '1.0.0'],
    ['ship', 'alpha', '2.1.0'],
    ['archive', 'alpha', '0.9.0'],
    ['report', 'beta', '3.0.0'],
  ]) {
    templates[tpl as string] = await seedTemplate(db.sql, {
      namespace: namespace as string,
      name: tpl as string,
      version: version as string,
    });
  }
  for (const t of SPEC) {
    const created = createdAt(t);
    const ended = new Date(created.getTime() + (t.minutes ?? 0) * MIN);
    await seedTask(db.sql, {
      template: templates[t.tpl] as SeededTemplate,
      state: t.state,
      createdAt: created,
      stateEnteredAt: TERMINAL.includes(t.state) ? ended : created,
      steps: t.steps.map((s) => {
        const start = stepStart(t, s);
        const end = stepEnd(t, s);
        const n = s.claims ?? (start === null ? 0 : 1);
        const claims =
          start === null
            ? []
            : Array.from(
                { length: n },
                (_, i) => new Date(start.getTime() + ((end.getTime() - start.getTime()) * i) / n),
              );
        return { name: s.name, state: s.state, claims, finishedAt: end };
      }),
    });
  }
});

function expectedPerformance(hours: number, ns: string[] | null = null) {
  const cohort = SPEC.filter(inWindow(hours, ns));
  const count = (state: TaskState) => cohort.filter((t) => t.state === state).length;
  const terminal = cohort.filter((t) => TERMINAL.includes(t.state)).length;
  const completeSteps = cohort.flatMap((t) =>
    t.steps.filter((s) => s.state === 'complete').map((s) => stepSeconds(t, s)),
  );
  const earliest = Math.max(...cohort.map((t) => t.hoursAgo));
  const span = hours > 0 ? hours : Math.max(1, earliest);
  const lastHour = SPEC.filter(inWindow(1, ns));
  const finished = lastHour.filter((t) => t.state === 'complete' || t.state === 'error');
  return {
    windowHours: hours,
    totalTasks: cohort.length,
    activeTasks: cohort.length - terminal,
    completedTasks: count('complete'),
    failedTasks: count('error'),
    completionRate: terminal ? count('complete') / terminal : 0,
    errorRate: terminal ? count('error') / terminal : 0,
    averageTaskDurationSeconds: mean(cohort.filter((t) => t.state === 'complete').map((t) => (t.minutes ?? 0) * 60)),
    averageStepDurationSeconds: mean(completeSteps),
    tasksPerHour: cohort.length / span,
    stepsPerHour: completeSteps.length / span,
    systemHealthScore: finished.length ? finished.filter((t) => t.state === 'complete').length / finished.length : 1,
  };
}

function expectClose(got: Record<string, unknown>, want: Record<string, number>): void {
  for (const [key, value] of Object.entries(want)) {
    expect([key, got[key]]).toEqual([key, expect.closeTo(value, 3)]);
  }
}

describe('AnalyticsService.performance', () => {
  const service = () => createAnalyticsService({ sql: db.sql, config: loadConfig({ env: { TASKER_ENV: 'test' } }) });

  it.each([24, 2, 0])('matches the figures computed from the seed for hours=%i', async (hours) => {
    const got = await service().performance(admin, hours);
    expectClose(got as unknown as Record<string, unknown>, expectedPerformance(hours));
    const start = hours === 0 ? now.getTime() - 100 * HOUR : now.getTime() - hours * HOUR;
    expect(Math.abs(got.analysisPeriodStart.getTime() - start)).toBeLessThan(5_000);
    expect(Math.abs(got.calculatedAt.getTime() - now.getTime())).toBeLessThan(30_000);
  });

  it('keeps rates in 0–1 over finished tasks and sums the cohort', async () => {
    const got = await service().performance(admin, 24);
    expect(got.completionRate).toBeCloseTo(5 / 10, 6); // 5 complete of 10 finished (3 error, 1 cancelled, 1 resolved)
    expect(got.errorRate).toBeCloseTo(3 / 10, 6);
    expect(got.totalTasks).toBe(13);
    expect(got.activeTasks).toBe(3);
    expect(got.systemHealthScore).toBeCloseTo(0.5, 6); // last hour: one complete, one error
  });

  it('counts only the namespaces of a scoped principal', async () => {
    const got = await service().performance(alphaOnly, 24);
    expectClose(got as unknown as Record<string, unknown>, expectedPerformance(24, ['alpha']));
  });

  it('rejects a negative or fractional window', async () => {
    await expect(service().performance(admin, -1)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(service().performance(admin, 1.5)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

function expectedSlowSteps(hours: number, minExecutions: number, limit: number) {
  const groups = new Map<string, { key: string[]; durations: number[]; n: number; errors: number; last: number }>();
  for (const t of SPEC.filter(inWindow(hours))) {
    const tpl = templates[t.tpl] as SeededTemplate;
    for (const s of t.steps.filter((x) => x.state === 'complete' || x.state === 'error')) {
      const key = [tpl.namespace, tpl.name, tpl.version, s.name];
      const g = groups.get(key.join('|')) ?? { key, durations: [], n: 0, errors: 0, last: 0 };
      g.n += 1;
      if (s.state === 'error') g.errors += 1;
      else g.durations.push(stepSeconds(t, s));
      g.last = Math.max(g.last, stepEnd(t, s).getTime());
      groups.set(key.join('|'), g);
    }
  }
  return [...groups.values()]
    .filter((g) => g.n >= minExecutions)
    .map((g) => ({
      id: g.key.join('/'),
      avg: g.durations.length ? mean(g.durations) : null,
      max: g.durations.length ? Math.max(...g.durations) : 0,
      n: g.n,
      errors: g.errors,
      last: g.last,
    }))
    .sort((a, b) => (b.avg ?? -1) - (a.avg ?? -1) || b.n - a.n || a.id.localeCompare(b.id))
    .slice(0, limit);
}

describe('AnalyticsService.bottlenecks', () => {
  const config = loadConfig({ env: { TASKER_ENV: 'test' } });

  it.each([
    [24, 1, 10],
    [24, 2, 10],
    [0, 1, 3],
  ])('ranks slow steps for hours=%i min_executions=%i limit=%i', async (hours, minExecutions, limit) => {
    const got = await createAnalyticsService({ sql: db.sql, config }).bottlenecks(admin, {
      hours,
      minExecutions,
      limit,
    });
    const want = expectedSlowSteps(hours, minExecutions, limit);
    expect(got.slowSteps.map((s) => [s.namespace, s.taskName, s.version, s.stepName].join('/'))).toEqual(
      want.map((w) => w.id),
    );
    for (const [i, s] of got.slowSteps.entries()) {
      const w = want[i] as (typeof want)[number];
      expect(s.executionCount).toBe(w.n);
      expect(s.errorCount).toBe(w.errors);
      expect(s.errorRate).toBeCloseTo(w.errors / w.n, 9);
      expect(s.averageDurationSeconds).toBeCloseTo(w.avg ?? 0, 3);
      expect(s.maxDurationSeconds).toBeCloseTo(w.max, 3);
      expect(s.lastExecutedAt?.getTime()).toBe(w.last);
    }
  });

  it('honours the window for steps, tasks and counts', async () => {
    const got = await createAnalyticsService({ sql: db.sql, config }).bottlenecks(admin, {
      hours: 24,
      minExecutions: 1,
      limit: 10,
    });
    expect(got.slowSteps.map((s) => s.stepName)).not.toContain('compress');
    const cohort = SPEC.filter(inWindow(24));
    const taskCounts = Object.fromEntries(TASK_STATES.map((s) => [s, cohort.filter((t) => t.state === s).length]));
    const steps = cohort.flatMap((t) => t.steps);
    const stepCounts = Object.fromEntries(STEP_STATES.map((s) => [s, steps.filter((x) => x.state === s).length]));
    expect(got.resourceUtilization.taskCounts).toEqual({ ...taskCounts, total: cohort.length });
    expect(got.resourceUtilization.stepCounts).toEqual({ ...stepCounts, total: steps.length });

    const finished = cohort.filter((t) => t.state === 'complete' || t.state === 'error');
    const pay = finished.filter((t) => t.tpl === 'pay');
    const payRow = got.slowTasks.find((t) => t.taskName === 'pay');
    expect(payRow).toMatchObject({
      namespace: 'alpha',
      version: '1.0.0',
      executionCount: pay.length,
      errorCount: 1,
      averageStepCount: 2,
    });
    expect(payRow?.averageDurationSeconds).toBeCloseTo(mean(pay.map((t) => (t.minutes ?? 0) * 60)), 3);
    expect(got.slowTasks.map((t) => t.taskName)).toEqual(['report', 'pay', 'ship']); // 60, 20, 1.5 min
  });

  it('reports pool utilization and the recommendations only from observed numbers', async () => {
    const withPool = await createAnalyticsService({
      sql: db.sql,
      config,
      poolStats: () => ({ max: 10, busy: 9 }),
    }).bottlenecks(admin, { hours: 24, minExecutions: 1, limit: 10 });
    expect(withPool.resourceUtilization.databasePoolUtilization).toBeCloseTo(0.9, 9);
    expect(withPool.recommendations).toEqual(recommend(withPool.slowSteps, 0.9));
    expect(withPool.recommendations).toHaveLength(3);
    expect(withPool.recommendations[0]).toMatch(/"pack" of alpha\/ship 2\.1\.0 failed 2 of 4 executions \(50%\)/);
    expect(withPool.recommendations[1]).toMatch(/pool is 90% busy/);
    expect(withPool.recommendations[2]).toMatch(/"gather" of beta\/report 3\.0\.0 takes 2700\.0 s on average/);

    const without = await createAnalyticsService({ sql: db.sql, config }).bottlenecks(admin, {
      hours: 24,
      minExecutions: 1,
      limit: 10,
    });
    expect(without.resourceUtilization.databasePoolUtilization).toBe(0);
    expect(without.recommendations.some((r) => r.includes('pool'))).toBe(false);
  });

  it('applies the recommendation thresholds strictly above 20 % / 80 % / 30 s', () => {
    const step = {
      namespace: 'n',
      taskName: 't',
      version: '1',
      stepName: 's',
      maxDurationSeconds: 30,
      executionCount: 5,
      errorCount: 1,
      lastExecutedAt: null,
    };
    expect(recommend([{ ...step, errorRate: 0.2, averageDurationSeconds: 30 }], 0.8)).toEqual([]);
    expect(recommend([{ ...step, errorRate: 0.21, averageDurationSeconds: 30.1 }], 0.81)).toHaveLength(3);
  });

  it("scopes everything to the principal's namespaces", async () => {
    const got = await createAnalyticsService({ sql: db.sql, config }).bottlenecks(alphaOnly, {
      hours: 24,
      minExecutions: 1,
      limit: 10,
    });
    expect(got.slowSteps.every((s) => s.namespace === 'alpha')).toBe(true);
    expect(got.slowTasks.map((t) => t.taskName)).toEqual(['pay', 'ship']);
    expect(got.resourceUtilization.taskCounts.total).toBe(SPEC.filter(inWindow(24, ['alpha'])).length);
  });
});

describe('the analytics cache', () => {
  it('reuses results for cache_ttl_ms, per arguments; ttl 0 recomputes every time', async () => {
    const cachedConfig = loadConfig({
      env: { TASKER_ENV: 'test' },
      overrides: { analytics: { cache_ttl_ms: 60_000 } },
    });
    const cached = createAnalyticsService({ sql: db.sql, config: cachedConfig });
    const uncached = createAnalyticsService({ sql: db.sql, config: loadConfig({ env: { TASKER_ENV: 'test' } }) });
    const first = await cached.performance(admin, 24);
    const before = (await uncached.performance(admin, 24)).totalTasks;
    await seedTask(db.sql, {
      template: templates['pay'] as SeededTemplate,
      state: 'pending',
      createdAt: await databaseNow(db.sql),
    });
    expect(await cached.performance(admin, 24)).toBe(first);
    expect((await cached.performance(admin, 23)).totalTasks).toBe(before + 1);
    expect((await uncached.performance(admin, 24)).totalTasks).toBe(before + 1);
  });
});

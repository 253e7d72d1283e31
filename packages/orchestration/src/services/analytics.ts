// Analytics (docs/operations.md §2; what changed from the reference: docs/compatibility.md §9). Every figure
// describes one cohort: the tasks CREATED in the window (`hours`; 0 = all time), limited to the caller's
// namespaces. Definitions (docs/operations.md):
// - totalTasks: tasks in the cohort. activeTasks: those not yet terminal. completed/failed: those in
//   `complete` / `error`.
// - completionRate / errorRate (0–1): complete / error ÷ the cohort's tasks in a terminal state (complete,
//   error, cancelled, resolved_manually); 0 when none has finished. Unfinished tasks don't dilute the rates.
// - averageTaskDurationSeconds: completed_at − created_at of complete tasks.
// - averageStepDurationSeconds: completed_at − first claim (created_at if never claimed) of complete steps.
// - tasksPerHour / stepsPerHour: cohort tasks / completed cohort steps ÷ window hours (all time: hours since
//   the first task, at least 1).
// - systemHealthScore: complete ÷ (complete + error) among tasks created in the last hour; 1 when none.
// Results are cached for config.analytics.cache_ttl_ms (per arguments and namespace scope).
import type { Config } from '@tasker/shared/config';
import type { Principal } from '@tasker/shared/permissions';
import {
  INT_LIMITS,
  type BottleneckAnalysis,
  type PerformanceMetrics,
  type SlowStep,
  type SlowTask,
} from '@tasker/shared';
import type { Sql } from 'postgres';
import {
  countConnectionsByState,
  findSlowSteps,
  findSlowTasks,
  selectDatabaseNow,
  summarizeCohort,
  summarizeCompletedSteps,
  tuneAnalyticsTransaction,
  type CohortFilter,
} from '../repositories/analytics.js';
import { assertInt } from './access.js';
import type { AnalyticsService } from './types.js';

/** Connections of the API's database pool: configured maximum and how many are busy right now. */
export interface PoolStats {
  max: number;
  busy: number;
}

/**
 * PoolStats observed on the server: connections of this process's pool (pg_stat_activity under
 * `applicationName`) that are not idle, other than the one asking.
 */
export function createPoolStatsSource(
  sql: Sql,
  options: { applicationName: string; max: number },
): () => Promise<PoolStats> {
  return async () => {
    const rows = await countConnectionsByState(sql, options.applicationName, { excludeSelf: true });
    const busy = rows.filter((r) => r.state !== 'idle').reduce((n, r) => n + r.connections, 0);
    return { max: options.max, busy };
  };
}

export interface AnalyticsServiceDeps {
  sql: Sql;
  config: Config;
  /**
   * Source of databasePoolUtilization (busy ÷ max). Absent: utilization is reported as 0 and no pool
   * recommendation is ever made (we don't guess a number we can't observe).
   */
  poolStats?: () => PoolStats | Promise<PoolStats>;
}

const HOUR_MS = 3_600_000;
/** Recommendation thresholds (docs/operations.md §2). */
export const RECOMMENDATION_LIMITS = { stepErrorRate: 0.2, poolUtilization: 0.8, stepMeanSeconds: 30 } as const;

export function createAnalyticsService(deps: AnalyticsServiceDeps): AnalyticsService {
  const { sql } = deps;
  const ttlMs = deps.config.analytics.cache_ttl_ms;
  const cache = new Map<string, { expiresAt: number; value: Promise<unknown> }>();

  function cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (ttlMs === 0) return compute();
    const now = Date.now();
    const hit = cache.get(key);
    if (hit !== undefined && hit.expiresAt > now) return hit.value as Promise<T>;
    for (const [k, v] of cache) if (v.expiresAt <= now) cache.delete(k);
    // The promise is cached, so concurrent callers share one computation; a failure is not remembered.
    const value = compute();
    cache.set(key, { expiresAt: now + ttlMs, value });
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  }

  // Each query in its own short transaction with analytics settings; the queries of one call run in parallel.
  function read<T>(query: (s: Sql) => Promise<T>): Promise<T> {
    return sql.begin(async (tx) => {
      const s = tx as unknown as Sql;
      await tuneAnalyticsTransaction(s);
      return query(s);
    }) as Promise<T>;
  }

  async function window(principal: Principal, hours: number): Promise<{ now: Date; filter: CohortFilter }> {
    const now = await selectDatabaseNow(sql);
    return {
      now,
      filter: {
        since: hours === 0 ? null : new Date(now.getTime() - hours * HOUR_MS),
        namespaces: principal.namespaces,
      },
    };
  }

  async function computePerformance(principal: Principal, hours: number): Promise<PerformanceMetrics> {
    const { now, filter } = await window(principal, hours);
    const lastHour: CohortFilter = { since: new Date(now.getTime() - HOUR_MS), namespaces: filter.namespaces };
    const [summary, steps, recent] = await Promise.all([
      read((s) => summarizeCohort(s, filter)),
      read((s) => summarizeCompletedSteps(s, filter)),
      read((s) => summarizeCohort(s, lastHour)),
    ]);
    const c = summary.taskCounts;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const terminal = c.complete + c.error + c.cancelled + c.resolved_manually;
    const start = filter.since ?? summary.earliestCreatedAt ?? now;
    const spanHours = hours > 0 ? hours : Math.max(1, (now.getTime() - start.getTime()) / HOUR_MS);
    const recentFinished = recent.taskCounts.complete + recent.taskCounts.error;
    return {
      windowHours: hours,
      totalTasks: total,
      activeTasks: total - terminal,
      completedTasks: c.complete,
      failedTasks: c.error,
      completionRate: terminal === 0 ? 0 : c.complete / terminal,
      errorRate: terminal === 0 ? 0 : c.error / terminal,
      averageTaskDurationSeconds: summary.averageCompleteSeconds ?? 0,
      averageStepDurationSeconds: steps.averageSeconds ?? 0,
      tasksPerHour: total / spanHours,
      stepsPerHour: steps.count / spanHours,
      systemHealthScore: recentFinished === 0 ? 1 : recent.taskCounts.complete / recentFinished,
      analysisPeriodStart: start,
      calculatedAt: now,
    };
  }

  async function poolUtilization(): Promise<number | null> {
    if (deps.poolStats === undefined) return null;
    const { max, busy } = await deps.poolStats();
    return max > 0 ? Math.min(1, Math.max(0, busy / max)) : 0;
  }

  async function computeBottlenecks(
    principal: Principal,
    options: { limit: number; minExecutions: number; hours: number },
  ): Promise<BottleneckAnalysis> {
    const { filter } = await window(principal, options.hours);
    const args = { limit: options.limit, minExecutions: options.minExecutions };
    const [stepRows, taskRows, summary, pool] = await Promise.all([
      read((s) => findSlowSteps(s, filter, args)),
      read((s) => findSlowTasks(s, filter, args)),
      read((s) => summarizeCohort(s, filter)),
      poolUtilization(),
    ]);
    const slowSteps: SlowStep[] = stepRows.map((r) => ({
      namespace: r.namespace,
      taskName: r.taskName,
      version: r.version,
      stepName: r.stepName,
      averageDurationSeconds: r.averageSeconds ?? 0,
      maxDurationSeconds: r.maxSeconds ?? 0,
      executionCount: r.executionCount,
      errorCount: r.errorCount,
      errorRate: r.errorCount / r.executionCount,
      lastExecutedAt: r.lastExecutedAt,
    }));
    const slowTasks: SlowTask[] = taskRows.map((r) => ({
      namespace: r.namespace,
      taskName: r.taskName,
      version: r.version,
      averageDurationSeconds: r.averageSeconds,
      maxDurationSeconds: r.maxSeconds,
      executionCount: r.executionCount,
      errorCount: r.errorCount,
      errorRate: r.errorCount / r.executionCount,
      averageStepCount: r.averageStepCount,
      lastExecutedAt: r.lastExecutedAt,
    }));
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      windowHours: options.hours,
      slowSteps,
      slowTasks,
      resourceUtilization: {
        databasePoolUtilization: pool ?? 0,
        taskCounts: { ...summary.taskCounts, total: sum(summary.taskCounts) },
        stepCounts: { ...summary.stepCounts, total: sum(summary.stepCounts) },
      },
      recommendations: recommend(slowSteps, pool),
    };
  }

  return {
    async performance(principal, hours) {
      assertInt(hours, 'hours', INT_LIMITS.analyticsHours);
      return cached(`performance:${hours}:${scopeKey(principal)}`, () => computePerformance(principal, hours));
    },
    async bottlenecks(principal, options) {
      assertInt(options.limit, 'limit', INT_LIMITS.bottleneckLimit);
      assertInt(options.minExecutions, 'min_executions', INT_LIMITS.bottleneckMinExecutions);
      assertInt(options.hours, 'hours', INT_LIMITS.analyticsHours);
      const key = `bottlenecks:${options.hours}:${options.limit}:${options.minExecutions}:${scopeKey(principal)}`;
      return cached(key, () => computeBottlenecks(principal, options));
    },
  };
}

function scopeKey(principal: Principal): string {
  return principal.namespaces === null ? '*' : JSON.stringify([...principal.namespaces].sort());
}

function describeStep(s: SlowStep): string {
  return `Step "${s.stepName}" of ${s.namespace}/${s.taskName} ${s.version}`;
}

/**
 * The recommendation rules over the analysed steps (docs/operations.md §2): the highest step error rate above
 * 20 %, a pool above 80 % busy (only when observed), the slowest step's mean above 30 s.
 */
export function recommend(slowSteps: readonly SlowStep[], poolUtilization: number | null): string[] {
  const out: string[] = [];
  const worst = [...slowSteps].sort((a, b) => b.errorRate - a.errorRate)[0];
  if (worst !== undefined && worst.errorRate > RECOMMENDATION_LIMITS.stepErrorRate) {
    out.push(
      `${describeStep(worst)} failed ${worst.errorCount} of ${worst.executionCount} executions ` +
        `(${Math.round(worst.errorRate * 100)}%): review its handler, inputs and retry policy.`,
    );
  }
  if (poolUtilization !== null && poolUtilization > RECOMMENDATION_LIMITS.poolUtilization) {
    out.push(
      `The database pool is ${Math.round(poolUtilization * 100)}% busy: raise database.pool_max or add ` +
        'orchestration replicas (and check for slow queries).',
    );
  }
  const slowest = slowSteps[0];
  if (slowest !== undefined && slowest.averageDurationSeconds > RECOMMENDATION_LIMITS.stepMeanSeconds) {
    out.push(
      `${describeStep(slowest)} takes ${slowest.averageDurationSeconds.toFixed(1)} s on average ` +
        `(max ${slowest.maxDurationSeconds.toFixed(1)} s): look at what it waits on, raise worker concurrency, ` +
        'or split it into smaller steps.',
    );
  }
  return out;
}

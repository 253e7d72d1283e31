// Health, configuration, DLQ and analytics scenarios.
import {
  bottleneckAnalysisFromProto,
  dlqEntryFromProto,
  dlqInvestigationItemFromProto,
  dlqListQueryToProto,
  dlqStatsFromProto,
  healthReportFromProto,
  performanceMetricsFromProto,
  safeConfigFromProto,
  stalenessItemFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  bottleneckAnalysisFromRest,
  dlqListQueryToRest,
  dlqEntryFromRest,
  dlqInvestigationItemFromRest,
  dlqStatsFromRest,
  healthReportFromRest,
  performanceMetricsFromRest,
  stalenessItemFromRest,
} from '@tasker/shared/convert/rest/index';
import {
  BottleneckAnalysisSchema,
  DlqEntryListResponseSchema,
  DlqEntrySchema,
  DlqInvestigationQueueResponseSchema,
  DlqStatsListResponseSchema,
  HealthResponseSchema,
  PerformanceMetricsSchema,
  SafeConfigResponseSchema,
  StalenessResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import type { DlqListQuery, HealthReport } from '@tasker/shared';
import { errorCodeFromHttpStatus } from '@tasker/shared/errors';
import { expect } from 'vitest';
import { GrpcCallError } from '../../../../src/grpc/testing/clients.js';
import { createTask, OTHER_NAMESPACE, PARITY_NAMESPACE, taskInError } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

/** Minutes-in-state figures grow between the two calls. */
function withoutElapsedMinutes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutElapsedMinutes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        /Minutes$|InDlq$|priorityScore/.test(k) ? '<elapsed>' : withoutElapsedMinutes(v),
      ]),
    );
  }
  return value;
}

/** Checks whose figures move between two calls (pool counters, queue counts, seconds left of an open circuit). */
const LIVE_CHECKS = new Set(['pool_utilization', 'queue_depth', 'circuit_breaker']);

/** Pool counters and queue counts change with every query and pulse: compared by shape, pinned down by `check`. */
function withoutLiveFigures(value: unknown): unknown {
  const report = value as { checks?: Record<string, unknown>; info?: Record<string, unknown> | null };
  if (report === null || typeof report !== 'object') return value;
  const checks =
    report.checks === undefined
      ? undefined
      : Object.fromEntries(Object.entries(report.checks).map(([k, v]) => [k, LIVE_CHECKS.has(k) ? '<live>' : v]));
  const info =
    report.info == null
      ? report.info
      : {
          ...report.info,
          pools: Object.keys(report.info['pools'] as object),
          queueDepth: report.info['queueDepth'] === null ? null : '<live>',
        };
  return { ...report, ...(checks === undefined ? {} : { checks }), ...(info === undefined ? {} : { info }) };
}

/** What every report with info carries from this process: its real breaker state, pool and per-namespace queues. */
function checkLiveInfo(report: HealthReport): void {
  expect(report.info?.circuitBreakerState).toBe('closed');
  expect(report.info?.pools['database']).toMatchObject({ maxConnections: report.info?.poolMax, waitingQueries: 0 });
  expect(report.info?.pools['database']?.totalAcquires).toBeGreaterThan(0);
  expect(report.info?.queueDepth?.namespaces['parity_full']).toMatchObject({ limit: 1 });
}

/** Readiness goes false as on SIGTERM, until this run's cleanup. */
function draining(ctx: ParityContext): void {
  ctx.setOperationalState('graceful_shutdown');
  ctx.cleanup(async () => ctx.setOperationalState('normal'));
}

const dlqQuery = (namespace: string): DlqListQuery => ({
  resolutionStatus: 'pending',
  reason: 'max_retries_exceeded',
  namespace,
  limit: 1,
  offset: 0,
});

/** This run's entry (the newest pending one of its namespace), and what the same filters find in another namespace. */
function inAndOutOfNamespace(here: Outcome, elsewhere: Outcome): Outcome {
  if (!here.ok) return here;
  if (!elsewhere.ok) return elsewhere;
  return { ok: true, value: { here: here.value, elsewhere: elsewhere.value } };
}

export const SYSTEM_SCENARIOS: Scenario[] = [
  {
    name: 'liveness',
    restCall: 'GET /health/live',
    grpcCall: 'HealthService.CheckLiveness',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/health/live'), HealthResponseSchema, healthReportFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.health.checkLiveness({}), healthReportFromProto),
  },
  {
    name: 'readiness',
    restCall: 'GET /health/ready',
    grpcCall: 'HealthService.CheckReadiness',
    expect: 'ok',
    normalise: withoutLiveFigures,
    check: (value) => checkLiveInfo(value as HealthReport),
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/health/ready'), HealthResponseSchema, healthReportFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.health.checkReadiness({}), healthReportFromProto),
  },
  {
    name: 'readiness while draining: not ready, with the full report',
    check: (value) => {
      const { code, report } = value as { code: string; report: HealthReport };
      expect([code, report.status, report.info?.operationalState]).toEqual([
        'UNAVAILABLE',
        'not_ready',
        'graceful_shutdown',
      ]);
      expect(Object.keys(report.checks).sort()).toEqual(['database', 'migrations']);
    },
    restCall: 'GET /health/ready (503 body)',
    grpcCall: 'HealthService.CheckReadiness (UNAVAILABLE details)',
    expect: 'ok',
    normalise: (value) => ({ ...(value as object), report: withoutLiveFigures((value as { report: unknown }).report) }),
    rest: async (ctx) => {
      draining(ctx);
      const res = await ctx.rest.call('GET', '/health/ready');
      if (res.status !== 503) return { ok: true, value: { code: null, report: res.body } };
      return {
        ok: true,
        value: {
          code: errorCodeFromHttpStatus(res.status),
          report: healthReportFromRest(HealthResponseSchema.parse(res.body)),
        },
      };
    },
    grpc: async (ctx) => {
      draining(ctx);
      try {
        return {
          ok: true,
          value: { code: null, report: healthReportFromProto(await ctx.grpc.health.checkReadiness({})) },
        };
      } catch (err) {
        if (!(err instanceof GrpcCallError)) throw err;
        return {
          ok: true,
          value: { code: err.code, report: healthReportFromRest(HealthResponseSchema.parse(err.details)) },
        };
      }
    },
  },
  {
    name: 'detailed health',
    restCall: 'GET /health/detailed',
    grpcCall: 'HealthService.CheckDetailedHealth',
    expect: 'ok',
    normalise: withoutLiveFigures,
    check: (value) => {
      const report = value as HealthReport;
      checkLiveInfo(report);
      expect(report.checks['circuit_breaker']).toMatchObject({ status: 'healthy', message: 'closed' });
      expect(report.checks['pool_utilization']?.message).toMatch(/^\d+\/\d+ connections busy, 0 calls waiting$/);
      expect(report.checks['queue_depth']?.message).toContain('parity_full 0/1');
    },
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/health/detailed'), HealthResponseSchema, healthReportFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.health.checkDetailedHealth({}), healthReportFromProto),
  },
  {
    name: 'safe configuration',
    restCall: 'GET /config',
    grpcCall: 'ConfigService.GetConfig',
    expect: 'ok',
    rest: async (ctx) => restOutcome(await ctx.rest.call('GET', '/config'), SafeConfigResponseSchema, (b) => b),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.config.getConfig({}), safeConfigFromProto),
  },
  {
    name: 'list DLQ entries by status, reason and namespace',
    check: (value) => {
      const { here, elsewhere } = value as { here: Array<{ taskUuid: string }>; elsewhere: unknown[] };
      expect([here.length, elsewhere.length]).toEqual([1, 0]);
    },
    restCall: 'GET /v1/dlq?resolution_status&dlq_reason&namespace&limit&offset',
    grpcCall: 'DlqService.ListEntries',
    expect: 'ok',
    rest: async (ctx) => {
      await taskInError(ctx);
      const list = async (namespace: string) =>
        restOutcome(
          await ctx.rest.call('GET', '/v1/dlq', { query: dlqListQueryToRest(dlqQuery(namespace)) }),
          DlqEntryListResponseSchema,
          (b) => b.map(dlqEntryFromRest),
        );
      return inAndOutOfNamespace(await list(PARITY_NAMESPACE), await list(OTHER_NAMESPACE));
    },
    grpc: async (ctx) => {
      await taskInError(ctx);
      const list = (namespace: string) =>
        grpcOutcome(ctx.grpc.dlq.listEntries(dlqListQueryToProto(dlqQuery(namespace))), (r) =>
          r.entries.map((e) => dlqEntryFromProto(e)),
        );
      return inAndOutOfNamespace(await list(PARITY_NAMESPACE), await list(OTHER_NAMESPACE));
    },
  },
  {
    name: 'the DLQ entry of a task that has none',
    restCall: 'GET /v1/dlq/task/{task_uuid}',
    grpcCall: 'DlqService.GetEntryByTask',
    expect: 'NOT_FOUND',
    rest: async (ctx) => {
      const task = await createTask(ctx);
      return restOutcome(await ctx.rest.call('GET', `/v1/dlq/task/${task.taskUuid}`), DlqEntrySchema, dlqEntryFromRest);
    },
    grpc: async (ctx) => {
      const task = await createTask(ctx);
      return grpcOutcome(ctx.grpc.dlq.getEntryByTask({ taskUuid: task.taskUuid }), (r) => dlqEntryFromProto(r.entry));
    },
  },
  {
    name: 'DLQ statistics',
    restCall: 'GET /v1/dlq/stats',
    grpcCall: 'DlqService.GetStats',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/dlq/stats'), DlqStatsListResponseSchema, (b) =>
        b.map(dlqStatsFromRest),
      ),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.dlq.getStats({}), (r) => r.stats.map((s) => dlqStatsFromProto(s))),
  },
  {
    name: 'DLQ investigation queue',
    restCall: 'GET /v1/dlq/investigation-queue?limit',
    grpcCall: 'DlqService.GetInvestigationQueue',
    expect: 'ok',
    normalise: withoutElapsedMinutes,
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/dlq/investigation-queue', { query: { limit: '10' } }),
        DlqInvestigationQueueResponseSchema,
        (b) => b.map(dlqInvestigationItemFromRest),
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.dlq.getInvestigationQueue({ limit: 10 }), (r) =>
        r.entries.map((e) => dlqInvestigationItemFromProto(e)),
      ),
  },
  {
    name: 'staleness monitoring',
    restCall: 'GET /v1/dlq/staleness?limit',
    grpcCall: 'DlqService.GetStalenessMonitoring',
    expect: 'ok',
    normalise: withoutElapsedMinutes,
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/dlq/staleness', { query: { limit: '10' } }),
        StalenessResponseSchema,
        (b) => b.map(stalenessItemFromRest),
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.dlq.getStalenessMonitoring({ limit: 10 }), (r) =>
        r.entries.map((e) => stalenessItemFromProto(e)),
      ),
  },
  {
    name: 'performance metrics over all time',
    restCall: 'GET /v1/analytics/performance?hours=0',
    grpcCall: 'AnalyticsService.GetPerformanceMetrics',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/analytics/performance', { query: { hours: '0' } }),
        PerformanceMetricsSchema,
        performanceMetricsFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.analytics.getPerformanceMetrics({ hours: 0 }), performanceMetricsFromProto),
  },
  {
    name: 'bottleneck analysis',
    restCall: 'GET /v1/analytics/bottlenecks?limit&min_executions&hours',
    grpcCall: 'AnalyticsService.GetBottleneckAnalysis',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('GET', '/v1/analytics/bottlenecks', {
          query: { limit: '3', min_executions: '1', hours: '24' },
        }),
        BottleneckAnalysisSchema,
        bottleneckAnalysisFromRest,
      ),
    grpc: async (ctx) =>
      grpcOutcome(
        ctx.grpc.analytics.getBottleneckAnalysis({ limit: 3, minExecutions: 1, hours: 24 }),
        bottleneckAnalysisFromProto,
      ),
  },
];

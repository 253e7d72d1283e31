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
  toBottleneckAnalysisProtoView,
  toPerformanceMetricsProtoView,
} from '@tasker/shared/convert/proto/index';
import {
  bottleneckAnalysisFromRest,
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
import { createTask } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Scenario } from '../types.js';

/** Minutes-in-state figures grow between the two calls. */
function withoutElapsedMinutes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutElapsedMinutes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /Minutes$|InDlq$|priorityScore/.test(k) ? '<elapsed>' : withoutElapsedMinutes(v)]));
  }
  return value;
}

export const SYSTEM_SCENARIOS: Scenario[] = [
  {
    name: 'liveness',
    restCall: 'GET /health/live',
    grpcCall: 'HealthService.CheckLiveness',
    expect: 'ok',
    rest: async (ctx) => restOutcome(await ctx.rest.call('GET', '/health/live'), HealthResponseSchema, healthReportFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.health.checkLiveness({}), healthReportFromProto),
  },
  {
    name: 'readiness',
    restCall: 'GET /health/ready',
    grpcCall: 'HealthService.CheckReadiness',
    expect: 'ok',
    rest: async (ctx) => restOutcome(await ctx.rest.call('GET', '/health/ready'), HealthResponseSchema, healthReportFromRest),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.health.checkReadiness({}), healthReportFromProto),
  },
  {
    name: 'detailed health',
    restCall: 'GET /health/detailed',
    grpcCall: 'HealthService.CheckDetailedHealth',
    expect: 'ok',
    rest: async (ctx) => restOutcome(await ctx.rest.call('GET', '/health/detailed'), HealthResponseSchema, healthReportFromRest),
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
    name: 'list DLQ entries by status',
    restCall: 'GET /v1/dlq?resolution_status&limit&offset',
    grpcCall: 'DlqService.ListEntries',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/dlq', { query: { resolution_status: 'pending', limit: '5', offset: '0' } }), DlqEntryListResponseSchema, (b) =>
        b.map(dlqEntryFromRest),
      ),
    grpc: async (ctx) =>
      grpcOutcome(ctx.grpc.dlq.listEntries(dlqListQueryToProto({ resolutionStatus: 'pending', limit: 5, offset: 0 })), (r) =>
        r.entries.map((e) => dlqEntryFromProto(e)),
      ),
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
    rest: async (ctx) => restOutcome(await ctx.rest.call('GET', '/v1/dlq/stats'), DlqStatsListResponseSchema, (b) => b.map(dlqStatsFromRest)),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.dlq.getStats({}), (r) => r.stats.map((s) => dlqStatsFromProto(s))),
  },
  {
    name: 'DLQ investigation queue',
    restCall: 'GET /v1/dlq/investigation-queue?limit',
    grpcCall: 'DlqService.GetInvestigationQueue',
    expect: 'ok',
    normalise: withoutElapsedMinutes,
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/dlq/investigation-queue', { query: { limit: '10' } }), DlqInvestigationQueueResponseSchema, (b) =>
        b.map(dlqInvestigationItemFromRest),
      ),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.dlq.getInvestigationQueue({ limit: 10 }), (r) => r.entries.map((e) => dlqInvestigationItemFromProto(e))),
  },
  {
    name: 'staleness monitoring',
    restCall: 'GET /v1/dlq/staleness?limit',
    grpcCall: 'DlqService.GetStalenessMonitoring',
    expect: 'ok',
    normalise: withoutElapsedMinutes,
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/dlq/staleness', { query: { limit: '10' } }), StalenessResponseSchema, (b) => b.map(stalenessItemFromRest)),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.dlq.getStalenessMonitoring({ limit: 10 }), (r) => r.entries.map((e) => stalenessItemFromProto(e))),
  },
  {
    name: 'performance metrics over all time',
    restCall: 'GET /v1/analytics/performance?hours=0',
    grpcCall: 'AnalyticsService.GetPerformanceMetrics',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/analytics/performance', { query: { hours: '0' } }), PerformanceMetricsSchema, (b) =>
        toPerformanceMetricsProtoView(performanceMetricsFromRest(b)),
      ),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.analytics.getPerformanceMetrics({ hours: 0 }), performanceMetricsFromProto),
  },
  {
    name: 'bottleneck analysis',
    restCall: 'GET /v1/analytics/bottlenecks?limit&min_executions&hours',
    grpcCall: 'AnalyticsService.GetBottleneckAnalysis',
    expect: 'ok',
    rest: async (ctx) =>
      restOutcome(await ctx.rest.call('GET', '/v1/analytics/bottlenecks', { query: { limit: '3', min_executions: '1', hours: '24' } }), BottleneckAnalysisSchema, (b) =>
        toBottleneckAnalysisProtoView(bottleneckAnalysisFromRest(b)),
      ),
    grpc: async (ctx) => grpcOutcome(ctx.grpc.analytics.getBottleneckAnalysis({ limit: 3, minExecutions: 1, hours: 24 }), bottleneckAnalysisFromProto),
  },
];

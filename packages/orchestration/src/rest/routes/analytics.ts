import { bottleneckAnalysisToRest, performanceMetricsToRest } from '@tasker/shared/convert/rest/index';
import {
  BottleneckAnalysisSchema,
  BottleneckQuerySchema,
  PerformanceMetricsSchema,
  PerformanceQuerySchema,
} from '@tasker/shared/schemas/rest/index';
import type { AnalyticsService } from '../../services/types.js';
import { PROTECTED_ERRORS, errorResponses, type ZodApp } from './deps.js';

export function registerAnalyticsRoutes(app: ZodApp, analytics: AnalyticsService): void {
  const tags = ['analytics'];

  app.get('/v1/analytics/performance', {
    schema: {
      tags,
      summary: 'Throughput, completion and error rates over a window',
      querystring: PerformanceQuerySchema,
      response: { 200: PerformanceMetricsSchema, ...errorResponses(...PROTECTED_ERRORS, 504) },
    },
    handler: async (request) =>
      performanceMetricsToRest(await analytics.performance(request.principal, request.query.hours)),
  });

  app.get('/v1/analytics/bottlenecks', {
    schema: {
      tags,
      summary: 'Slowest steps and tasks, pool usage, recommendations',
      querystring: BottleneckQuerySchema,
      response: { 200: BottleneckAnalysisSchema, ...errorResponses(...PROTECTED_ERRORS, 504) },
    },
    handler: async (request) =>
      bottleneckAnalysisToRest(
        await analytics.bottlenecks(request.principal, {
          limit: request.query.limit,
          minExecutions: request.query.min_executions,
          hours: request.query.hours,
        }),
      ),
  });
}

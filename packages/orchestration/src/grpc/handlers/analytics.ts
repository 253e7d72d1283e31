// AnalyticsService: convert → service → convert.
import {
  bottleneckAnalysisToProto,
  bottleneckRequestFromProto,
  performanceMetricsToProto,
  performanceRequestFromProto,
} from '@tasker/shared/convert/proto/index';
import type { AnalyticsServiceImplementation } from '@tasker/shared/gen/tasker/v1/analytics';
import type { AnalyticsService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createAnalyticsHandlers(analytics: AnalyticsService): AnalyticsServiceImplementation<PrincipalContext> {
  return {
    async getPerformanceMetrics(req, { principal }) {
      return performanceMetricsToProto(await analytics.performance(principal, performanceRequestFromProto(req)));
    },

    async getBottleneckAnalysis(req, { principal }) {
      return bottleneckAnalysisToProto(await analytics.bottlenecks(principal, bottleneckRequestFromProto(req)));
    },
  };
}

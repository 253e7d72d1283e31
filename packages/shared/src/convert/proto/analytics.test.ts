import { describe, expect, it } from 'vitest';
import { GetBottleneckAnalysisResponse, GetPerformanceMetricsResponse } from '../../gen/tasker/v1/analytics.js';
import { makeBottleneckAnalysis, makePerformanceMetrics } from '../../testing/builders.js';
import { validationFieldsOf, wire, distinctVariants } from '../../testing/proto-builders.js';
import {
  bottleneckAnalysisFromProto,
  bottleneckAnalysisToProto,
  bottleneckRequestFromProto,
  bottleneckRequestToProto,
  performanceMetricsFromProto,
  performanceMetricsToProto,
  performanceRequestFromProto,
  performanceRequestToProto,
} from './analytics.js';

describe('analytics', () => {
  it.each([
    ['fully populated', makePerformanceMetrics()],
    ...distinctVariants(makePerformanceMetrics()),
    ['all time, nothing measured', makePerformanceMetrics({ windowHours: 0, totalTasks: 0, completionRate: 0 })],
  ])('round-trips performance metrics (%s)', (_, m) => {
    expect(performanceMetricsFromProto(wire(GetPerformanceMetricsResponse, performanceMetricsToProto(m)))).toEqual(m);
  });

  it.each([
    ['fully populated', makeBottleneckAnalysis()],
    ...distinctVariants(makeBottleneckAnalysis()),
    ['minimal', makeBottleneckAnalysis({ windowHours: 0, slowSteps: [], slowTasks: [], recommendations: [] })],
    [
      'never executed',
      makeBottleneckAnalysis({ slowSteps: [{ ...makeBottleneckAnalysis().slowSteps[0]!, lastExecutedAt: null }] }),
    ],
  ])('round-trips a bottleneck analysis with every state count (%s)', (_, b) => {
    expect(bottleneckAnalysisFromProto(wire(GetBottleneckAnalysisResponse, bottleneckAnalysisToProto(b)))).toEqual(b);
  });

  it('defaults, round-trips and bounds the requests', () => {
    expect(performanceRequestFromProto({})).toBe(24);
    expect(performanceRequestFromProto(performanceRequestToProto(0))).toBe(0);
    expect(validationFieldsOf(() => performanceRequestFromProto({ hours: 24 * 366 + 1 }))).toEqual(['hours']);
    expect(bottleneckRequestFromProto({})).toEqual({ limit: 10, minExecutions: 5, hours: 24 });
    const o = { limit: 3, minExecutions: 1, hours: 48 };
    expect(bottleneckRequestFromProto(bottleneckRequestToProto(o))).toEqual(o);
    expect(validationFieldsOf(() => bottleneckRequestFromProto({ limit: 0, minExecutions: 0 }))).toEqual([
      'limit',
      'min_executions',
    ]);
  });
});

import { z } from 'zod';
import { STEP_STATES, TASK_STATES } from '../../domain/states.js';
import { INT_LIMITS } from '../../domain/limits.js';
import { TimestampSchema, intParam, named } from './common.js';

const { analyticsHours, bottleneckLimit, bottleneckMinExecutions } = INT_LIMITS;
const hours = intParam(analyticsHours).default(analyticsHours.default).describe('Window in hours; 0 = all time');

export const PerformanceQuerySchema = z.strictObject({ hours });

export const BottleneckQuerySchema = z.strictObject({
  limit: intParam(bottleneckLimit).default(bottleneckLimit.default),
  min_executions: intParam(bottleneckMinExecutions).default(bottleneckMinExecutions.default),
  hours,
});

export const PerformanceMetricsSchema = named(
  'PerformanceMetrics',
  z.object({
    window_hours: z.number().int(),
    total_tasks: z.number().int(),
    active_tasks: z.number().int(),
    completed_tasks: z.number().int(),
    failed_tasks: z.number().int(),
    completion_rate: z.number().describe('0–1'),
    error_rate: z.number().describe('0–1'),
    average_task_duration_seconds: z.number(),
    average_step_duration_seconds: z.number(),
    tasks_per_hour: z.number(),
    steps_per_hour: z.number(),
    system_health_score: z.number(),
    analysis_period_start: TimestampSchema,
    calculated_at: TimestampSchema,
  }),
);
export type PerformanceMetricsResponse = z.infer<typeof PerformanceMetricsSchema>;

const slowCommon = {
  namespace_name: z.string(),
  task_name: z.string(),
  version: z.string(),
  average_duration_seconds: z.number(),
  max_duration_seconds: z.number(),
  execution_count: z.number().int(),
  error_count: z.number().int(),
  error_rate: z.number(),
  last_executed_at: TimestampSchema.nullable(),
};

const countsBy = (states: readonly string[]) =>
  z.object(Object.fromEntries([...states, 'total'].map((s) => [s, z.number().int()])));

export const BottleneckAnalysisSchema = named(
  'BottleneckAnalysis',
  z.object({
    window_hours: z.number().int(),
    slow_steps: z.array(z.object({ ...slowCommon, step_name: z.string() })),
    slow_tasks: z.array(z.object({ ...slowCommon, average_step_count: z.number() })),
    resource_utilization: z.object({
      database_pool_utilization: z.number().describe('0–1'),
      task_counts: countsBy(TASK_STATES),
      step_counts: countsBy(STEP_STATES),
    }),
    recommendations: z.array(z.string()),
  }),
);
export type BottleneckAnalysisResponse = z.infer<typeof BottleneckAnalysisSchema>;

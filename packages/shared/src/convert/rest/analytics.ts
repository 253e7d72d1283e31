import type { BottleneckAnalysis, PerformanceMetrics, SlowStep, SlowTask } from '../../domain/analytics.js';
import { STEP_STATES, TASK_STATES, type StepState, type TaskState } from '../../domain/states.js';
import type { BottleneckAnalysisResponse, PerformanceMetricsResponse } from '../../schemas/rest/analytics.js';
import { nullableTimestampFromRest, nullableTimestampToRest, timestampFromRest, timestampToRest } from './common.js';

export function performanceMetricsToRest(m: PerformanceMetrics): PerformanceMetricsResponse {
  return {
    window_hours: m.windowHours,
    total_tasks: m.totalTasks,
    active_tasks: m.activeTasks,
    completed_tasks: m.completedTasks,
    failed_tasks: m.failedTasks,
    completion_rate: m.completionRate,
    error_rate: m.errorRate,
    average_task_duration_seconds: m.averageTaskDurationSeconds,
    average_step_duration_seconds: m.averageStepDurationSeconds,
    tasks_per_hour: m.tasksPerHour,
    steps_per_hour: m.stepsPerHour,
    system_health_score: m.systemHealthScore,
    analysis_period_start: timestampToRest(m.analysisPeriodStart),
    calculated_at: timestampToRest(m.calculatedAt),
  };
}

export function performanceMetricsFromRest(r: PerformanceMetricsResponse): PerformanceMetrics {
  return {
    windowHours: r.window_hours,
    totalTasks: r.total_tasks,
    activeTasks: r.active_tasks,
    completedTasks: r.completed_tasks,
    failedTasks: r.failed_tasks,
    completionRate: r.completion_rate,
    errorRate: r.error_rate,
    averageTaskDurationSeconds: r.average_task_duration_seconds,
    averageStepDurationSeconds: r.average_step_duration_seconds,
    tasksPerHour: r.tasks_per_hour,
    stepsPerHour: r.steps_per_hour,
    systemHealthScore: r.system_health_score,
    analysisPeriodStart: timestampFromRest(r.analysis_period_start),
    calculatedAt: timestampFromRest(r.calculated_at),
  };
}

type SlowCommonRest = BottleneckAnalysisResponse['slow_tasks'][number];

function slowCommonToRest(s: SlowStep | SlowTask) {
  return {
    namespace_name: s.namespace,
    task_name: s.taskName,
    version: s.version,
    average_duration_seconds: s.averageDurationSeconds,
    max_duration_seconds: s.maxDurationSeconds,
    execution_count: s.executionCount,
    error_count: s.errorCount,
    error_rate: s.errorRate,
    last_executed_at: nullableTimestampToRest(s.lastExecutedAt),
  };
}

function slowCommonFromRest(r: Omit<SlowCommonRest, 'average_step_count'>) {
  return {
    namespace: r.namespace_name,
    taskName: r.task_name,
    version: r.version,
    averageDurationSeconds: r.average_duration_seconds,
    maxDurationSeconds: r.max_duration_seconds,
    executionCount: r.execution_count,
    errorCount: r.error_count,
    errorRate: r.error_rate,
    lastExecutedAt: nullableTimestampFromRest(r.last_executed_at),
  };
}

function countsFromRest<S extends string>(
  states: readonly S[],
  r: Record<string, number>,
): Record<S, number> & { total: number } {
  const out = { total: r.total ?? 0 } as Record<S, number> & { total: number };
  for (const s of states) (out as Record<S, number>)[s] = r[s] ?? 0;
  return out;
}

export function bottleneckAnalysisToRest(b: BottleneckAnalysis): BottleneckAnalysisResponse {
  return {
    window_hours: b.windowHours,
    slow_steps: b.slowSteps.map((s) => ({ ...slowCommonToRest(s), step_name: s.stepName })),
    slow_tasks: b.slowTasks.map((s) => ({ ...slowCommonToRest(s), average_step_count: s.averageStepCount })),
    resource_utilization: {
      database_pool_utilization: b.resourceUtilization.databasePoolUtilization,
      task_counts: { ...b.resourceUtilization.taskCounts },
      step_counts: { ...b.resourceUtilization.stepCounts },
    },
    recommendations: b.recommendations,
  };
}

export function bottleneckAnalysisFromRest(r: BottleneckAnalysisResponse): BottleneckAnalysis {
  return {
    windowHours: r.window_hours,
    slowSteps: r.slow_steps.map((s) => ({ ...slowCommonFromRest(s), stepName: s.step_name })),
    slowTasks: r.slow_tasks.map((s) => ({ ...slowCommonFromRest(s), averageStepCount: s.average_step_count })),
    resourceUtilization: {
      databasePoolUtilization: r.resource_utilization.database_pool_utilization,
      taskCounts: countsFromRest<TaskState>(TASK_STATES, r.resource_utilization.task_counts),
      stepCounts: countsFromRest<StepState>(STEP_STATES, r.resource_utilization.step_counts),
    },
    recommendations: r.recommendations,
  };
}

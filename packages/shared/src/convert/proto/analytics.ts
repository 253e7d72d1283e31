// Analytics (AnalyticsService): domain ↔ proto.
import type { BottleneckAnalysis, PerformanceMetrics, SlowStep, SlowTask } from '../../domain/analytics.js';
import { STEP_STATES, TASK_STATES, type StepState, type TaskState } from '../../domain/states.js';
import type {
  GetBottleneckAnalysisRequest as PbGetBottleneckAnalysisRequest,
  GetBottleneckAnalysisResponse as PbGetBottleneckAnalysisResponse,
  GetPerformanceMetricsRequest as PbGetPerformanceMetricsRequest,
  GetPerformanceMetricsResponse as PbGetPerformanceMetricsResponse,
  SlowStep as PbSlowStep,
  SlowTask as PbSlowTask,
  SystemHealthCounts as PbSystemHealthCounts,
} from '../../gen/tasker/v1/analytics.js';
import { INT_LIMITS } from '../../domain/limits.js';
import { RequestValidator, optionalDateFromProto, optionalDateToProto, requiredDateFromProto } from './common.js';

const { analyticsHours, bottleneckLimit, bottleneckMinExecutions } = INT_LIMITS;

/** `hours`: its default when absent, 0 = all time (as on REST). */
export function performanceRequestFromProto(req: PbGetPerformanceMetricsRequest): number {
  const v = new RequestValidator();
  const hours = v.int('hours', req.hours ?? analyticsHours.default, analyticsHours);
  v.done();
  return hours;
}

export function performanceRequestToProto(hours: number): PbGetPerformanceMetricsRequest {
  return { hours };
}

export interface BottleneckOptions {
  limit: number;
  minExecutions: number;
  hours: number;
}

export function bottleneckRequestFromProto(req: PbGetBottleneckAnalysisRequest): BottleneckOptions {
  const v = new RequestValidator();
  const options = {
    limit: v.int('limit', req.limit ?? bottleneckLimit.default, bottleneckLimit),
    minExecutions: v.int(
      'min_executions',
      req.minExecutions ?? bottleneckMinExecutions.default,
      bottleneckMinExecutions,
    ),
    hours: v.int('hours', req.hours ?? analyticsHours.default, analyticsHours),
  };
  v.done();
  return options;
}

export function bottleneckRequestToProto(o: BottleneckOptions): PbGetBottleneckAnalysisRequest {
  return { limit: o.limit, minExecutions: o.minExecutions, hours: o.hours };
}

export function performanceMetricsToProto(m: PerformanceMetrics): PbGetPerformanceMetricsResponse {
  return {
    windowHours: m.windowHours,
    totalTasks: m.totalTasks,
    activeTasks: m.activeTasks,
    completedTasks: m.completedTasks,
    failedTasks: m.failedTasks,
    completionRate: m.completionRate,
    errorRate: m.errorRate,
    averageTaskDurationSeconds: m.averageTaskDurationSeconds,
    averageStepDurationSeconds: m.averageStepDurationSeconds,
    tasksPerHour: m.tasksPerHour,
    stepsPerHour: m.stepsPerHour,
    systemHealthScore: m.systemHealthScore,
    analysisPeriodStart: m.analysisPeriodStart,
    calculatedAt: m.calculatedAt,
  };
}

export function performanceMetricsFromProto(p: PbGetPerformanceMetricsResponse): PerformanceMetrics {
  return {
    windowHours: p.windowHours,
    totalTasks: p.totalTasks,
    activeTasks: p.activeTasks,
    completedTasks: p.completedTasks,
    failedTasks: p.failedTasks,
    completionRate: p.completionRate,
    errorRate: p.errorRate,
    averageTaskDurationSeconds: p.averageTaskDurationSeconds,
    averageStepDurationSeconds: p.averageStepDurationSeconds,
    tasksPerHour: p.tasksPerHour,
    stepsPerHour: p.stepsPerHour,
    systemHealthScore: p.systemHealthScore,
    analysisPeriodStart: requiredDateFromProto(p.analysisPeriodStart, 'analysis_period_start'),
    calculatedAt: requiredDateFromProto(p.calculatedAt, 'calculated_at'),
  };
}

const TASK_COUNT_FIELDS = {
  pending: 'pendingTasks',
  initializing: 'initializingTasks',
  enqueuing_steps: 'enqueuingStepsTasks',
  steps_in_process: 'stepsInProcessTasks',
  evaluating_results: 'evaluatingResultsTasks',
  waiting_for_dependencies: 'waitingForDependenciesTasks',
  waiting_for_retry: 'waitingForRetryTasks',
  blocked_by_failures: 'blockedByFailuresTasks',
  complete: 'completeTasks',
  error: 'errorTasks',
  cancelled: 'cancelledTasks',
  resolved_manually: 'resolvedManuallyTasks',
} as const satisfies Record<TaskState, keyof PbSystemHealthCounts>;

const STEP_COUNT_FIELDS = {
  pending: 'pendingSteps',
  enqueued: 'enqueuedSteps',
  in_progress: 'inProgressSteps',
  enqueued_for_orchestration: 'enqueuedForOrchestrationSteps',
  enqueued_as_error_for_orchestration: 'enqueuedAsErrorForOrchestrationSteps',
  waiting_for_retry: 'waitingForRetrySteps',
  complete: 'completeSteps',
  error: 'errorSteps',
  cancelled: 'cancelledSteps',
  resolved_manually: 'resolvedManuallySteps',
} as const satisfies Record<StepState, keyof PbSystemHealthCounts>;

type Counts = BottleneckAnalysis['resourceUtilization'];

function countsToProto(u: Counts): PbSystemHealthCounts {
  const out = { totalTasks: u.taskCounts.total, totalSteps: u.stepCounts.total } as PbSystemHealthCounts;
  for (const s of TASK_STATES) out[TASK_COUNT_FIELDS[s]] = u.taskCounts[s];
  for (const s of STEP_STATES) out[STEP_COUNT_FIELDS[s]] = u.stepCounts[s];
  return out;
}

function countsFromProto(p: PbSystemHealthCounts | undefined): Pick<Counts, 'taskCounts' | 'stepCounts'> {
  const taskCounts = { total: p?.totalTasks ?? 0 } as Counts['taskCounts'];
  const stepCounts = { total: p?.totalSteps ?? 0 } as Counts['stepCounts'];
  for (const s of TASK_STATES) taskCounts[s] = p?.[TASK_COUNT_FIELDS[s]] ?? 0;
  for (const s of STEP_STATES) stepCounts[s] = p?.[STEP_COUNT_FIELDS[s]] ?? 0;
  return { taskCounts, stepCounts };
}

function slowStepToProto(s: SlowStep): PbSlowStep {
  return {
    namespaceName: s.namespace,
    taskName: s.taskName,
    version: s.version,
    stepName: s.stepName,
    averageDurationSeconds: s.averageDurationSeconds,
    maxDurationSeconds: s.maxDurationSeconds,
    executionCount: s.executionCount,
    errorCount: s.errorCount,
    errorRate: s.errorRate,
    lastExecutedAt: optionalDateToProto(s.lastExecutedAt),
  };
}

function slowStepFromProto(p: PbSlowStep): SlowStep {
  return {
    namespace: p.namespaceName,
    taskName: p.taskName,
    version: p.version,
    stepName: p.stepName,
    averageDurationSeconds: p.averageDurationSeconds,
    maxDurationSeconds: p.maxDurationSeconds,
    executionCount: p.executionCount,
    errorCount: p.errorCount,
    errorRate: p.errorRate,
    lastExecutedAt: optionalDateFromProto(p.lastExecutedAt),
  };
}

function slowTaskToProto(s: SlowTask): PbSlowTask {
  return {
    namespaceName: s.namespace,
    taskName: s.taskName,
    version: s.version,
    averageDurationSeconds: s.averageDurationSeconds,
    maxDurationSeconds: s.maxDurationSeconds,
    executionCount: s.executionCount,
    errorCount: s.errorCount,
    errorRate: s.errorRate,
    averageStepCount: s.averageStepCount,
    lastExecutedAt: optionalDateToProto(s.lastExecutedAt),
  };
}

function slowTaskFromProto(p: PbSlowTask): SlowTask {
  return {
    namespace: p.namespaceName,
    taskName: p.taskName,
    version: p.version,
    averageDurationSeconds: p.averageDurationSeconds,
    maxDurationSeconds: p.maxDurationSeconds,
    executionCount: p.executionCount,
    errorCount: p.errorCount,
    errorRate: p.errorRate,
    averageStepCount: p.averageStepCount,
    lastExecutedAt: optionalDateFromProto(p.lastExecutedAt),
  };
}

export function bottleneckAnalysisToProto(b: BottleneckAnalysis): PbGetBottleneckAnalysisResponse {
  return {
    windowHours: b.windowHours,
    slowSteps: b.slowSteps.map(slowStepToProto),
    slowTasks: b.slowTasks.map(slowTaskToProto),
    resourceUtilization: {
      databasePoolUtilization: b.resourceUtilization.databasePoolUtilization,
      systemHealth: countsToProto(b.resourceUtilization),
    },
    recommendations: b.recommendations,
  };
}

export function bottleneckAnalysisFromProto(p: PbGetBottleneckAnalysisResponse): BottleneckAnalysis {
  return {
    windowHours: p.windowHours,
    slowSteps: p.slowSteps.map(slowStepFromProto),
    slowTasks: p.slowTasks.map(slowTaskFromProto),
    resourceUtilization: {
      databasePoolUtilization: p.resourceUtilization?.databasePoolUtilization ?? 0,
      ...countsFromProto(p.resourceUtilization?.systemHealth),
    },
    recommendations: p.recommendations,
  };
}

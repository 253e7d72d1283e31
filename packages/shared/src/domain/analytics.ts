import type { StepState, TaskState } from './states.js';

/** Performance over a window (rates are 0–1, per-hour values are per hour of the window). */
export interface PerformanceMetrics {
  windowHours: number;
  totalTasks: number;
  activeTasks: number;
  completedTasks: number;
  failedTasks: number;
  completionRate: number;
  errorRate: number;
  averageTaskDurationSeconds: number;
  averageStepDurationSeconds: number;
  tasksPerHour: number;
  stepsPerHour: number;
  systemHealthScore: number;
  analysisPeriodStart: Date;
  calculatedAt: Date;
}

export interface SlowStep {
  namespace: string;
  taskName: string;
  version: string;
  stepName: string;
  averageDurationSeconds: number;
  maxDurationSeconds: number;
  executionCount: number;
  errorCount: number;
  errorRate: number;
  lastExecutedAt: Date | null;
}

export interface SlowTask {
  namespace: string;
  taskName: string;
  version: string;
  averageDurationSeconds: number;
  maxDurationSeconds: number;
  executionCount: number;
  errorCount: number;
  errorRate: number;
  averageStepCount: number;
  lastExecutedAt: Date | null;
}

export interface BottleneckAnalysis {
  windowHours: number;
  slowSteps: SlowStep[];
  slowTasks: SlowTask[];
  resourceUtilization: {
    databasePoolUtilization: number;
    taskCounts: Record<TaskState, number> & { total: number };
    stepCounts: Record<StepState, number> & { total: number };
  };
  recommendations: string[];
}

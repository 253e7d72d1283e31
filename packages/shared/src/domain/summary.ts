import type { DlqReason, DlqResolutionStatus } from './dlq.js';
import type { StepState } from './states.js';
import type { StepType } from './template.js';
import type { Task } from './task.js';

export interface StepSummary {
  stepUuid: string;
  name: string;
  state: StepState;
  createdAt: Date;
  completedAt: Date | null;
  lastAttemptedAt: Date | null;
  attempts: number;
  maxAttempts: number;
  dependenciesSatisfied: boolean;
  retryEligible: boolean;
  error: { errorType: string | null; retryable: boolean; statusCode: number | null; message: string } | null;
}

export interface TemplateStepSummary {
  name: string;
  stepType: StepType;
  handler: string;
  dependencies: string[];
  retryable: boolean;
  maxAttempts: number;
}

/** GET /v1/tasks/{uuid}/summary, GetTaskSummary: one view for an operator. */
export interface TaskSummary {
  task: Task;
  template: { steps: TemplateStepSummary[] };
  steps: StepSummary[];
  dlq: { inDlq: boolean; dlqReason: DlqReason | null; resolutionStatus: DlqResolutionStatus | null };
}

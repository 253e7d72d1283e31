import type { TaskSummary } from '../../domain/summary.js';
import type { TaskSummaryResponse } from '../../schemas/rest/task.js';
import { nullableTimestampFromRest, nullableTimestampToRest, timestampFromRest, timestampToRest } from './common.js';
import { taskFromRest, taskToRest } from './task.js';

/** Links are derived from the task uuid; the inverse ignores them. */
export function taskSummaryToRest(summary: TaskSummary): TaskSummaryResponse {
  const self = `/v1/tasks/${summary.task.taskUuid}`;
  return {
    task: taskToRest(summary.task),
    template: {
      steps: summary.template.steps.map((s) => ({
        name: s.name,
        step_type: s.stepType,
        handler: s.handler,
        dependencies: s.dependencies,
        retryable: s.retryable,
        max_attempts: s.maxAttempts,
      })),
    },
    steps: summary.steps.map((s) => ({
      step_uuid: s.stepUuid,
      name: s.name,
      current_state: s.state,
      created_at: timestampToRest(s.createdAt),
      completed_at: nullableTimestampToRest(s.completedAt),
      last_attempted_at: nullableTimestampToRest(s.lastAttemptedAt),
      attempts: s.attempts,
      max_attempts: s.maxAttempts,
      dependencies_satisfied: s.dependenciesSatisfied,
      retry_eligible: s.retryEligible,
      error:
        s.error === null
          ? null
          : {
              error_type: s.error.errorType,
              retryable: s.error.retryable,
              status_code: s.error.statusCode,
              message: s.error.message,
            },
    })),
    dlq: {
      in_dlq: summary.dlq.inDlq,
      dlq_reason: summary.dlq.dlqReason,
      resolution_status: summary.dlq.resolutionStatus,
    },
    links: { self, steps: `${self}/workflow_steps`, events: `${self}/events`, context: `${self}/context` },
  };
}

export function taskSummaryFromRest(r: TaskSummaryResponse): TaskSummary {
  return {
    task: taskFromRest(r.task),
    template: {
      steps: r.template.steps.map((s) => ({
        name: s.name,
        stepType: s.step_type,
        handler: s.handler,
        dependencies: s.dependencies,
        retryable: s.retryable,
        maxAttempts: s.max_attempts,
      })),
    },
    steps: r.steps.map((s) => ({
      stepUuid: s.step_uuid,
      name: s.name,
      state: s.current_state,
      createdAt: timestampFromRest(s.created_at),
      completedAt: nullableTimestampFromRest(s.completed_at),
      lastAttemptedAt: nullableTimestampFromRest(s.last_attempted_at),
      attempts: s.attempts,
      maxAttempts: s.max_attempts,
      dependenciesSatisfied: s.dependencies_satisfied,
      retryEligible: s.retry_eligible,
      error:
        s.error === null
          ? null
          : {
              errorType: s.error.error_type,
              retryable: s.error.retryable,
              statusCode: s.error.status_code,
              message: s.error.message,
            },
    })),
    dlq: { inDlq: r.dlq.in_dlq, dlqReason: r.dlq.dlq_reason, resolutionStatus: r.dlq.resolution_status },
  };
}

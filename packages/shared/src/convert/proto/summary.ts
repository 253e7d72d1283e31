// Task summary (GetTaskSummary): domain ↔ proto.
import type { StepSummary, TaskSummary } from '../../domain/summary.js';
import type { Task } from '../../domain/task.js';
import type {
  GetTaskSummaryResponse as PbGetTaskSummaryResponse,
  StepSummary as PbStepSummary,
} from '../../gen/tasker/v1/tasks.js';
import {
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  requiredDateFromProto,
} from './common.js';
import {
  dlqReasonFromProto,
  dlqReasonToProto,
  dlqResolutionStatusFromProto,
  dlqResolutionStatusToProto,
  stepStateFromProto,
  stepStateToProto,
  stepTypeFromProto,
  stepTypeToProto,
} from './enums.js';
import { requiredTaskFromProto, taskToProto } from './task.js';

/** The same related paths as the REST summary's `links`. */
function linksOf(task: Pick<Task, 'taskUuid'>): Record<string, string> {
  const self = `/v1/tasks/${task.taskUuid}`;
  return { self, steps: `${self}/workflow_steps`, events: `${self}/events`, context: `${self}/context` };
}

function stepSummaryToProto(s: StepSummary): PbStepSummary {
  return {
    stepUuid: s.stepUuid,
    name: s.name,
    state: stepStateToProto(s.state),
    createdAt: s.createdAt,
    completedAt: optionalDateToProto(s.completedAt),
    lastAttemptedAt: optionalDateToProto(s.lastAttemptedAt),
    attempts: s.attempts,
    maxAttempts: s.maxAttempts,
    dependenciesSatisfied: s.dependenciesSatisfied,
    retryEligible: s.retryEligible,
    error:
      s.error === null
        ? undefined
        : {
            errorType: nullableToProto(s.error.errorType),
            retryable: s.error.retryable,
            statusCode: nullableToProto(s.error.statusCode),
            message: s.error.message,
          },
  };
}

function stepSummaryFromProto(p: PbStepSummary, path: string): StepSummary {
  return {
    stepUuid: p.stepUuid,
    name: p.name,
    state: stepStateFromProto(p.state, `${path}.state`),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    completedAt: optionalDateFromProto(p.completedAt),
    lastAttemptedAt: optionalDateFromProto(p.lastAttemptedAt),
    attempts: p.attempts,
    maxAttempts: p.maxAttempts,
    dependenciesSatisfied: p.dependenciesSatisfied,
    retryEligible: p.retryEligible,
    error:
      p.error === undefined
        ? null
        : {
            errorType: nullableFromProto(p.error.errorType),
            retryable: p.error.retryable,
            statusCode: nullableFromProto(p.error.statusCode),
            message: p.error.message,
          },
  };
}

export function taskSummaryToProto(s: TaskSummary): PbGetTaskSummaryResponse {
  return {
    task: taskToProto(s.task),
    template: {
      namespace: s.task.namespace,
      name: s.task.name,
      version: s.task.version,
      steps: s.template.steps.map((t) => ({
        name: t.name,
        stepType: stepTypeToProto(t.stepType),
        handler: t.handler,
        dependencies: t.dependencies,
        retryable: t.retryable,
        maxAttempts: t.maxAttempts,
      })),
    },
    steps: s.steps.map(stepSummaryToProto),
    dlq: {
      inDlq: s.dlq.inDlq,
      dlqReason: s.dlq.dlqReason === null ? undefined : dlqReasonToProto(s.dlq.dlqReason),
      resolutionStatus:
        s.dlq.resolutionStatus === null ? undefined : dlqResolutionStatusToProto(s.dlq.resolutionStatus),
    },
    links: linksOf(s.task),
  };
}

export function taskSummaryFromProto(r: PbGetTaskSummaryResponse): TaskSummary {
  return {
    task: requiredTaskFromProto(r.task),
    template: {
      steps: (r.template?.steps ?? []).map((t, i) => ({
        name: t.name,
        stepType: stepTypeFromProto(t.stepType, `template.steps[${i}].step_type`),
        handler: t.handler,
        dependencies: t.dependencies,
        retryable: t.retryable,
        maxAttempts: t.maxAttempts,
      })),
    },
    steps: r.steps.map((s, i) => stepSummaryFromProto(s, `steps[${i}]`)),
    dlq: {
      inDlq: r.dlq?.inDlq ?? false,
      dlqReason: r.dlq?.dlqReason === undefined ? null : dlqReasonFromProto(r.dlq.dlqReason, 'dlq.dlq_reason'),
      resolutionStatus:
        r.dlq?.resolutionStatus === undefined
          ? null
          : dlqResolutionStatusFromProto(r.dlq.resolutionStatus, 'dlq.resolution_status'),
    },
  };
}

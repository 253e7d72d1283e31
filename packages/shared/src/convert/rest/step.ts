import type { Step, StepAudit, StepManualAction } from '../../domain/step.js';
import type { StepAuditResponse, StepManualActionRequest, StepResponse } from '../../schemas/rest/step.js';
import { optionalCheckpointFromRest, optionalCheckpointToRest } from './checkpoint.js';
import {
  definedEntry,
  nullableTimestampFromRest,
  nullableTimestampToRest,
  timestampFromRest,
  timestampToRest,
} from './common.js';

export function stepToRest(step: Step): StepResponse {
  return {
    step_uuid: step.stepUuid,
    task_uuid: step.taskUuid,
    name: step.name,
    current_state: step.state,
    handler_callable: step.handlerCallable,
    step_type: step.stepType,
    created_by_step_uuid: step.createdByStepUuid,
    created_by_step_name: step.createdByStepName,
    batch:
      step.batch === null
        ? null
        : {
            template_step: step.batch.templateStep,
            batch_id: step.batch.batchId,
            start_cursor: step.batch.startCursor,
            end_cursor: step.batch.endCursor,
            batch_size: step.batch.batchSize,
            no_op: step.batch.noOp,
          },
    created_at: timestampToRest(step.createdAt),
    updated_at: timestampToRest(step.updatedAt),
    completed_at: nullableTimestampToRest(step.completedAt),
    results: step.results,
    dependencies_satisfied: step.dependenciesSatisfied,
    retry_eligible: step.retryEligible,
    ready_for_execution: step.readyForExecution,
    total_parents: step.totalParents,
    completed_parents: step.completedParents,
    attempts: step.attempts,
    max_attempts: step.maxAttempts,
    retryable: step.retryable,
    last_failure_at: nullableTimestampToRest(step.lastFailureAt),
    next_retry_at: nullableTimestampToRest(step.nextRetryAt),
    last_attempted_at: nullableTimestampToRest(step.lastAttemptedAt),
    backoff_request_seconds: step.backoffRequestSeconds,
    last_error:
      step.lastError === null
        ? null
        : {
            message: step.lastError.message,
            error_type: step.lastError.errorType,
            retryable: step.lastError.retryable,
            status_code: step.lastError.statusCode,
          },
    checkpoint: optionalCheckpointToRest(step.checkpoint),
  };
}

export function stepFromRest(r: StepResponse): Step {
  return {
    stepUuid: r.step_uuid,
    taskUuid: r.task_uuid,
    name: r.name,
    state: r.current_state,
    handlerCallable: r.handler_callable,
    stepType: r.step_type,
    createdByStepUuid: r.created_by_step_uuid,
    createdByStepName: r.created_by_step_name,
    batch:
      r.batch === null
        ? null
        : {
            templateStep: r.batch.template_step,
            batchId: r.batch.batch_id,
            startCursor: r.batch.start_cursor,
            endCursor: r.batch.end_cursor,
            batchSize: r.batch.batch_size,
            noOp: r.batch.no_op,
          },
    createdAt: timestampFromRest(r.created_at),
    updatedAt: timestampFromRest(r.updated_at),
    completedAt: nullableTimestampFromRest(r.completed_at),
    results: r.results,
    dependenciesSatisfied: r.dependencies_satisfied,
    retryEligible: r.retry_eligible,
    readyForExecution: r.ready_for_execution,
    totalParents: r.total_parents,
    completedParents: r.completed_parents,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    retryable: r.retryable,
    lastFailureAt: nullableTimestampFromRest(r.last_failure_at),
    nextRetryAt: nullableTimestampFromRest(r.next_retry_at),
    lastAttemptedAt: nullableTimestampFromRest(r.last_attempted_at),
    backoffRequestSeconds: r.backoff_request_seconds,
    lastError:
      r.last_error === null
        ? null
        : {
            message: r.last_error.message,
            errorType: r.last_error.error_type,
            retryable: r.last_error.retryable,
            statusCode: r.last_error.status_code,
          },
    checkpoint: optionalCheckpointFromRest(r.checkpoint),
  };
}

/** Each action's actor field (`reset_by`, `resolved_by`, `completed_by`) becomes `performedBy`. */
export function stepManualActionFromRest(body: StepManualActionRequest): StepManualAction {
  switch (body.action_type) {
    case 'reset_for_retry':
      return { type: 'reset_for_retry', reason: body.reason, performedBy: body.reset_by };
    case 'resolve_manually':
      return { type: 'resolve_manually', reason: body.reason, performedBy: body.resolved_by };
    case 'complete_manually':
      return {
        type: 'complete_manually',
        reason: body.reason,
        performedBy: body.completed_by,
        result: body.completion_data.result,
        ...definedEntry('metadata', body.completion_data.metadata),
      };
  }
}

export function stepManualActionToRest(action: StepManualAction): StepManualActionRequest {
  switch (action.type) {
    case 'reset_for_retry':
      return { action_type: 'reset_for_retry', reason: action.reason, reset_by: action.performedBy };
    case 'resolve_manually':
      return { action_type: 'resolve_manually', reason: action.reason, resolved_by: action.performedBy };
    case 'complete_manually':
      return {
        action_type: 'complete_manually',
        reason: action.reason,
        completed_by: action.performedBy,
        completion_data: { result: action.result, ...definedEntry('metadata', action.metadata) },
      };
  }
}

export function stepAuditToRest(a: StepAudit): StepAuditResponse {
  return {
    audit_uuid: a.auditUuid,
    workflow_step_uuid: a.stepUuid,
    task_uuid: a.taskUuid,
    step_name: a.stepName,
    event_id: a.eventId,
    recorded_at: timestampToRest(a.recordedAt),
    action: a.action,
    worker_id: a.workerId,
    performed_by: a.performedBy,
    reason: a.reason,
    correlation_id: a.correlationId,
    success: a.success,
    execution_time_ms: a.executionTimeMs,
    result: a.result,
    from_state: a.fromState,
    to_state: a.toState,
  };
}

export function stepAuditFromRest(r: StepAuditResponse): StepAudit {
  return {
    auditUuid: r.audit_uuid,
    stepUuid: r.workflow_step_uuid,
    taskUuid: r.task_uuid,
    stepName: r.step_name,
    eventId: r.event_id,
    recordedAt: timestampFromRest(r.recorded_at),
    action: r.action,
    workerId: r.worker_id,
    performedBy: r.performed_by,
    reason: r.reason,
    correlationId: r.correlation_id,
    success: r.success,
    executionTimeMs: r.execution_time_ms,
    result: r.result,
    fromState: r.from_state,
    toState: r.to_state,
  };
}

// Step resource: domain ↔ proto, both directions side by side.
import { optionalCheckpointFromProto, optionalCheckpointToProto } from './checkpoint.js';
import type { JsonValue } from '../../domain/json.js';
import {
  STEP_AUDIT_ACTIONS,
  type Step,
  type StepAudit,
  type StepAuditAction,
  type StepBatch,
  type StepManualAction,
} from '../../domain/step.js';
import { TEXT_LIMITS } from '../../domain/limits.js';
import type { Page } from '../../domain/task.js';
import { validationError } from '../../errors.js';
import type {
  GetStepAuditRequest as PbGetStepAuditRequest,
  GetStepRequest as PbGetStepRequest,
  ListStepsRequest as PbListStepsRequest,
  ListStepsResponse as PbListStepsResponse,
  ResolveStepRequest as PbResolveStepRequest,
  Step as PbStep,
  StepAudit as PbStepAudit,
  StepBatch as PbStepBatch,
} from '../../gen/tasker/v1/steps.js';
import {
  RequestValidator,
  defined,
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  paginationFromProto,
  paginationRequestToProto,
  paginationToProto,
  requiredDateFromProto,
  valueFromProto,
  valueToProto,
} from './common.js';
import {
  stepManualActionTypeFromProto,
  stepManualActionTypeToProto,
  stepStateFromProto,
  stepStateToProto,
  stepTypeFromProto,
  stepTypeToProto,
} from './enums.js';

function stepBatchToProto(b: StepBatch): PbStepBatch {
  return {
    templateStep: b.templateStep,
    batchId: b.batchId,
    startCursor: b.startCursor,
    endCursor: b.endCursor,
    batchSize: nullableToProto(b.batchSize),
    noOp: b.noOp,
  };
}

function requiredValueFromProto(value: unknown, field: string): JsonValue {
  const v = valueFromProto(value);
  if (v === null) throw validationError([{ path: field, message: 'is required' }]);
  return v;
}

function stepBatchFromProto(p: PbStepBatch, path: string): StepBatch {
  return {
    templateStep: p.templateStep,
    batchId: p.batchId,
    startCursor: requiredValueFromProto(p.startCursor, `${path}.start_cursor`),
    endCursor: requiredValueFromProto(p.endCursor, `${path}.end_cursor`),
    batchSize: nullableFromProto(p.batchSize),
    noOp: p.noOp,
  };
}

export function stepToProto(s: Step): PbStep {
  return {
    stepUuid: s.stepUuid,
    taskUuid: s.taskUuid,
    name: s.name,
    state: stepStateToProto(s.state),
    handlerCallable: s.handlerCallable,
    stepType: stepTypeToProto(s.stepType),
    createdByStepUuid: nullableToProto(s.createdByStepUuid),
    createdByStepName: nullableToProto(s.createdByStepName),
    batch: s.batch === null ? undefined : stepBatchToProto(s.batch),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    completedAt: optionalDateToProto(s.completedAt),
    results: valueToProto(s.results),
    dependenciesSatisfied: s.dependenciesSatisfied,
    retryEligible: s.retryEligible,
    readyForExecution: s.readyForExecution,
    totalParents: s.totalParents,
    completedParents: s.completedParents,
    attempts: s.attempts,
    maxAttempts: s.maxAttempts,
    retryable: s.retryable,
    lastFailureAt: optionalDateToProto(s.lastFailureAt),
    nextRetryAt: optionalDateToProto(s.nextRetryAt),
    lastAttemptedAt: optionalDateToProto(s.lastAttemptedAt),
    backoffRequestSeconds: nullableToProto(s.backoffRequestSeconds),
    lastError:
      s.lastError === null
        ? undefined
        : {
            message: s.lastError.message,
            errorType: nullableToProto(s.lastError.errorType),
            retryable: s.lastError.retryable,
            statusCode: nullableToProto(s.lastError.statusCode),
          },
    checkpoint: optionalCheckpointToProto(s.checkpoint),
  };
}

export function stepFromProto(p: PbStep, path = 'step'): Step {
  return {
    stepUuid: p.stepUuid,
    taskUuid: p.taskUuid,
    name: p.name,
    state: stepStateFromProto(p.state, `${path}.state`),
    handlerCallable: p.handlerCallable,
    stepType: stepTypeFromProto(p.stepType, `${path}.step_type`),
    createdByStepUuid: nullableFromProto(p.createdByStepUuid),
    createdByStepName: nullableFromProto(p.createdByStepName),
    batch: p.batch === undefined ? null : stepBatchFromProto(p.batch, `${path}.batch`),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    updatedAt: requiredDateFromProto(p.updatedAt, `${path}.updated_at`),
    completedAt: optionalDateFromProto(p.completedAt),
    results: valueFromProto(p.results),
    dependenciesSatisfied: p.dependenciesSatisfied,
    retryEligible: p.retryEligible,
    readyForExecution: p.readyForExecution,
    totalParents: p.totalParents,
    completedParents: p.completedParents,
    attempts: p.attempts,
    maxAttempts: p.maxAttempts,
    retryable: p.retryable,
    lastFailureAt: optionalDateFromProto(p.lastFailureAt),
    nextRetryAt: optionalDateFromProto(p.nextRetryAt),
    lastAttemptedAt: optionalDateFromProto(p.lastAttemptedAt),
    backoffRequestSeconds: nullableFromProto(p.backoffRequestSeconds),
    lastError:
      p.lastError === undefined
        ? null
        : {
            message: p.lastError.message,
            errorType: nullableFromProto(p.lastError.errorType),
            retryable: p.lastError.retryable,
            statusCode: nullableFromProto(p.lastError.statusCode),
          },
    checkpoint: optionalCheckpointFromProto(p.checkpoint, `${path}.checkpoint`),
  };
}

export interface StepRef {
  taskUuid: string;
  stepUuid: string;
}

/** GetStep and GetStepAudit carry the same pair of ids. */
export function stepRefFromProto(req: PbGetStepRequest | PbGetStepAuditRequest): StepRef {
  const v = new RequestValidator();
  const ref = { taskUuid: v.uuid('task_uuid', req.taskUuid), stepUuid: v.uuid('step_uuid', req.stepUuid) };
  v.done();
  return ref;
}

export function stepRefToProto(ref: StepRef): PbGetStepRequest {
  return { taskUuid: ref.taskUuid, stepUuid: ref.stepUuid };
}

export interface ListStepsQuery {
  taskUuid: string;
  /** Absent: every step. */
  page: { limit: number; offset: number } | null;
}

export function listStepsRequestFromProto(req: PbListStepsRequest): ListStepsQuery {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const page = req.pagination === undefined ? null : paginationFromProto(v, req.pagination);
  v.done();
  return { taskUuid, page };
}

export function listStepsRequestToProto(q: ListStepsQuery): PbListStepsRequest {
  return { taskUuid: q.taskUuid, pagination: q.page === null ? undefined : paginationRequestToProto(q.page) };
}

/**
 * The service returns every step of a task (tasks have tens of steps); the optional proto paging is a window
 * over that list, so the response reports the real total.
 */
export function stepListToProto(steps: Step[], page: ListStepsQuery['page']): PbListStepsResponse {
  const offset = page?.offset ?? 0;
  const limit = page?.limit ?? Math.max(steps.length, 1);
  const window: Page<Step> = { items: steps.slice(offset, offset + limit), total: steps.length, limit, offset };
  return { steps: window.items.map(stepToProto), pagination: paginationToProto(window) };
}

export function stepListFromProto(r: PbListStepsResponse): Step[] {
  return r.steps.map((s, i) => stepFromProto(s, `steps[${i}]`));
}

export interface ResolveStepInput {
  taskUuid: string;
  stepUuid: string;
  action: StepManualAction;
}

/** `result` is required for COMPLETE_MANUALLY and rejected for the other actions (as the proto states). */
export function resolveStepRequestFromProto(req: PbResolveStepRequest): ResolveStepInput {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const stepUuid = v.uuid('step_uuid', req.stepUuid);
  const type = v.decode(() => stepManualActionTypeFromProto(req.actionType, 'action_type'));
  const performedBy = v.string('performed_by', req.performedBy, TEXT_LIMITS.actor);
  const why = v.string('reason', req.reason, TEXT_LIMITS.operatorReason);
  if (type === 'complete_manually') {
    if (req.result === undefined) v.fail('result', 'is required for COMPLETE_MANUALLY');
  } else if (type !== undefined) {
    if (req.result !== undefined) v.fail('result', 'is only allowed for COMPLETE_MANUALLY');
    if (req.metadata !== undefined) v.fail('metadata', 'is only allowed for COMPLETE_MANUALLY');
  }
  v.done();
  const action: StepManualAction =
    type === 'complete_manually'
      ? {
          type,
          reason: why,
          performedBy,
          result: valueFromProto(req.result),
          ...defined('metadata', req.metadata as StepManualActionMetadata | undefined),
        }
      : { type: type as 'reset_for_retry' | 'resolve_manually', reason: why, performedBy };
  return { taskUuid, stepUuid, action };
}

type StepManualActionMetadata = Extract<StepManualAction, { type: 'complete_manually' }>['metadata'];

export function resolveStepRequestToProto(input: ResolveStepInput): PbResolveStepRequest {
  const a = input.action;
  return {
    taskUuid: input.taskUuid,
    stepUuid: input.stepUuid,
    actionType: stepManualActionTypeToProto(a.type),
    performedBy: a.performedBy,
    reason: a.reason,
    // A JSON null result is a real value here (NULL_VALUE), unlike a stored step result.
    result: a.type === 'complete_manually' ? a.result : undefined,
    metadata: a.type === 'complete_manually' ? a.metadata : undefined,
  };
}

export function stepAuditToProto(a: StepAudit): PbStepAudit {
  return {
    auditUuid: a.auditUuid,
    stepUuid: a.stepUuid,
    eventId: a.eventId,
    taskUuid: a.taskUuid,
    recordedAt: a.recordedAt,
    workerId: nullableToProto(a.workerId),
    correlationId: nullableToProto(a.correlationId),
    success: a.success,
    executionTimeMs: nullableToProto(a.executionTimeMs),
    result: valueToProto(a.result),
    stepName: a.stepName,
    fromState: a.fromState === null ? undefined : stepStateToProto(a.fromState),
    toState: stepStateToProto(a.toState),
    action: a.action,
    performedBy: nullableToProto(a.performedBy),
    reason: nullableToProto(a.reason),
  };
}

function isStepAuditAction(value: string): value is StepAuditAction {
  return (STEP_AUDIT_ACTIONS as readonly string[]).includes(value);
}

export function stepAuditFromProto(p: PbStepAudit, path = 'audit_records[]'): StepAudit {
  if (!isStepAuditAction(p.action)) {
    throw validationError([{ path: `${path}.action`, message: `unknown audit action ${JSON.stringify(p.action)}` }]);
  }
  return {
    auditUuid: p.auditUuid,
    stepUuid: p.stepUuid,
    taskUuid: p.taskUuid,
    stepName: p.stepName,
    eventId: p.eventId,
    recordedAt: requiredDateFromProto(p.recordedAt, `${path}.recorded_at`),
    action: p.action,
    workerId: nullableFromProto(p.workerId),
    performedBy: nullableFromProto(p.performedBy),
    reason: nullableFromProto(p.reason),
    correlationId: nullableFromProto(p.correlationId),
    // Absent means "not a worker result": the domain records that as false.
    success: p.success ?? false,
    executionTimeMs: nullableFromProto(p.executionTimeMs),
    result: valueFromProto(p.result),
    fromState: p.fromState === undefined ? null : stepStateFromProto(p.fromState, `${path}.from_state`),
    toState: stepStateFromProto(p.toState, `${path}.to_state`),
  };
}

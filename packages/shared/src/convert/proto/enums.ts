// Every enum of the contract, one explicit map per direction. `satisfies Record<…>` makes a value missing from
// either side a compile error. Decoding UNSPECIFIED (or a number this build does not know, UNRECOGNIZED) throws
// VALIDATION_FAILED naming the field.
import type { DlqReason, DlqResolutionStatus, StalenessHealthStatus } from '../../domain/dlq.js';
import type { TaskEventType } from '../../domain/events.js';
import type { StepState, TaskState } from '../../domain/states.js';
import type { StepManualActionType } from '../../domain/step.js';
import type {
  ExecutionStatus,
  HealthStatus,
  RecommendedAction,
  SortDirection,
  TaskSortField,
} from '../../domain/task.js';
import type { BackoffKind, IdentityStrategy, StalenessAction, StepType, TemplateRegistrationOutcome } from '../../domain/template.js';
import type { LeaseStatus, StepResultOutcomeKind } from '../../domain/worker.js';
import { validationError } from '../../errors.js';
import {
  DlqReason as PbDlqReason,
  DlqResolutionStatus as PbDlqResolutionStatus,
  SortDirection as PbSortDirection,
  StepState as PbStepState,
  StepType as PbStepType,
  TaskState as PbTaskState,
} from '../../gen/tasker/v1/common.js';
import { StalenessHealthStatus as PbStalenessHealthStatus } from '../../gen/tasker/v1/dlq.js';
import { StepManualActionType as PbStepManualActionType } from '../../gen/tasker/v1/steps.js';
import {
  ExecutionStatus as PbExecutionStatus,
  RecommendedAction as PbRecommendedAction,
  TaskHealthStatus as PbTaskHealthStatus,
  TaskSortField as PbTaskSortField,
  TaskUpdateType as PbTaskUpdateType,
} from '../../gen/tasker/v1/tasks.js';
import {
  BackoffKind as PbBackoffKind,
  IdentityStrategy as PbIdentityStrategy,
  StalenessAction as PbStalenessAction,
} from '../../gen/tasker/v1/templates.js';
import {
  LeaseStatus as PbLeaseStatus,
  ResultOutcome as PbResultOutcome,
  TemplateRegistrationOutcome as PbTemplateRegistrationOutcome,
} from '../../gen/tasker/v1/workers.js';

/** The values a peer may legitimately send: everything but the zero value and ts-proto's UNRECOGNIZED. */
type Specified<E extends string, Unspecified extends E> = Exclude<E, Unspecified | 'UNRECOGNIZED'>;

function decoder<P extends string, D>(enumName: string, map: Readonly<Partial<Record<P, D>>>) {
  return (value: P, field: string): D => {
    const decoded = Object.hasOwn(map, value) ? map[value] : undefined;
    if (decoded === undefined) {
      throw validationError([{ path: field, message: `must be a ${enumName} other than UNSPECIFIED (got ${value})` }]);
    }
    return decoded;
  };
}

export const TASK_STATE_TO_PROTO = {
  pending: PbTaskState.TASK_STATE_PENDING,
  initializing: PbTaskState.TASK_STATE_INITIALIZING,
  enqueuing_steps: PbTaskState.TASK_STATE_ENQUEUING_STEPS,
  steps_in_process: PbTaskState.TASK_STATE_STEPS_IN_PROCESS,
  evaluating_results: PbTaskState.TASK_STATE_EVALUATING_RESULTS,
  waiting_for_dependencies: PbTaskState.TASK_STATE_WAITING_FOR_DEPENDENCIES,
  waiting_for_retry: PbTaskState.TASK_STATE_WAITING_FOR_RETRY,
  blocked_by_failures: PbTaskState.TASK_STATE_BLOCKED_BY_FAILURES,
  complete: PbTaskState.TASK_STATE_COMPLETE,
  error: PbTaskState.TASK_STATE_ERROR,
  cancelled: PbTaskState.TASK_STATE_CANCELLED,
  resolved_manually: PbTaskState.TASK_STATE_RESOLVED_MANUALLY,
} as const satisfies Record<TaskState, PbTaskState>;

export const TASK_STATE_FROM_PROTO = {
  [PbTaskState.TASK_STATE_PENDING]: 'pending',
  [PbTaskState.TASK_STATE_INITIALIZING]: 'initializing',
  [PbTaskState.TASK_STATE_ENQUEUING_STEPS]: 'enqueuing_steps',
  [PbTaskState.TASK_STATE_STEPS_IN_PROCESS]: 'steps_in_process',
  [PbTaskState.TASK_STATE_EVALUATING_RESULTS]: 'evaluating_results',
  [PbTaskState.TASK_STATE_WAITING_FOR_DEPENDENCIES]: 'waiting_for_dependencies',
  [PbTaskState.TASK_STATE_WAITING_FOR_RETRY]: 'waiting_for_retry',
  [PbTaskState.TASK_STATE_BLOCKED_BY_FAILURES]: 'blocked_by_failures',
  [PbTaskState.TASK_STATE_COMPLETE]: 'complete',
  [PbTaskState.TASK_STATE_ERROR]: 'error',
  [PbTaskState.TASK_STATE_CANCELLED]: 'cancelled',
  [PbTaskState.TASK_STATE_RESOLVED_MANUALLY]: 'resolved_manually',
} as const satisfies Record<Specified<PbTaskState, PbTaskState.TASK_STATE_UNSPECIFIED>, TaskState>;

export const STEP_STATE_TO_PROTO = {
  pending: PbStepState.STEP_STATE_PENDING,
  enqueued: PbStepState.STEP_STATE_ENQUEUED,
  in_progress: PbStepState.STEP_STATE_IN_PROGRESS,
  enqueued_for_orchestration: PbStepState.STEP_STATE_ENQUEUED_FOR_ORCHESTRATION,
  enqueued_as_error_for_orchestration: PbStepState.STEP_STATE_ENQUEUED_AS_ERROR_FOR_ORCHESTRATION,
  waiting_for_retry: PbStepState.STEP_STATE_WAITING_FOR_RETRY,
  complete: PbStepState.STEP_STATE_COMPLETE,
  error: PbStepState.STEP_STATE_ERROR,
  cancelled: PbStepState.STEP_STATE_CANCELLED,
  resolved_manually: PbStepState.STEP_STATE_RESOLVED_MANUALLY,
} as const satisfies Record<StepState, PbStepState>;

export const STEP_STATE_FROM_PROTO = {
  [PbStepState.STEP_STATE_PENDING]: 'pending',
  [PbStepState.STEP_STATE_ENQUEUED]: 'enqueued',
  [PbStepState.STEP_STATE_IN_PROGRESS]: 'in_progress',
  [PbStepState.STEP_STATE_ENQUEUED_FOR_ORCHESTRATION]: 'enqueued_for_orchestration',
  [PbStepState.STEP_STATE_ENQUEUED_AS_ERROR_FOR_ORCHESTRATION]: 'enqueued_as_error_for_orchestration',
  [PbStepState.STEP_STATE_WAITING_FOR_RETRY]: 'waiting_for_retry',
  [PbStepState.STEP_STATE_COMPLETE]: 'complete',
  [PbStepState.STEP_STATE_ERROR]: 'error',
  [PbStepState.STEP_STATE_CANCELLED]: 'cancelled',
  [PbStepState.STEP_STATE_RESOLVED_MANUALLY]: 'resolved_manually',
} as const satisfies Record<Specified<PbStepState, PbStepState.STEP_STATE_UNSPECIFIED>, StepState>;

export const STEP_TYPE_TO_PROTO = {
  standard: PbStepType.STEP_TYPE_STANDARD,
  decision: PbStepType.STEP_TYPE_DECISION,
  deferred_convergence: PbStepType.STEP_TYPE_DEFERRED_CONVERGENCE,
  batchable: PbStepType.STEP_TYPE_BATCHABLE,
  batch_worker: PbStepType.STEP_TYPE_BATCH_WORKER,
} as const satisfies Record<StepType, PbStepType>;

export const STEP_TYPE_FROM_PROTO = {
  [PbStepType.STEP_TYPE_STANDARD]: 'standard',
  [PbStepType.STEP_TYPE_DECISION]: 'decision',
  [PbStepType.STEP_TYPE_DEFERRED_CONVERGENCE]: 'deferred_convergence',
  [PbStepType.STEP_TYPE_BATCHABLE]: 'batchable',
  [PbStepType.STEP_TYPE_BATCH_WORKER]: 'batch_worker',
} as const satisfies Record<Specified<PbStepType, PbStepType.STEP_TYPE_UNSPECIFIED>, StepType>;

export const DLQ_RESOLUTION_STATUS_TO_PROTO = {
  pending: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PENDING,
  manually_resolved: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_MANUALLY_RESOLVED,
  permanently_failed: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PERMANENTLY_FAILED,
  cancelled: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_CANCELLED,
} as const satisfies Record<DlqResolutionStatus, PbDlqResolutionStatus>;

export const DLQ_RESOLUTION_STATUS_FROM_PROTO = {
  [PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PENDING]: 'pending',
  [PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_MANUALLY_RESOLVED]: 'manually_resolved',
  [PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PERMANENTLY_FAILED]: 'permanently_failed',
  [PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_CANCELLED]: 'cancelled',
} as const satisfies Record<
  Specified<PbDlqResolutionStatus, PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_UNSPECIFIED>,
  DlqResolutionStatus
>;

export const DLQ_REASON_TO_PROTO = {
  staleness_timeout: PbDlqReason.DLQ_REASON_STALENESS_TIMEOUT,
  max_retries_exceeded: PbDlqReason.DLQ_REASON_MAX_RETRIES_EXCEEDED,
  dependency_cycle_detected: PbDlqReason.DLQ_REASON_DEPENDENCY_CYCLE_DETECTED,
  worker_unavailable: PbDlqReason.DLQ_REASON_WORKER_UNAVAILABLE,
  manual_dlq: PbDlqReason.DLQ_REASON_MANUAL_DLQ,
} as const satisfies Record<DlqReason, PbDlqReason>;

export const DLQ_REASON_FROM_PROTO = {
  [PbDlqReason.DLQ_REASON_STALENESS_TIMEOUT]: 'staleness_timeout',
  [PbDlqReason.DLQ_REASON_MAX_RETRIES_EXCEEDED]: 'max_retries_exceeded',
  [PbDlqReason.DLQ_REASON_DEPENDENCY_CYCLE_DETECTED]: 'dependency_cycle_detected',
  [PbDlqReason.DLQ_REASON_WORKER_UNAVAILABLE]: 'worker_unavailable',
  [PbDlqReason.DLQ_REASON_MANUAL_DLQ]: 'manual_dlq',
} as const satisfies Record<Specified<PbDlqReason, PbDlqReason.DLQ_REASON_UNSPECIFIED>, DlqReason>;

export const SORT_DIRECTION_TO_PROTO = {
  asc: PbSortDirection.SORT_DIRECTION_ASC,
  desc: PbSortDirection.SORT_DIRECTION_DESC,
} as const satisfies Record<SortDirection, PbSortDirection>;

export const SORT_DIRECTION_FROM_PROTO = {
  [PbSortDirection.SORT_DIRECTION_ASC]: 'asc',
  [PbSortDirection.SORT_DIRECTION_DESC]: 'desc',
} as const satisfies Record<Specified<PbSortDirection, PbSortDirection.SORT_DIRECTION_UNSPECIFIED>, SortDirection>;

export const EXECUTION_STATUS_TO_PROTO = {
  has_ready_steps: PbExecutionStatus.EXECUTION_STATUS_HAS_READY_STEPS,
  processing: PbExecutionStatus.EXECUTION_STATUS_PROCESSING,
  blocked_by_failures: PbExecutionStatus.EXECUTION_STATUS_BLOCKED_BY_FAILURES,
  all_complete: PbExecutionStatus.EXECUTION_STATUS_ALL_COMPLETE,
  waiting_for_dependencies: PbExecutionStatus.EXECUTION_STATUS_WAITING_FOR_DEPENDENCIES,
} as const satisfies Record<ExecutionStatus, PbExecutionStatus>;

export const EXECUTION_STATUS_FROM_PROTO = {
  [PbExecutionStatus.EXECUTION_STATUS_HAS_READY_STEPS]: 'has_ready_steps',
  [PbExecutionStatus.EXECUTION_STATUS_PROCESSING]: 'processing',
  [PbExecutionStatus.EXECUTION_STATUS_BLOCKED_BY_FAILURES]: 'blocked_by_failures',
  [PbExecutionStatus.EXECUTION_STATUS_ALL_COMPLETE]: 'all_complete',
  [PbExecutionStatus.EXECUTION_STATUS_WAITING_FOR_DEPENDENCIES]: 'waiting_for_dependencies',
} as const satisfies Record<Specified<PbExecutionStatus, PbExecutionStatus.EXECUTION_STATUS_UNSPECIFIED>, ExecutionStatus>;

export const RECOMMENDED_ACTION_TO_PROTO = {
  execute_ready_steps: PbRecommendedAction.RECOMMENDED_ACTION_EXECUTE_READY_STEPS,
  wait_for_completion: PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_COMPLETION,
  handle_failures: PbRecommendedAction.RECOMMENDED_ACTION_HANDLE_FAILURES,
  finalize_task: PbRecommendedAction.RECOMMENDED_ACTION_FINALIZE_TASK,
  wait_for_dependencies: PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_DEPENDENCIES,
  none: PbRecommendedAction.RECOMMENDED_ACTION_NONE,
} as const satisfies Record<RecommendedAction, PbRecommendedAction>;

export const RECOMMENDED_ACTION_FROM_PROTO = {
  [PbRecommendedAction.RECOMMENDED_ACTION_EXECUTE_READY_STEPS]: 'execute_ready_steps',
  [PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_COMPLETION]: 'wait_for_completion',
  [PbRecommendedAction.RECOMMENDED_ACTION_HANDLE_FAILURES]: 'handle_failures',
  [PbRecommendedAction.RECOMMENDED_ACTION_FINALIZE_TASK]: 'finalize_task',
  [PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_DEPENDENCIES]: 'wait_for_dependencies',
  [PbRecommendedAction.RECOMMENDED_ACTION_NONE]: 'none',
} as const satisfies Record<
  Specified<PbRecommendedAction, PbRecommendedAction.RECOMMENDED_ACTION_UNSPECIFIED>,
  RecommendedAction
>;

export const TASK_HEALTH_STATUS_TO_PROTO = {
  healthy: PbTaskHealthStatus.TASK_HEALTH_STATUS_HEALTHY,
  recovering: PbTaskHealthStatus.TASK_HEALTH_STATUS_RECOVERING,
  blocked: PbTaskHealthStatus.TASK_HEALTH_STATUS_BLOCKED,
  unknown: PbTaskHealthStatus.TASK_HEALTH_STATUS_UNKNOWN,
} as const satisfies Record<HealthStatus, PbTaskHealthStatus>;

export const TASK_HEALTH_STATUS_FROM_PROTO = {
  [PbTaskHealthStatus.TASK_HEALTH_STATUS_HEALTHY]: 'healthy',
  [PbTaskHealthStatus.TASK_HEALTH_STATUS_RECOVERING]: 'recovering',
  [PbTaskHealthStatus.TASK_HEALTH_STATUS_BLOCKED]: 'blocked',
  [PbTaskHealthStatus.TASK_HEALTH_STATUS_UNKNOWN]: 'unknown',
} as const satisfies Record<Specified<PbTaskHealthStatus, PbTaskHealthStatus.TASK_HEALTH_STATUS_UNSPECIFIED>, HealthStatus>;

export const TASK_SORT_FIELD_TO_PROTO = {
  created_at: PbTaskSortField.TASK_SORT_FIELD_CREATED_AT,
  updated_at: PbTaskSortField.TASK_SORT_FIELD_UPDATED_AT,
  completed_at: PbTaskSortField.TASK_SORT_FIELD_COMPLETED_AT,
  priority: PbTaskSortField.TASK_SORT_FIELD_PRIORITY,
} as const satisfies Record<TaskSortField, PbTaskSortField>;

export const TASK_SORT_FIELD_FROM_PROTO = {
  [PbTaskSortField.TASK_SORT_FIELD_CREATED_AT]: 'created_at',
  [PbTaskSortField.TASK_SORT_FIELD_UPDATED_AT]: 'updated_at',
  [PbTaskSortField.TASK_SORT_FIELD_COMPLETED_AT]: 'completed_at',
  [PbTaskSortField.TASK_SORT_FIELD_PRIORITY]: 'priority',
} as const satisfies Record<Specified<PbTaskSortField, PbTaskSortField.TASK_SORT_FIELD_UNSPECIFIED>, TaskSortField>;

export const TASK_EVENT_TYPE_TO_PROTO = {
  task_state_change: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_STATE_CHANGE,
  step_state_change: PbTaskUpdateType.TASK_UPDATE_TYPE_STEP_STATE_CHANGE,
  task_complete: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_COMPLETE,
  task_error: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_ERROR,
  task_cancelled: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_CANCELLED,
  keepalive: PbTaskUpdateType.TASK_UPDATE_TYPE_KEEPALIVE,
} as const satisfies Record<TaskEventType, PbTaskUpdateType>;

/**
 * The domain has no event type of its own for entering `resolved_manually`: that terminal event is a
 * `task_state_change` whose task state is `resolved_manually` (see taskStatusEventToProto).
 */
export const TASK_EVENT_TYPE_FROM_PROTO = {
  [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_STATE_CHANGE]: 'task_state_change',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_STEP_STATE_CHANGE]: 'step_state_change',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_COMPLETE]: 'task_complete',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_ERROR]: 'task_error',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_CANCELLED]: 'task_cancelled',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_KEEPALIVE]: 'keepalive',
  [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_RESOLVED_MANUALLY]: 'task_state_change',
} as const satisfies Record<Specified<PbTaskUpdateType, PbTaskUpdateType.TASK_UPDATE_TYPE_UNSPECIFIED>, TaskEventType>;

export const STEP_MANUAL_ACTION_TYPE_TO_PROTO = {
  reset_for_retry: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESET_FOR_RETRY,
  resolve_manually: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESOLVE_MANUALLY,
  complete_manually: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_COMPLETE_MANUALLY,
} as const satisfies Record<StepManualActionType, PbStepManualActionType>;

export const STEP_MANUAL_ACTION_TYPE_FROM_PROTO = {
  [PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESET_FOR_RETRY]: 'reset_for_retry',
  [PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESOLVE_MANUALLY]: 'resolve_manually',
  [PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_COMPLETE_MANUALLY]: 'complete_manually',
} as const satisfies Record<
  Specified<PbStepManualActionType, PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_UNSPECIFIED>,
  StepManualActionType
>;

export const STALENESS_HEALTH_STATUS_TO_PROTO = {
  healthy: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_HEALTHY,
  warning: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_WARNING,
  stale: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_STALE,
} as const satisfies Record<StalenessHealthStatus, PbStalenessHealthStatus>;

export const STALENESS_HEALTH_STATUS_FROM_PROTO = {
  [PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_HEALTHY]: 'healthy',
  [PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_WARNING]: 'warning',
  [PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_STALE]: 'stale',
} as const satisfies Record<
  Specified<PbStalenessHealthStatus, PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_UNSPECIFIED>,
  StalenessHealthStatus
>;

export const LEASE_STATUS_TO_PROTO = {
  valid: PbLeaseStatus.LEASE_STATUS_VALID,
  cancelled: PbLeaseStatus.LEASE_STATUS_CANCELLED,
  lost: PbLeaseStatus.LEASE_STATUS_LOST,
} as const satisfies Record<LeaseStatus, PbLeaseStatus>;

export const LEASE_STATUS_FROM_PROTO = {
  [PbLeaseStatus.LEASE_STATUS_VALID]: 'valid',
  [PbLeaseStatus.LEASE_STATUS_CANCELLED]: 'cancelled',
  [PbLeaseStatus.LEASE_STATUS_LOST]: 'lost',
} as const satisfies Record<Specified<PbLeaseStatus, PbLeaseStatus.LEASE_STATUS_UNSPECIFIED>, LeaseStatus>;

export const RESULT_OUTCOME_TO_PROTO = {
  ok: PbResultOutcome.RESULT_OUTCOME_OK,
  lease_lost: PbResultOutcome.RESULT_OUTCOME_LEASE_LOST,
  cancelled: PbResultOutcome.RESULT_OUTCOME_CANCELLED,
  not_found: PbResultOutcome.RESULT_OUTCOME_NOT_FOUND,
} as const satisfies Record<StepResultOutcomeKind, PbResultOutcome>;

export const RESULT_OUTCOME_FROM_PROTO = {
  [PbResultOutcome.RESULT_OUTCOME_OK]: 'ok',
  [PbResultOutcome.RESULT_OUTCOME_LEASE_LOST]: 'lease_lost',
  [PbResultOutcome.RESULT_OUTCOME_CANCELLED]: 'cancelled',
  [PbResultOutcome.RESULT_OUTCOME_NOT_FOUND]: 'not_found',
} as const satisfies Record<Specified<PbResultOutcome, PbResultOutcome.RESULT_OUTCOME_UNSPECIFIED>, StepResultOutcomeKind>;

export const TEMPLATE_REGISTRATION_OUTCOME_TO_PROTO = {
  created: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_CREATED,
  unchanged: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNCHANGED,
  updated: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UPDATED,
} as const satisfies Record<TemplateRegistrationOutcome, PbTemplateRegistrationOutcome>;

export const TEMPLATE_REGISTRATION_OUTCOME_FROM_PROTO = {
  [PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_CREATED]: 'created',
  [PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNCHANGED]: 'unchanged',
  [PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UPDATED]: 'updated',
} as const satisfies Record<
  Specified<PbTemplateRegistrationOutcome, PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNSPECIFIED>,
  TemplateRegistrationOutcome
>;

export const IDENTITY_STRATEGY_TO_PROTO = {
  strict: PbIdentityStrategy.IDENTITY_STRATEGY_STRICT,
  caller_provided: PbIdentityStrategy.IDENTITY_STRATEGY_CALLER_PROVIDED,
  always_unique: PbIdentityStrategy.IDENTITY_STRATEGY_ALWAYS_UNIQUE,
} as const satisfies Record<IdentityStrategy, PbIdentityStrategy>;

export const IDENTITY_STRATEGY_FROM_PROTO = {
  [PbIdentityStrategy.IDENTITY_STRATEGY_STRICT]: 'strict',
  [PbIdentityStrategy.IDENTITY_STRATEGY_CALLER_PROVIDED]: 'caller_provided',
  [PbIdentityStrategy.IDENTITY_STRATEGY_ALWAYS_UNIQUE]: 'always_unique',
} as const satisfies Record<Specified<PbIdentityStrategy, PbIdentityStrategy.IDENTITY_STRATEGY_UNSPECIFIED>, IdentityStrategy>;

export const BACKOFF_KIND_TO_PROTO = {
  none: PbBackoffKind.BACKOFF_KIND_NONE,
  linear: PbBackoffKind.BACKOFF_KIND_LINEAR,
  exponential: PbBackoffKind.BACKOFF_KIND_EXPONENTIAL,
  fibonacci: PbBackoffKind.BACKOFF_KIND_FIBONACCI,
} as const satisfies Record<BackoffKind, PbBackoffKind>;

export const BACKOFF_KIND_FROM_PROTO = {
  [PbBackoffKind.BACKOFF_KIND_NONE]: 'none',
  [PbBackoffKind.BACKOFF_KIND_LINEAR]: 'linear',
  [PbBackoffKind.BACKOFF_KIND_EXPONENTIAL]: 'exponential',
  [PbBackoffKind.BACKOFF_KIND_FIBONACCI]: 'fibonacci',
} as const satisfies Record<Specified<PbBackoffKind, PbBackoffKind.BACKOFF_KIND_UNSPECIFIED>, BackoffKind>;

export const STALENESS_ACTION_TO_PROTO = {
  dlq: PbStalenessAction.STALENESS_ACTION_DLQ,
  error: PbStalenessAction.STALENESS_ACTION_ERROR,
  none: PbStalenessAction.STALENESS_ACTION_NONE,
} as const satisfies Record<StalenessAction, PbStalenessAction>;

export const STALENESS_ACTION_FROM_PROTO = {
  [PbStalenessAction.STALENESS_ACTION_DLQ]: 'dlq',
  [PbStalenessAction.STALENESS_ACTION_ERROR]: 'error',
  [PbStalenessAction.STALENESS_ACTION_NONE]: 'none',
} as const satisfies Record<Specified<PbStalenessAction, PbStalenessAction.STALENESS_ACTION_UNSPECIFIED>, StalenessAction>;

export const taskStateToProto = (v: TaskState): PbTaskState => TASK_STATE_TO_PROTO[v];
export const taskStateFromProto = decoder<PbTaskState, TaskState>('TaskState', TASK_STATE_FROM_PROTO);
export const stepStateToProto = (v: StepState): PbStepState => STEP_STATE_TO_PROTO[v];
export const stepStateFromProto = decoder<PbStepState, StepState>('StepState', STEP_STATE_FROM_PROTO);
export const stepTypeToProto = (v: StepType): PbStepType => STEP_TYPE_TO_PROTO[v];
export const stepTypeFromProto = decoder<PbStepType, StepType>('StepType', STEP_TYPE_FROM_PROTO);
export const dlqResolutionStatusToProto = (v: DlqResolutionStatus): PbDlqResolutionStatus =>
  DLQ_RESOLUTION_STATUS_TO_PROTO[v];
export const dlqResolutionStatusFromProto = decoder<PbDlqResolutionStatus, DlqResolutionStatus>(
  'DlqResolutionStatus',
  DLQ_RESOLUTION_STATUS_FROM_PROTO,
);
export const dlqReasonToProto = (v: DlqReason): PbDlqReason => DLQ_REASON_TO_PROTO[v];
export const dlqReasonFromProto = decoder<PbDlqReason, DlqReason>('DlqReason', DLQ_REASON_FROM_PROTO);
export const sortDirectionToProto = (v: SortDirection): PbSortDirection => SORT_DIRECTION_TO_PROTO[v];
export const sortDirectionFromProto = decoder<PbSortDirection, SortDirection>('SortDirection', SORT_DIRECTION_FROM_PROTO);
export const executionStatusToProto = (v: ExecutionStatus): PbExecutionStatus => EXECUTION_STATUS_TO_PROTO[v];
export const executionStatusFromProto = decoder<PbExecutionStatus, ExecutionStatus>(
  'ExecutionStatus',
  EXECUTION_STATUS_FROM_PROTO,
);
export const recommendedActionToProto = (v: RecommendedAction): PbRecommendedAction => RECOMMENDED_ACTION_TO_PROTO[v];
export const recommendedActionFromProto = decoder<PbRecommendedAction, RecommendedAction>(
  'RecommendedAction',
  RECOMMENDED_ACTION_FROM_PROTO,
);
export const taskHealthStatusToProto = (v: HealthStatus): PbTaskHealthStatus => TASK_HEALTH_STATUS_TO_PROTO[v];
export const taskHealthStatusFromProto = decoder<PbTaskHealthStatus, HealthStatus>(
  'TaskHealthStatus',
  TASK_HEALTH_STATUS_FROM_PROTO,
);
export const taskSortFieldToProto = (v: TaskSortField): PbTaskSortField => TASK_SORT_FIELD_TO_PROTO[v];
export const taskSortFieldFromProto = decoder<PbTaskSortField, TaskSortField>('TaskSortField', TASK_SORT_FIELD_FROM_PROTO);
export const taskEventTypeToProto = (v: TaskEventType): PbTaskUpdateType => TASK_EVENT_TYPE_TO_PROTO[v];
export const taskEventTypeFromProto = decoder<PbTaskUpdateType, TaskEventType>('TaskUpdateType', TASK_EVENT_TYPE_FROM_PROTO);
export const stepManualActionTypeToProto = (v: StepManualActionType): PbStepManualActionType =>
  STEP_MANUAL_ACTION_TYPE_TO_PROTO[v];
export const stepManualActionTypeFromProto = decoder<PbStepManualActionType, StepManualActionType>(
  'StepManualActionType',
  STEP_MANUAL_ACTION_TYPE_FROM_PROTO,
);
export const stalenessHealthStatusToProto = (v: StalenessHealthStatus): PbStalenessHealthStatus =>
  STALENESS_HEALTH_STATUS_TO_PROTO[v];
export const stalenessHealthStatusFromProto = decoder<PbStalenessHealthStatus, StalenessHealthStatus>(
  'StalenessHealthStatus',
  STALENESS_HEALTH_STATUS_FROM_PROTO,
);
export const leaseStatusToProto = (v: LeaseStatus): PbLeaseStatus => LEASE_STATUS_TO_PROTO[v];
export const leaseStatusFromProto = decoder<PbLeaseStatus, LeaseStatus>('LeaseStatus', LEASE_STATUS_FROM_PROTO);
export const resultOutcomeToProto = (v: StepResultOutcomeKind): PbResultOutcome => RESULT_OUTCOME_TO_PROTO[v];
export const resultOutcomeFromProto = decoder<PbResultOutcome, StepResultOutcomeKind>('ResultOutcome', RESULT_OUTCOME_FROM_PROTO);
export const templateRegistrationOutcomeToProto = (v: TemplateRegistrationOutcome): PbTemplateRegistrationOutcome =>
  TEMPLATE_REGISTRATION_OUTCOME_TO_PROTO[v];
export const templateRegistrationOutcomeFromProto = decoder<PbTemplateRegistrationOutcome, TemplateRegistrationOutcome>(
  'TemplateRegistrationOutcome',
  TEMPLATE_REGISTRATION_OUTCOME_FROM_PROTO,
);
export const identityStrategyToProto = (v: IdentityStrategy): PbIdentityStrategy => IDENTITY_STRATEGY_TO_PROTO[v];
export const identityStrategyFromProto = decoder<PbIdentityStrategy, IdentityStrategy>('IdentityStrategy', IDENTITY_STRATEGY_FROM_PROTO);
export const backoffKindToProto = (v: BackoffKind): PbBackoffKind => BACKOFF_KIND_TO_PROTO[v];
export const backoffKindFromProto = decoder<PbBackoffKind, BackoffKind>('BackoffKind', BACKOFF_KIND_FROM_PROTO);
export const stalenessActionToProto = (v: StalenessAction): PbStalenessAction => STALENESS_ACTION_TO_PROTO[v];
export const stalenessActionFromProto = decoder<PbStalenessAction, StalenessAction>('StalenessAction', STALENESS_ACTION_FROM_PROTO);

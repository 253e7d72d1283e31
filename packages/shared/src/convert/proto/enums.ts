// Every enum of the contract as one table, domain value → proto value; protoEnum derives both directions from
// it. A domain value missing from a table, or a proto value no table entry reaches, is a compile error.
// Decoding UNSPECIFIED (or a value this build does not know, UNRECOGNIZED) throws VALIDATION_FAILED naming the
// field.
import type { DlqReason, DlqResolutionStatus, StalenessHealthStatus } from '../../domain/dlq.js';
import type { ExpansionOutcomeType, TaskEventType } from '../../domain/events.js';
import type { ScheduleCatchUpPolicy, ScheduleFiringOutcome, ScheduleOverlapPolicy } from '../../domain/schedule.js';
import type { StepState, TaskState } from '../../domain/states.js';
import type { StepManualActionType } from '../../domain/step.js';
import type {
  ExecutionStatus,
  HealthStatus,
  RecommendedAction,
  SortDirection,
  TaskSortField,
} from '../../domain/task.js';
import type {
  BackoffKind,
  IdentityStrategy,
  StalenessAction,
  StepType,
  TemplateRegistrationOutcome,
} from '../../domain/template.js';
import type { LeaseStatus, StepResultOutcomeKind } from '../../domain/worker.js';
import {
  DlqReason as PbDlqReason,
  DlqResolutionStatus as PbDlqResolutionStatus,
  SortDirection as PbSortDirection,
  StepState as PbStepState,
  StepType as PbStepType,
  TaskState as PbTaskState,
} from '../../gen/tasker/v1/common.js';
import { StalenessHealthStatus as PbStalenessHealthStatus } from '../../gen/tasker/v1/dlq.js';
import {
  ScheduleCatchUpPolicy as PbScheduleCatchUpPolicy,
  ScheduleFiringOutcome as PbScheduleFiringOutcome,
  ScheduleOverlapPolicy as PbScheduleOverlapPolicy,
} from '../../gen/tasker/v1/schedules.js';
import { StepManualActionType as PbStepManualActionType } from '../../gen/tasker/v1/steps.js';
import {
  ExecutionStatus as PbExecutionStatus,
  ExpansionOutcomeType as PbExpansionOutcomeType,
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
import { protoEnum } from './proto-enum.js';

export const TASK_STATE_ENUM = protoEnum('TaskState', PbTaskState, {
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
} as const satisfies Record<TaskState, PbTaskState>);
export const { encode: taskStateToProto, decode: taskStateFromProto } = TASK_STATE_ENUM;

export const STEP_STATE_ENUM = protoEnum('StepState', PbStepState, {
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
} as const satisfies Record<StepState, PbStepState>);
export const { encode: stepStateToProto, decode: stepStateFromProto } = STEP_STATE_ENUM;

export const STEP_TYPE_ENUM = protoEnum('StepType', PbStepType, {
  standard: PbStepType.STEP_TYPE_STANDARD,
  decision: PbStepType.STEP_TYPE_DECISION,
  deferred_convergence: PbStepType.STEP_TYPE_DEFERRED_CONVERGENCE,
  batchable: PbStepType.STEP_TYPE_BATCHABLE,
  batch_worker: PbStepType.STEP_TYPE_BATCH_WORKER,
} as const satisfies Record<StepType, PbStepType>);
export const { encode: stepTypeToProto, decode: stepTypeFromProto } = STEP_TYPE_ENUM;

export const DLQ_RESOLUTION_STATUS_ENUM = protoEnum('DlqResolutionStatus', PbDlqResolutionStatus, {
  pending: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PENDING,
  manually_resolved: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_MANUALLY_RESOLVED,
  permanently_failed: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_PERMANENTLY_FAILED,
  cancelled: PbDlqResolutionStatus.DLQ_RESOLUTION_STATUS_CANCELLED,
} as const satisfies Record<DlqResolutionStatus, PbDlqResolutionStatus>);
export const { encode: dlqResolutionStatusToProto, decode: dlqResolutionStatusFromProto } = DLQ_RESOLUTION_STATUS_ENUM;

export const DLQ_REASON_ENUM = protoEnum('DlqReason', PbDlqReason, {
  staleness_timeout: PbDlqReason.DLQ_REASON_STALENESS_TIMEOUT,
  max_retries_exceeded: PbDlqReason.DLQ_REASON_MAX_RETRIES_EXCEEDED,
  dependency_cycle_detected: PbDlqReason.DLQ_REASON_DEPENDENCY_CYCLE_DETECTED,
  worker_unavailable: PbDlqReason.DLQ_REASON_WORKER_UNAVAILABLE,
  manual_dlq: PbDlqReason.DLQ_REASON_MANUAL_DLQ,
} as const satisfies Record<DlqReason, PbDlqReason>);
export const { encode: dlqReasonToProto, decode: dlqReasonFromProto } = DLQ_REASON_ENUM;

export const SORT_DIRECTION_ENUM = protoEnum('SortDirection', PbSortDirection, {
  asc: PbSortDirection.SORT_DIRECTION_ASC,
  desc: PbSortDirection.SORT_DIRECTION_DESC,
} as const satisfies Record<SortDirection, PbSortDirection>);
export const { encode: sortDirectionToProto, decode: sortDirectionFromProto } = SORT_DIRECTION_ENUM;

export const EXECUTION_STATUS_ENUM = protoEnum('ExecutionStatus', PbExecutionStatus, {
  has_ready_steps: PbExecutionStatus.EXECUTION_STATUS_HAS_READY_STEPS,
  processing: PbExecutionStatus.EXECUTION_STATUS_PROCESSING,
  blocked_by_failures: PbExecutionStatus.EXECUTION_STATUS_BLOCKED_BY_FAILURES,
  all_complete: PbExecutionStatus.EXECUTION_STATUS_ALL_COMPLETE,
  waiting_for_dependencies: PbExecutionStatus.EXECUTION_STATUS_WAITING_FOR_DEPENDENCIES,
} as const satisfies Record<ExecutionStatus, PbExecutionStatus>);
export const { encode: executionStatusToProto, decode: executionStatusFromProto } = EXECUTION_STATUS_ENUM;

export const RECOMMENDED_ACTION_ENUM = protoEnum('RecommendedAction', PbRecommendedAction, {
  execute_ready_steps: PbRecommendedAction.RECOMMENDED_ACTION_EXECUTE_READY_STEPS,
  wait_for_completion: PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_COMPLETION,
  handle_failures: PbRecommendedAction.RECOMMENDED_ACTION_HANDLE_FAILURES,
  finalize_task: PbRecommendedAction.RECOMMENDED_ACTION_FINALIZE_TASK,
  wait_for_dependencies: PbRecommendedAction.RECOMMENDED_ACTION_WAIT_FOR_DEPENDENCIES,
  none: PbRecommendedAction.RECOMMENDED_ACTION_NONE,
} as const satisfies Record<RecommendedAction, PbRecommendedAction>);
export const { encode: recommendedActionToProto, decode: recommendedActionFromProto } = RECOMMENDED_ACTION_ENUM;

export const TASK_HEALTH_STATUS_ENUM = protoEnum('TaskHealthStatus', PbTaskHealthStatus, {
  healthy: PbTaskHealthStatus.TASK_HEALTH_STATUS_HEALTHY,
  recovering: PbTaskHealthStatus.TASK_HEALTH_STATUS_RECOVERING,
  blocked: PbTaskHealthStatus.TASK_HEALTH_STATUS_BLOCKED,
  unknown: PbTaskHealthStatus.TASK_HEALTH_STATUS_UNKNOWN,
} as const satisfies Record<HealthStatus, PbTaskHealthStatus>);
export const { encode: taskHealthStatusToProto, decode: taskHealthStatusFromProto } = TASK_HEALTH_STATUS_ENUM;

export const TASK_SORT_FIELD_ENUM = protoEnum('TaskSortField', PbTaskSortField, {
  created_at: PbTaskSortField.TASK_SORT_FIELD_CREATED_AT,
  updated_at: PbTaskSortField.TASK_SORT_FIELD_UPDATED_AT,
  completed_at: PbTaskSortField.TASK_SORT_FIELD_COMPLETED_AT,
  priority: PbTaskSortField.TASK_SORT_FIELD_PRIORITY,
} as const satisfies Record<TaskSortField, PbTaskSortField>);
export const { encode: taskSortFieldToProto, decode: taskSortFieldFromProto } = TASK_SORT_FIELD_ENUM;

/**
 * The domain has no event type of its own for entering `resolved_manually`: that terminal event is a
 * `task_state_change` whose task state is `resolved_manually` (see taskStatusEventToProto), so the proto's
 * TASK_RESOLVED_MANUALLY decodes to it.
 */
export const TASK_EVENT_TYPE_ENUM = protoEnum(
  'TaskUpdateType',
  PbTaskUpdateType,
  {
    task_state_change: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_STATE_CHANGE,
    step_state_change: PbTaskUpdateType.TASK_UPDATE_TYPE_STEP_STATE_CHANGE,
    task_complete: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_COMPLETE,
    task_error: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_ERROR,
    task_cancelled: PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_CANCELLED,
    keepalive: PbTaskUpdateType.TASK_UPDATE_TYPE_KEEPALIVE,
    'batch.worker_checkpointed': PbTaskUpdateType.TASK_UPDATE_TYPE_BATCH_WORKER_CHECKPOINTED,
    'decision.branches_created': PbTaskUpdateType.TASK_UPDATE_TYPE_DECISION_BRANCHES_CREATED,
    'batch.workers_created': PbTaskUpdateType.TASK_UPDATE_TYPE_BATCH_WORKERS_CREATED,
  } as const satisfies Record<TaskEventType, PbTaskUpdateType>,
  { [PbTaskUpdateType.TASK_UPDATE_TYPE_TASK_RESOLVED_MANUALLY]: 'task_state_change' },
);
export const { encode: taskEventTypeToProto, decode: taskEventTypeFromProto } = TASK_EVENT_TYPE_ENUM;

export const EXPANSION_OUTCOME_TYPE_ENUM = protoEnum('ExpansionOutcomeType', PbExpansionOutcomeType, {
  create_steps: PbExpansionOutcomeType.EXPANSION_OUTCOME_TYPE_CREATE_STEPS,
  no_branches: PbExpansionOutcomeType.EXPANSION_OUTCOME_TYPE_NO_BRANCHES,
  create_batches: PbExpansionOutcomeType.EXPANSION_OUTCOME_TYPE_CREATE_BATCHES,
  no_batches: PbExpansionOutcomeType.EXPANSION_OUTCOME_TYPE_NO_BATCHES,
} as const satisfies Record<ExpansionOutcomeType, PbExpansionOutcomeType>);
export const { encode: expansionOutcomeTypeToProto, decode: expansionOutcomeTypeFromProto } =
  EXPANSION_OUTCOME_TYPE_ENUM;

export const STEP_MANUAL_ACTION_TYPE_ENUM = protoEnum('StepManualActionType', PbStepManualActionType, {
  reset_for_retry: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESET_FOR_RETRY,
  resolve_manually: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_RESOLVE_MANUALLY,
  complete_manually: PbStepManualActionType.STEP_MANUAL_ACTION_TYPE_COMPLETE_MANUALLY,
} as const satisfies Record<StepManualActionType, PbStepManualActionType>);
export const { encode: stepManualActionTypeToProto, decode: stepManualActionTypeFromProto } =
  STEP_MANUAL_ACTION_TYPE_ENUM;

export const STALENESS_HEALTH_STATUS_ENUM = protoEnum('StalenessHealthStatus', PbStalenessHealthStatus, {
  healthy: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_HEALTHY,
  warning: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_WARNING,
  stale: PbStalenessHealthStatus.STALENESS_HEALTH_STATUS_STALE,
} as const satisfies Record<StalenessHealthStatus, PbStalenessHealthStatus>);
export const { encode: stalenessHealthStatusToProto, decode: stalenessHealthStatusFromProto } =
  STALENESS_HEALTH_STATUS_ENUM;

export const LEASE_STATUS_ENUM = protoEnum('LeaseStatus', PbLeaseStatus, {
  valid: PbLeaseStatus.LEASE_STATUS_VALID,
  cancelled: PbLeaseStatus.LEASE_STATUS_CANCELLED,
  lost: PbLeaseStatus.LEASE_STATUS_LOST,
} as const satisfies Record<LeaseStatus, PbLeaseStatus>);
export const { encode: leaseStatusToProto, decode: leaseStatusFromProto } = LEASE_STATUS_ENUM;

export const RESULT_OUTCOME_ENUM = protoEnum('ResultOutcome', PbResultOutcome, {
  ok: PbResultOutcome.RESULT_OUTCOME_OK,
  lease_lost: PbResultOutcome.RESULT_OUTCOME_LEASE_LOST,
  cancelled: PbResultOutcome.RESULT_OUTCOME_CANCELLED,
  not_found: PbResultOutcome.RESULT_OUTCOME_NOT_FOUND,
} as const satisfies Record<StepResultOutcomeKind, PbResultOutcome>);
export const { encode: resultOutcomeToProto, decode: resultOutcomeFromProto } = RESULT_OUTCOME_ENUM;

export const TEMPLATE_REGISTRATION_OUTCOME_ENUM = protoEnum(
  'TemplateRegistrationOutcome',
  PbTemplateRegistrationOutcome,
  {
    created: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_CREATED,
    unchanged: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UNCHANGED,
    updated: PbTemplateRegistrationOutcome.TEMPLATE_REGISTRATION_OUTCOME_UPDATED,
  } as const satisfies Record<TemplateRegistrationOutcome, PbTemplateRegistrationOutcome>,
);
export const { encode: templateRegistrationOutcomeToProto, decode: templateRegistrationOutcomeFromProto } =
  TEMPLATE_REGISTRATION_OUTCOME_ENUM;

export const IDENTITY_STRATEGY_ENUM = protoEnum('IdentityStrategy', PbIdentityStrategy, {
  strict: PbIdentityStrategy.IDENTITY_STRATEGY_STRICT,
  caller_provided: PbIdentityStrategy.IDENTITY_STRATEGY_CALLER_PROVIDED,
  always_unique: PbIdentityStrategy.IDENTITY_STRATEGY_ALWAYS_UNIQUE,
} as const satisfies Record<IdentityStrategy, PbIdentityStrategy>);
export const { encode: identityStrategyToProto, decode: identityStrategyFromProto } = IDENTITY_STRATEGY_ENUM;

export const BACKOFF_KIND_ENUM = protoEnum('BackoffKind', PbBackoffKind, {
  none: PbBackoffKind.BACKOFF_KIND_NONE,
  linear: PbBackoffKind.BACKOFF_KIND_LINEAR,
  exponential: PbBackoffKind.BACKOFF_KIND_EXPONENTIAL,
  fibonacci: PbBackoffKind.BACKOFF_KIND_FIBONACCI,
} as const satisfies Record<BackoffKind, PbBackoffKind>);
export const { encode: backoffKindToProto, decode: backoffKindFromProto } = BACKOFF_KIND_ENUM;

export const STALENESS_ACTION_ENUM = protoEnum('StalenessAction', PbStalenessAction, {
  dlq: PbStalenessAction.STALENESS_ACTION_DLQ,
  error: PbStalenessAction.STALENESS_ACTION_ERROR,
  none: PbStalenessAction.STALENESS_ACTION_NONE,
} as const satisfies Record<StalenessAction, PbStalenessAction>);
export const { encode: stalenessActionToProto, decode: stalenessActionFromProto } = STALENESS_ACTION_ENUM;

export const SCHEDULE_OVERLAP_POLICY_ENUM = protoEnum('ScheduleOverlapPolicy', PbScheduleOverlapPolicy, {
  allow: PbScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW,
  skip: PbScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP,
  buffer_one: PbScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
} as const satisfies Record<ScheduleOverlapPolicy, PbScheduleOverlapPolicy>);
export const { encode: scheduleOverlapPolicyToProto, decode: scheduleOverlapPolicyFromProto } =
  SCHEDULE_OVERLAP_POLICY_ENUM;

export const SCHEDULE_CATCH_UP_POLICY_ENUM = protoEnum('ScheduleCatchUpPolicy', PbScheduleCatchUpPolicy, {
  skip_missed: PbScheduleCatchUpPolicy.SCHEDULE_CATCH_UP_POLICY_SKIP_MISSED,
  run_once: PbScheduleCatchUpPolicy.SCHEDULE_CATCH_UP_POLICY_RUN_ONCE,
  run_all: PbScheduleCatchUpPolicy.SCHEDULE_CATCH_UP_POLICY_RUN_ALL,
} as const satisfies Record<ScheduleCatchUpPolicy, PbScheduleCatchUpPolicy>);
export const { encode: scheduleCatchUpPolicyToProto, decode: scheduleCatchUpPolicyFromProto } =
  SCHEDULE_CATCH_UP_POLICY_ENUM;

export const SCHEDULE_FIRING_OUTCOME_ENUM = protoEnum('ScheduleFiringOutcome', PbScheduleFiringOutcome, {
  created: PbScheduleFiringOutcome.SCHEDULE_FIRING_OUTCOME_CREATED,
  skipped: PbScheduleFiringOutcome.SCHEDULE_FIRING_OUTCOME_SKIPPED,
  buffered: PbScheduleFiringOutcome.SCHEDULE_FIRING_OUTCOME_BUFFERED,
  failed: PbScheduleFiringOutcome.SCHEDULE_FIRING_OUTCOME_FAILED,
} as const satisfies Record<ScheduleFiringOutcome, PbScheduleFiringOutcome>);
export const { encode: scheduleFiringOutcomeToProto, decode: scheduleFiringOutcomeFromProto } =
  SCHEDULE_FIRING_OUTCOME_ENUM;

import * as schedules from '../../gen/tasker/v1/schedules.js';
import {
  SCHEDULE_CATCH_UP_POLICIES,
  SCHEDULE_FIRING_OUTCOMES,
  SCHEDULE_OVERLAP_POLICIES,
} from '../../domain/schedule.js';
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS, DLQ_RESOLUTION_STATUSES, STALENESS_HEALTH_STATUSES } from '../../domain/dlq.js';
import { EXPANSION_OUTCOME_TYPES, TASK_EVENT_TYPES } from '../../domain/events.js';
import { STEP_STATES, TASK_STATES } from '../../domain/states.js';
import { STEP_MANUAL_ACTION_TYPES } from '../../domain/step.js';
import { EXECUTION_STATUSES, HEALTH_STATUSES, RECOMMENDED_ACTIONS, TASK_SORT_FIELDS } from '../../domain/task.js';
import { BACKOFF_KINDS, IDENTITY_STRATEGIES, STALENESS_ACTIONS, STEP_TYPES } from '../../domain/template.js';
import { STEP_RESULT_OUTCOME_KINDS } from '../../domain/worker.js';
import * as common from '../../gen/tasker/v1/common.js';
import * as dlq from '../../gen/tasker/v1/dlq.js';
import * as steps from '../../gen/tasker/v1/steps.js';
import * as tasks from '../../gen/tasker/v1/tasks.js';
import * as templates from '../../gen/tasker/v1/templates.js';
import * as workers from '../../gen/tasker/v1/workers.js';
import { appErrorOf } from '../../testing/proto-builders.js';
import * as e from './enums.js';

interface EnumCase {
  name: string;
  pb: Record<string, string>;
  domain: readonly string[];
  toMap: Record<string, string>;
  fromMap: Record<string, string>;
  encode: (v: never) => string;
  decode: (v: never, field: string) => string;
}

const c = (x: EnumCase) => x;
const CASES: EnumCase[] = [
  c({
    name: 'ScheduleOverlapPolicy',
    pb: schedules.ScheduleOverlapPolicy,
    domain: SCHEDULE_OVERLAP_POLICIES,
    toMap: e.SCHEDULE_OVERLAP_POLICY_ENUM.toProto,
    fromMap: e.SCHEDULE_OVERLAP_POLICY_ENUM.fromProto,
    encode: e.scheduleOverlapPolicyToProto,
    decode: e.scheduleOverlapPolicyFromProto,
  }),
  c({
    name: 'ScheduleCatchUpPolicy',
    pb: schedules.ScheduleCatchUpPolicy,
    domain: SCHEDULE_CATCH_UP_POLICIES,
    toMap: e.SCHEDULE_CATCH_UP_POLICY_ENUM.toProto,
    fromMap: e.SCHEDULE_CATCH_UP_POLICY_ENUM.fromProto,
    encode: e.scheduleCatchUpPolicyToProto,
    decode: e.scheduleCatchUpPolicyFromProto,
  }),
  c({
    name: 'ScheduleFiringOutcome',
    pb: schedules.ScheduleFiringOutcome,
    domain: SCHEDULE_FIRING_OUTCOMES,
    toMap: e.SCHEDULE_FIRING_OUTCOME_ENUM.toProto,
    fromMap: e.SCHEDULE_FIRING_OUTCOME_ENUM.fromProto,
    encode: e.scheduleFiringOutcomeToProto,
    decode: e.scheduleFiringOutcomeFromProto,
  }),
  c({
    name: 'TaskState',
    pb: common.TaskState,
    domain: TASK_STATES,
    toMap: e.TASK_STATE_ENUM.toProto,
    fromMap: e.TASK_STATE_ENUM.fromProto,
    encode: e.taskStateToProto,
    decode: e.taskStateFromProto,
  }),
  c({
    name: 'StepState',
    pb: common.StepState,
    domain: STEP_STATES,
    toMap: e.STEP_STATE_ENUM.toProto,
    fromMap: e.STEP_STATE_ENUM.fromProto,
    encode: e.stepStateToProto,
    decode: e.stepStateFromProto,
  }),
  c({
    name: 'StepType',
    pb: common.StepType,
    domain: STEP_TYPES,
    toMap: e.STEP_TYPE_ENUM.toProto,
    fromMap: e.STEP_TYPE_ENUM.fromProto,
    encode: e.stepTypeToProto,
    decode: e.stepTypeFromProto,
  }),
  c({
    name: 'DlqResolutionStatus',
    pb: common.DlqResolutionStatus,
    domain: DLQ_RESOLUTION_STATUSES,
    toMap: e.DLQ_RESOLUTION_STATUS_ENUM.toProto,
    fromMap: e.DLQ_RESOLUTION_STATUS_ENUM.fromProto,
    encode: e.dlqResolutionStatusToProto,
    decode: e.dlqResolutionStatusFromProto,
  }),
  c({
    name: 'DlqReason',
    pb: common.DlqReason,
    domain: DLQ_REASONS,
    toMap: e.DLQ_REASON_ENUM.toProto,
    fromMap: e.DLQ_REASON_ENUM.fromProto,
    encode: e.dlqReasonToProto,
    decode: e.dlqReasonFromProto,
  }),
  c({
    name: 'SortDirection',
    pb: common.SortDirection,
    domain: ['asc', 'desc'],
    toMap: e.SORT_DIRECTION_ENUM.toProto,
    fromMap: e.SORT_DIRECTION_ENUM.fromProto,
    encode: e.sortDirectionToProto,
    decode: e.sortDirectionFromProto,
  }),
  c({
    name: 'ExecutionStatus',
    pb: tasks.ExecutionStatus,
    domain: EXECUTION_STATUSES,
    toMap: e.EXECUTION_STATUS_ENUM.toProto,
    fromMap: e.EXECUTION_STATUS_ENUM.fromProto,
    encode: e.executionStatusToProto,
    decode: e.executionStatusFromProto,
  }),
  c({
    name: 'RecommendedAction',
    pb: tasks.RecommendedAction,
    domain: RECOMMENDED_ACTIONS,
    toMap: e.RECOMMENDED_ACTION_ENUM.toProto,
    fromMap: e.RECOMMENDED_ACTION_ENUM.fromProto,
    encode: e.recommendedActionToProto,
    decode: e.recommendedActionFromProto,
  }),
  c({
    name: 'TaskHealthStatus',
    pb: tasks.TaskHealthStatus,
    domain: HEALTH_STATUSES,
    toMap: e.TASK_HEALTH_STATUS_ENUM.toProto,
    fromMap: e.TASK_HEALTH_STATUS_ENUM.fromProto,
    encode: e.taskHealthStatusToProto,
    decode: e.taskHealthStatusFromProto,
  }),
  c({
    name: 'TaskSortField',
    pb: tasks.TaskSortField,
    domain: TASK_SORT_FIELDS,
    toMap: e.TASK_SORT_FIELD_ENUM.toProto,
    fromMap: e.TASK_SORT_FIELD_ENUM.fromProto,
    encode: e.taskSortFieldToProto,
    decode: e.taskSortFieldFromProto,
  }),
  c({
    name: 'TaskUpdateType',
    pb: tasks.TaskUpdateType,
    domain: TASK_EVENT_TYPES,
    toMap: e.TASK_EVENT_TYPE_ENUM.toProto,
    fromMap: e.TASK_EVENT_TYPE_ENUM.fromProto,
    encode: e.taskEventTypeToProto,
    decode: e.taskEventTypeFromProto,
  }),
  c({
    name: 'ExpansionOutcomeType',
    pb: tasks.ExpansionOutcomeType,
    domain: EXPANSION_OUTCOME_TYPES,
    toMap: e.EXPANSION_OUTCOME_TYPE_ENUM.toProto,
    fromMap: e.EXPANSION_OUTCOME_TYPE_ENUM.fromProto,
    encode: e.expansionOutcomeTypeToProto,
    decode: e.expansionOutcomeTypeFromProto,
  }),
  c({
    name: 'StepManualActionType',
    pb: steps.StepManualActionType,
    domain: STEP_MANUAL_ACTION_TYPES,
    toMap: e.STEP_MANUAL_ACTION_TYPE_ENUM.toProto,
    fromMap: e.STEP_MANUAL_ACTION_TYPE_ENUM.fromProto,
    encode: e.stepManualActionTypeToProto,
    decode: e.stepManualActionTypeFromProto,
  }),
  c({
    name: 'StalenessHealthStatus',
    pb: dlq.StalenessHealthStatus,
    domain: STALENESS_HEALTH_STATUSES,
    toMap: e.STALENESS_HEALTH_STATUS_ENUM.toProto,
    fromMap: e.STALENESS_HEALTH_STATUS_ENUM.fromProto,
    encode: e.stalenessHealthStatusToProto,
    decode: e.stalenessHealthStatusFromProto,
  }),
  c({
    name: 'LeaseStatus',
    pb: workers.LeaseStatus,
    domain: ['valid', 'cancelled', 'lost'],
    toMap: e.LEASE_STATUS_ENUM.toProto,
    fromMap: e.LEASE_STATUS_ENUM.fromProto,
    encode: e.leaseStatusToProto,
    decode: e.leaseStatusFromProto,
  }),
  c({
    name: 'ResultOutcome',
    pb: workers.ResultOutcome,
    domain: STEP_RESULT_OUTCOME_KINDS,
    toMap: e.RESULT_OUTCOME_ENUM.toProto,
    fromMap: e.RESULT_OUTCOME_ENUM.fromProto,
    encode: e.resultOutcomeToProto,
    decode: e.resultOutcomeFromProto,
  }),
  c({
    name: 'IdentityStrategy',
    pb: templates.IdentityStrategy,
    domain: IDENTITY_STRATEGIES,
    toMap: e.IDENTITY_STRATEGY_ENUM.toProto,
    fromMap: e.IDENTITY_STRATEGY_ENUM.fromProto,
    encode: e.identityStrategyToProto,
    decode: e.identityStrategyFromProto,
  }),
  c({
    name: 'StalenessAction',
    pb: templates.StalenessAction,
    domain: STALENESS_ACTIONS,
    toMap: e.STALENESS_ACTION_ENUM.toProto,
    fromMap: e.STALENESS_ACTION_ENUM.fromProto,
    encode: e.stalenessActionToProto,
    decode: e.stalenessActionFromProto,
  }),
  c({
    name: 'BackoffKind',
    pb: templates.BackoffKind,
    domain: BACKOFF_KINDS,
    toMap: e.BACKOFF_KIND_ENUM.toProto,
    fromMap: e.BACKOFF_KIND_ENUM.fromProto,
    encode: e.backoffKindToProto,
    decode: e.backoffKindFromProto,
  }),
  c({
    name: 'TemplateRegistrationOutcome',
    pb: workers.TemplateRegistrationOutcome,
    domain: ['created', 'unchanged', 'updated'],
    toMap: e.TEMPLATE_REGISTRATION_OUTCOME_ENUM.toProto,
    fromMap: e.TEMPLATE_REGISTRATION_OUTCOME_ENUM.fromProto,
    encode: e.templateRegistrationOutcomeToProto,
    decode: e.templateRegistrationOutcomeFromProto,
  }),
];

/** Proto values without a domain twin: the domain encodes them as a (type, state) pair instead. */
const ONE_WAY: Record<string, string[]> = { TaskUpdateType: ['TASK_UPDATE_TYPE_TASK_RESOLVED_MANUALLY'] };

function specified(pb: Record<string, string>): string[] {
  return Object.values(pb).filter((v) => !v.endsWith('_UNSPECIFIED') && v !== 'UNRECOGNIZED');
}

describe.each(CASES)('$name', (k) => {
  it('maps every domain value to a distinct proto value and back', () => {
    expect(Object.keys(k.toMap).sort()).toEqual([...k.domain].sort());
    const encoded = k.domain.map((d) => k.encode(d as never));
    expect(new Set(encoded).size).toBe(k.domain.length);
    for (const d of k.domain) expect(k.decode(k.encode(d as never) as never, 'f')).toBe(d);
  });

  it('decodes every specified proto value, and re-encodes it', () => {
    expect(Object.keys(k.fromMap).sort()).toEqual(specified(k.pb).sort());
    for (const p of specified(k.pb)) {
      const d = k.decode(p as never, 'f');
      expect(k.domain).toContain(d);
      if (!(ONE_WAY[k.name] ?? []).includes(p)) expect(k.encode(d as never)).toBe(p);
    }
  });

  it('rejects UNSPECIFIED and UNRECOGNIZED as VALIDATION_FAILED naming the field', () => {
    const unspecified = Object.values(k.pb).find((v) => v.endsWith('_UNSPECIFIED'));
    expect(unspecified).toBeDefined();
    for (const bad of [unspecified, 'UNRECOGNIZED']) {
      const err = appErrorOf(() => k.decode(bad as never, 'some.field'));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message).toContain('some.field');
      expect(err.details).toEqual({ fields: [{ path: 'some.field', message: expect.stringContaining(String(bad)) }] });
    }
  });
});

import { z } from 'zod';
import { StepCheckpointSchema } from './checkpoint.js';
import { TEXT_LIMITS } from '../../domain/limits.js';
import { STEP_AUDIT_ACTIONS } from '../../domain/step.js';
import {
  JsonObjectSchema,
  JsonValueSchema,
  StepStateSchema,
  TimestampSchema,
  UuidSchema,
  named,
  text,
} from './common.js';

export const StepErrorSchema = named(
  'StepError',
  z.object({
    message: z.string(),
    error_type: z.string().nullable(),
    retryable: z.boolean(),
    status_code: z.number().int().nullable(),
  }),
  'The last failure reported for a step',
);

/** A workflow step with its readiness fields (reference StepResponse plus handler, retry and last error). */
export const StepResponseSchema = named(
  'Step',
  z.object({
    step_uuid: UuidSchema,
    task_uuid: UuidSchema,
    name: z.string(),
    current_state: StepStateSchema,
    handler_callable: z.string(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
    results: JsonValueSchema.nullable(),
    dependencies_satisfied: z.boolean(),
    retry_eligible: z.boolean(),
    ready_for_execution: z.boolean(),
    total_parents: z.number().int(),
    completed_parents: z.number().int(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    retryable: z.boolean(),
    last_failure_at: TimestampSchema.nullable(),
    next_retry_at: TimestampSchema.nullable(),
    last_attempted_at: TimestampSchema.nullable(),
    backoff_request_seconds: z.number().nullable(),
    last_error: StepErrorSchema.nullable(),
    checkpoint: StepCheckpointSchema.nullable().describe('The worker’s last checkpoint (kept across attempts)'),
  }),
);
export type StepResponse = z.infer<typeof StepResponseSchema>;

export const StepListResponseSchema = z.array(StepResponseSchema);

const actor = text(TEXT_LIMITS.actor);
const reason = text(TEXT_LIMITS.operatorReason);

/** PATCH …/workflow_steps/{step_uuid}: one operator action, tagged by `action_type`. */
export const StepManualActionRequestSchema = named(
  'StepManualActionRequest',
  z.discriminatedUnion('action_type', [
    z.strictObject({ action_type: z.literal('reset_for_retry'), reason, reset_by: actor }),
    z.strictObject({ action_type: z.literal('resolve_manually'), reason, resolved_by: actor }),
    z.strictObject({
      action_type: z.literal('complete_manually'),
      completion_data: z.strictObject({ result: JsonValueSchema, metadata: JsonObjectSchema.optional() }),
      reason,
      completed_by: actor,
    }),
  ]),
);
export type StepManualActionRequest = z.infer<typeof StepManualActionRequestSchema>;

export const StepAuditSchema = named(
  'StepAudit',
  z.object({
    audit_uuid: UuidSchema,
    workflow_step_uuid: UuidSchema,
    task_uuid: UuidSchema,
    step_name: z.string(),
    event_id: z.number().int(),
    recorded_at: TimestampSchema,
    action: z.enum(STEP_AUDIT_ACTIONS),
    worker_id: z.string().nullable(),
    performed_by: z.string().nullable(),
    reason: z.string().nullable(),
    correlation_id: z.string().nullable(),
    success: z.boolean(),
    execution_time_ms: z.number().nullable(),
    result: JsonValueSchema.nullable(),
    from_state: StepStateSchema.nullable(),
    to_state: StepStateSchema,
  }),
);
export type StepAuditResponse = z.infer<typeof StepAuditSchema>;

export const StepAuditListResponseSchema = z.array(StepAuditSchema);

import { z } from 'zod';
import { StepCheckpointSchema } from './checkpoint.js';
import { TEXT_LIMITS } from '../../domain/limits.js';
import { STEP_AUDIT_ACTIONS } from '../../domain/step.js';
import { STEP_TYPES } from '../../domain/template.js';
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

export const StepBatchSchema = named(
  'StepBatch',
  z.object({
    template_step: z.string().describe('The batch_worker template step this worker is an instance of'),
    batch_id: z.string(),
    start_cursor: JsonValueSchema,
    end_cursor: JsonValueSchema,
    batch_size: z.number().int().min(0).nullable(),
    no_op: z.boolean().describe('The placeholder worker of a batchable step that created no batches'),
  }),
  'What a batch worker was created for (from its stored inputs)',
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
    step_type: z.enum(STEP_TYPES),
    created_by_step_uuid: UuidSchema.nullable().describe(
      'The decision or batchable step whose outcome created this step',
    ),
    created_by_step_name: z.string().nullable(),
    batch: StepBatchSchema.nullable().describe('Set for batch worker instances'),
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

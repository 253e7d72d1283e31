import { z } from 'zod';
import { COUNT_LIMITS, INT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { STEP_RESULT_OUTCOME_KINDS } from '../../domain/worker.js';
import { StepCheckpointSchema } from './checkpoint.js';
import {
  JsonObjectSchema,
  JsonValueSchema,
  StepStateSchema,
  TaskStateSchema,
  TimestampSchema,
  UuidSchema,
  int,
  named,
  text,
} from './common.js';

const T = TEXT_LIMITS;
const workerId = text(T.workerId);
/** Fencing token handed out by a claim (a UUID); it changes on every claim. */
const leaseToken = UuidSchema;
const names = z.array(text(T.workerName)).max(COUNT_LIMITS.workerNames);

export const RegisterWorkerRequestSchema = named(
  'RegisterWorkerRequest',
  z.strictObject({
    worker_id: workerId,
    hostname: text(T.hostname),
    version: text(T.workerVersion),
    namespaces: names.default([]),
    handlers: names.default([]),
    metadata: JsonObjectSchema.default({}),
  }),
);
export type RegisterWorkerRequest = z.infer<typeof RegisterWorkerRequestSchema>;

export const WorkerSchema = named(
  'Worker',
  z.object({
    worker_id: z.string(),
    hostname: z.string(),
    version: z.string(),
    namespaces: z.array(z.string()),
    handlers: z.array(z.string()),
    metadata: JsonObjectSchema,
    registered_at: TimestampSchema,
    last_seen_at: TimestampSchema,
    live: z.boolean().describe('Seen within the liveness window'),
  }),
);
export type WorkerResponse = z.infer<typeof WorkerSchema>;
export const WorkerListResponseSchema = z.array(WorkerSchema);

export const ClaimRequestSchema = named(
  'ClaimRequest',
  z.strictObject({
    worker_id: workerId,
    namespaces: names.default([]).describe('Empty = every namespace'),
    handler_names: names.default([]).describe('Empty = any handler'),
    max_steps: int(INT_LIMITS.claimMaxSteps).default(INT_LIMITS.claimMaxSteps.default),
    wait_ms: int(INT_LIMITS.claimWaitMs)
      .default(INT_LIMITS.claimWaitMs.default)
      .describe('Long-poll budget; 0 answers at once'),
  }),
);
export type ClaimRequest = z.infer<typeof ClaimRequestSchema>;

export const ClaimedStepSchema = named(
  'ClaimedStep',
  z.object({
    task_uuid: UuidSchema,
    step_uuid: UuidSchema,
    step_name: z.string(),
    namespace: z.string(),
    task_name: z.string(),
    task_version: z.string(),
    handler: z.object({ callable: z.string(), method: z.string().nullable(), initialization: JsonObjectSchema }),
    context: JsonObjectSchema,
    parent_results: z.record(z.string(), JsonValueSchema).describe('Parent step name → its result'),
    attempt: z.number().int(),
    max_attempts: z.number().int(),
    lease_token: UuidSchema.describe('Fencing token: send it back with the result'),
    lease_expires_at: TimestampSchema,
    timeout_seconds: z.number().nullable(),
    correlation_id: z.string(),
    checkpoint: StepCheckpointSchema.nullable().describe('The step’s last checkpoint: resume from it'),
  }),
);
export type ClaimedStepResponse = z.infer<typeof ClaimedStepSchema>;

export const ClaimResponseSchema = named('ClaimResponse', z.object({ steps: z.array(ClaimedStepSchema) }));
export type ClaimResponse = z.infer<typeof ClaimResponseSchema>;

const leaseRef = z.strictObject({ step_uuid: UuidSchema, lease_token: leaseToken });

export const HeartbeatRequestSchema = named(
  'HeartbeatRequest',
  z.strictObject({ worker_id: workerId, leases: z.array(leaseRef).max(COUNT_LIMITS.leases) }),
);
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

export const ReleaseRequestSchema = named(
  'ReleaseRequest',
  z.strictObject({ worker_id: workerId, leases: z.array(leaseRef).max(COUNT_LIMITS.leases) }),
);
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

export const LeaseStateSchema = named(
  'LeaseState',
  z.object({
    step_uuid: UuidSchema,
    status: z.enum(['valid', 'cancelled', 'lost']),
    lease_expires_at: TimestampSchema.nullable(),
  }),
);
export const LeaseStatesResponseSchema = named('LeaseStates', z.object({ leases: z.array(LeaseStateSchema) }));
export type LeaseStatesResponse = z.infer<typeof LeaseStatesResponseSchema>;

const executionTimeMs = z.number().min(0).nullable().optional();

export const CompleteStepRequestSchema = named(
  'CompleteStepRequest',
  z.strictObject({
    worker_id: workerId,
    step_uuid: UuidSchema,
    lease_token: leaseToken,
    result: JsonValueSchema,
    execution_time_ms: executionTimeMs,
    metadata: JsonObjectSchema.nullable().optional(),
  }),
);
export type CompleteStepRequest = z.infer<typeof CompleteStepRequestSchema>;

/** A handler failure, as FailStep and a batch's failed results carry it. */
const stepFailure = z.strictObject({
  message: text(T.errorMessage),
  error_type: text(T.errorType).nullable().optional(),
  retryable: z.boolean().default(true),
  retry_after_seconds: z.number().min(0).nullable().optional(),
  status_code: z.number().int().nullable().optional(),
  backtrace: text(T.backtrace).nullable().optional(),
  context: JsonObjectSchema.nullable().optional(),
});

export const FailStepRequestSchema = named(
  'FailStepRequest',
  z.strictObject({
    worker_id: workerId,
    step_uuid: UuidSchema,
    lease_token: leaseToken,
    error: stepFailure,
    execution_time_ms: executionTimeMs,
  }),
);
export type FailStepRequest = z.infer<typeof FailStepRequestSchema>;

export const StepResultAckSchema = named(
  'StepResultAck',
  z.object({
    step_uuid: UuidSchema,
    step_state: StepStateSchema,
    task_state: TaskStateSchema,
    next_retry_at: TimestampSchema.nullable(),
  }),
);
export type StepResultAckResponse = z.infer<typeof StepResultAckSchema>;

/** One result of a batch, tagged by `status`; each is fenced by its own lease token. */
export const StepResultReportSchema = named(
  'StepResultReport',
  z.discriminatedUnion('status', [
    z.strictObject({
      step_uuid: UuidSchema,
      lease_token: leaseToken,
      status: z.literal('completed'),
      result: JsonValueSchema,
      execution_time_ms: executionTimeMs,
      metadata: JsonObjectSchema.nullable().optional(),
    }),
    z.strictObject({
      step_uuid: UuidSchema,
      lease_token: leaseToken,
      status: z.literal('failed'),
      error: stepFailure,
      execution_time_ms: executionTimeMs,
    }),
  ]),
);
export type StepResultReportBody = z.infer<typeof StepResultReportSchema>;

export const ReportResultsRequestSchema = named(
  'ReportResultsRequest',
  z.strictObject({
    worker_id: workerId,
    results: z
      .array(StepResultReportSchema)
      .max(COUNT_LIMITS.reportedResults)
      .describe('Applied in one call; a step at most once'),
    claim: z
      .strictObject({
        max_steps: int(INT_LIMITS.batchClaimMaxSteps).describe('0 claims nothing; capped by the server'),
        namespaces: names.default([]).describe('Empty = every namespace'),
        handler_names: names.default([]).describe('Empty = any handler'),
      })
      .nullable()
      .optional()
      .describe('Claim more steps in the same call, after the results (never waits; needs worker:claim)'),
  }),
);
export type ReportResultsRequest = z.infer<typeof ReportResultsRequestSchema>;

export const StepResultOutcomeSchema = named(
  'StepResultOutcome',
  z.object({
    step_uuid: UuidSchema,
    outcome: z.enum(STEP_RESULT_OUTCOME_KINDS).describe('ok = applied; otherwise refused and nothing changed'),
    step_state: StepStateSchema.nullable().describe(
      'After the result (ok) or as it stands (refused); null when not_found',
    ),
    task_state: TaskStateSchema.nullable(),
    next_retry_at: TimestampSchema.nullable(),
  }),
);

export const ReportResultsResponseSchema = named(
  'ReportResultsResponse',
  z.object({
    outcomes: z.array(StepResultOutcomeSchema).describe('One per reported result, in request order'),
    steps: z.array(ClaimedStepSchema).describe('Steps claimed alongside; empty unless the claim asked'),
  }),
);
export type ReportResultsResponse = z.infer<typeof ReportResultsResponseSchema>;

import { z } from 'zod';
import { TASK_STATES } from '../../domain/states.js';
import { COUNT_LIMITS, INT_LIMITS, PAGE_LIMITS, TASK_OPTIONS_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { STEP_TYPES } from '../../domain/template.js';
import {
  EXECUTION_STATUSES,
  HEALTH_STATUSES,
  RECOMMENDED_ACTIONS,
  SORT_DIRECTIONS,
  TASK_SORT_FIELDS,
} from '../../domain/task.js';
import {
  BooleanParamSchema,
  JsonObjectSchema,
  PaginationSchema,
  StepStateSchema,
  TaskStateSchema,
  TimestampSchema,
  UuidSchema,
  int,
  intParam,
  listParam,
  named,
  text,
} from './common.js';
import { DlqReasonSchema, DlqResolutionStatusSchema } from './dlq.js';
import { StepResponseSchema } from './step.js';

const T = TEXT_LIMITS;
const O = TASK_OPTIONS_LIMITS;

/** A string map (the gRPC field is map<string, string>); sizes are checked by the service (TASK_OPTIONS_LIMITS). */
const OptionsSchema = z
  .record(
    z.string(),
    z.string({ error: 'must be a string (options is a string map; send other values JSON-encoded)' }),
    { error: 'must be a JSON object of string values' },
  )
  .describe(
    `Free-form request options: a string map, at most ${O.maxEntries} entries, keys 1-${O.maxKeyLength} chars, values up to ${O.maxValueLength} chars, ${O.maxTotalBytes / 1024} KiB in all`,
  );

// The reference's clients send a naive `requested_at` (no offset); both forms are accepted.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

/** `?status=`: the reference's name of the state filter, with its two values `completed` and `pending`. */
const STATUS_VALUES = [...TASK_STATES, 'completed'] as const;
const StatusValueSchema = z.enum(STATUS_VALUES, {
  error: `must be a task state (${TASK_STATES.join(', ')}) or the reference's 'completed'`,
});

/** POST /v1/tasks. Unknown fields are rejected. */
export const CreateTaskRequestSchema = named(
  'CreateTaskRequest',
  z.strictObject({
    namespace: text(T.namespace),
    name: text(T.name),
    version: text(T.version),
    context: JsonObjectSchema,
    initiator: text(T.initiator),
    source_system: text(T.sourceSystem),
    reason: text(T.taskReason),
    priority: int(INT_LIMITS.priority).optional(),
    tags: z.array(text(T.tag)).max(COUNT_LIMITS.tags).optional(),
    correlation_id: UuidSchema.optional(),
    parent_correlation_id: UuidSchema.optional(),
    idempotency_key: text(T.idempotencyKey).optional(),
    options: OptionsSchema.optional(),
    requested_at: z
      .string()
      .regex(ISO_DATE_TIME, { error: 'must be an ISO 8601 date-time' })
      .optional()
      .describe(
        "The reference's field, for its clients: a time in the future (UTC when it has no offset) means `run_at`; a past one is ignored, as the reference does (the response's `requested_at` is when the request arrived). `run_at` wins when both are given",
      ),
    run_at: TimestampSchema.optional().describe(
      'Delayed start: the task stays `pending`, none of its steps dispatchable, until this time; a time not in the future starts it at once. At most `engine.max_start_delay_days` ahead',
    ),
  }),
);
export type CreateTaskRequest = z.infer<typeof CreateTaskRequestSchema>;

/** Task as returned by every task route (reference TaskResponse, plus the fields the reference lacked). */
export const TaskResponseSchema = named(
  'Task',
  z.object({
    task_uuid: UuidSchema,
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    status: TaskStateSchema.describe('Current task state'),
    context: JsonObjectSchema,
    initiator: z.string(),
    source_system: z.string(),
    reason: z.string(),
    priority: z.number().int(),
    tags: z.array(z.string()),
    correlation_id: UuidSchema,
    parent_correlation_id: UuidSchema.nullable(),
    idempotency_key: z.string().nullable(),
    options: z.record(z.string(), z.string()).describe('Request options given at creation; `{}` when none were given'),
    requested_at: TimestampSchema,
    run_at: TimestampSchema.nullable().describe(
      'The start time the task was created with (a past one: the creation time); null = started at creation',
    ),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
    total_steps: z.number().int(),
    pending_steps: z.number().int(),
    in_progress_steps: z.number().int(),
    completed_steps: z.number().int(),
    failed_steps: z.number().int(),
    ready_steps: z.number().int(),
    enqueued_steps: z.number().int(),
    waiting_for_retry_steps: z.number().int(),
    cancelled_steps: z.number().int(),
    completion_percentage: z.number(),
    execution_status: z.enum(EXECUTION_STATUSES),
    recommended_action: z.enum(RECOMMENDED_ACTIONS),
    health_status: z.enum(HEALTH_STATUSES),
    steps: z.array(StepResponseSchema).optional().describe('Present only with `include_steps=true`'),
  }),
);
export type TaskResponse = z.infer<typeof TaskResponseSchema>;

/**
 * GET /v1/tasks. Unknown parameters are rejected so a misspelt filter never silently matches everything.
 * `status` is the reference's name of the state filter (one of the two may be given).
 */
export const TaskListQuerySchema = z
  .strictObject({
    page: intParam(PAGE_LIMITS.taskPage).default(PAGE_LIMITS.taskPage.default),
    per_page: intParam(PAGE_LIMITS.taskPerPage).default(PAGE_LIMITS.taskPerPage.default),
    namespace: text(T.namespace).optional(),
    name: text(T.name).optional(),
    version: text(T.version).optional(),
    state: listParam(TaskStateSchema)
      .optional()
      .describe(
        `Tasks in any of these states (${TASK_STATES.join(', ')}); repeat the parameter or separate with commas`,
      ),
    status: listParam(StatusValueSchema)
      .optional()
      .describe(
        "The reference's name of `state`, for its clients: the same state names, plus its two values with their meaning there: `completed` (= `complete`) and `pending` (every state but `complete`). Not together with `state`",
      ),
    initiator: text(T.initiator).optional(),
    source_system: text(T.sourceSystem).optional(),
    tags: listParam(z.string().min(1))
      .optional()
      .describe('Tasks carrying every one of these tags; repeat the parameter or separate with commas'),
    created_after: TimestampSchema.optional(),
    created_before: TimestampSchema.optional(),
    sort_by: z.enum(TASK_SORT_FIELDS).optional(),
    sort_direction: z.enum(SORT_DIRECTIONS).optional(),
  })
  .refine((q) => q.state === undefined || q.status === undefined, {
    path: ['status'],
    error: "give either state or status (the reference's name of state), not both",
  });
export type TaskListQueryParams = z.infer<typeof TaskListQuerySchema>;

export const TaskListResponseSchema = named(
  'TaskList',
  z.object({ tasks: z.array(TaskResponseSchema), pagination: PaginationSchema }),
);
export type TaskListResponse = z.infer<typeof TaskListResponseSchema>;

export const TaskGetQuerySchema = z.strictObject({ include_steps: BooleanParamSchema.optional() });

/** DELETE /v1/tasks/{task_uuid}: an optional body. */
export const CancelTaskRequestSchema = named(
  'CancelTaskRequest',
  z.strictObject({
    reason: text(T.operatorReason).optional(),
    cancelled_by: text(T.actor).optional(),
  }),
);
export type CancelTaskRequest = z.infer<typeof CancelTaskRequestSchema>;

/** POST /v1/tasks/{task_uuid}/resume. */
export const ResumeTaskRequestSchema = named(
  'ResumeTaskRequest',
  z.strictObject({ performed_by: text(T.actor), reason: text(T.operatorReason) }),
);
export type ResumeTaskRequest = z.infer<typeof ResumeTaskRequestSchema>;

/** POST /v1/tasks/{task_uuid}/resolve: close a blocked or error task as resolved_manually. */
export const ResolveTaskRequestSchema = named(
  'ResolveTaskRequest',
  z.strictObject({ performed_by: text(T.actor), reason: text(T.operatorReason) }),
);
export type ResolveTaskRequest = z.infer<typeof ResolveTaskRequestSchema>;

export const TaskContextResponseSchema = named(
  'TaskContext',
  z.object({
    task_uuid: UuidSchema,
    inputs: JsonObjectSchema,
    outputs: JsonObjectSchema.describe('Step name → result'),
    merged: JsonObjectSchema,
  }),
);
export type TaskContextResponse = z.infer<typeof TaskContextResponseSchema>;

export const StepSummarySchema = named(
  'StepSummary',
  z.object({
    step_uuid: UuidSchema,
    name: z.string(),
    current_state: StepStateSchema,
    created_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
    last_attempted_at: TimestampSchema.nullable(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    dependencies_satisfied: z.boolean(),
    retry_eligible: z.boolean(),
    error: z
      .object({
        error_type: z.string().nullable(),
        retryable: z.boolean(),
        status_code: z.number().int().nullable(),
        message: z.string(),
      })
      .nullable(),
  }),
);

export const TaskSummaryResponseSchema = named(
  'TaskSummary',
  z.object({
    task: TaskResponseSchema,
    template: z.object({
      steps: z.array(
        z.object({
          name: z.string(),
          step_type: z.enum(STEP_TYPES),
          handler: z.string(),
          dependencies: z.array(z.string()),
          retryable: z.boolean(),
          max_attempts: z.number().int(),
        }),
      ),
    }),
    steps: z.array(StepSummarySchema),
    dlq: z.object({
      in_dlq: z.boolean(),
      dlq_reason: DlqReasonSchema.nullable(),
      resolution_status: DlqResolutionStatusSchema.nullable(),
    }),
    links: z.object({ self: z.string(), steps: z.string(), events: z.string(), context: z.string() }),
  }),
);
export type TaskSummaryResponse = z.infer<typeof TaskSummaryResponseSchema>;

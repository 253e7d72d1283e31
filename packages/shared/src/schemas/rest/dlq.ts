import { z } from 'zod';
import { DLQ_REASONS, DLQ_RESOLUTION_STATUSES, STALENESS_HEALTH_STATUSES } from '../../domain/dlq.js';
import { PAGE_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { JsonObjectSchema, TaskStateSchema, TimestampSchema, UuidSchema, intParam, named, text } from './common.js';

// Enums are snake_case, like everywhere else (the reference's PascalCase DLQ enums were drift).
export const DlqReasonSchema = named('DlqReason', z.enum(DLQ_REASONS));
export const DlqResolutionStatusSchema = named('DlqResolutionStatus', z.enum(DLQ_RESOLUTION_STATUSES));

export const DlqEntrySchema = named(
  'DlqEntry',
  z.object({
    dlq_entry_uuid: UuidSchema,
    task_uuid: UuidSchema,
    original_state: TaskStateSchema,
    dlq_reason: DlqReasonSchema,
    dlq_timestamp: TimestampSchema,
    resolution_status: DlqResolutionStatusSchema,
    resolution_timestamp: TimestampSchema.nullable(),
    resolution_notes: z.string().nullable(),
    resolved_by: z.string().nullable(),
    task_snapshot: JsonObjectSchema,
    metadata: JsonObjectSchema.nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  }),
);
export type DlqEntryResponse = z.infer<typeof DlqEntrySchema>;

export const DlqEntryListResponseSchema = z.array(DlqEntrySchema);

export const DlqListQuerySchema = z.strictObject({
  resolution_status: DlqResolutionStatusSchema.optional(),
  dlq_reason: DlqReasonSchema.optional(),
  namespace: text(TEXT_LIMITS.namespace).optional(),
  limit: intParam(PAGE_LIMITS.dlqLimit).default(PAGE_LIMITS.dlqLimit.default),
  offset: intParam(PAGE_LIMITS.dlqOffset).default(PAGE_LIMITS.dlqOffset.default),
});
export type DlqListQueryParams = z.infer<typeof DlqListQuerySchema>;

export const DlqEntryParamsSchema = z.object({ dlq_entry_uuid: UuidSchema });

/** PATCH /v1/dlq/entry/{dlq_entry_uuid}: only the given fields change. */
export const DlqUpdateRequestSchema = named(
  'DlqUpdateRequest',
  z.strictObject({
    resolution_status: DlqResolutionStatusSchema.optional(),
    resolution_notes: text(TEXT_LIMITS.resolutionNotes).optional(),
    resolved_by: text(TEXT_LIMITS.actor).optional(),
    metadata: JsonObjectSchema.optional(),
  }),
);
export type DlqUpdateRequest = z.infer<typeof DlqUpdateRequestSchema>;

/** POST /v1/dlq/task/{task_uuid}: open a manual_dlq investigation of a task. */
export const DlqCreateRequestSchema = named(
  'DlqCreateRequest',
  z.strictObject({ performed_by: text(TEXT_LIMITS.actor), reason: text(TEXT_LIMITS.operatorReason) }),
);
export type DlqCreateRequest = z.infer<typeof DlqCreateRequestSchema>;

export const DlqStatsSchema = named(
  'DlqStats',
  z.object({
    dlq_reason: DlqReasonSchema,
    total_entries: z.number().int(),
    pending: z.number().int(),
    manually_resolved: z.number().int(),
    permanent_failures: z.number().int(),
    cancelled: z.number().int(),
    oldest_entry: TimestampSchema.nullable(),
    newest_entry: TimestampSchema.nullable(),
    avg_resolution_time_minutes: z.number().nullable(),
  }),
);
export type DlqStatsResponse = z.infer<typeof DlqStatsSchema>;
export const DlqStatsListResponseSchema = z.array(DlqStatsSchema);

export const DlqLimitQuerySchema = z.strictObject({
  limit: intParam(PAGE_LIMITS.dlqQueueLimit).default(PAGE_LIMITS.dlqQueueLimit.default),
});

export const DlqInvestigationItemSchema = named(
  'DlqInvestigationItem',
  z.object({
    dlq_entry_uuid: UuidSchema,
    task_uuid: UuidSchema,
    original_state: TaskStateSchema,
    dlq_reason: DlqReasonSchema,
    dlq_timestamp: TimestampSchema,
    minutes_in_dlq: z.number(),
    namespace_name: z.string().nullable(),
    task_name: z.string().nullable(),
    current_state: TaskStateSchema.nullable(),
    time_in_state_minutes: z.number().nullable(),
    priority_score: z.number(),
  }),
);
export type DlqInvestigationItemResponse = z.infer<typeof DlqInvestigationItemSchema>;
export const DlqInvestigationQueueResponseSchema = z.array(DlqInvestigationItemSchema);

export const StalenessItemSchema = named(
  'StalenessItem',
  z.object({
    task_uuid: UuidSchema,
    namespace_name: z.string().nullable(),
    task_name: z.string().nullable(),
    current_state: TaskStateSchema,
    time_in_state_minutes: z.number(),
    task_age_minutes: z.number(),
    staleness_threshold_minutes: z.number(),
    health_status: z.enum(STALENESS_HEALTH_STATUSES),
    priority: z.number(),
  }),
);
export type StalenessItemResponse = z.infer<typeof StalenessItemSchema>;
export const StalenessResponseSchema = z.array(StalenessItemSchema);

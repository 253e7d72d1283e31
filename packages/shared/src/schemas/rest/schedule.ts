import { z } from 'zod';
import { INT_LIMITS, PAGE_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import {
  SCHEDULE_CATCH_UP_POLICIES,
  SCHEDULE_FIRING_OUTCOMES,
  SCHEDULE_OVERLAP_POLICIES,
} from '../../domain/schedule.js';
import { JsonObjectSchema, TimestampSchema, UuidSchema, int, intParam, named, text } from './common.js';

export const ScheduleOverlapPolicySchema = named('ScheduleOverlapPolicy', z.enum(SCHEDULE_OVERLAP_POLICIES));
export const ScheduleCatchUpPolicySchema = named('ScheduleCatchUpPolicy', z.enum(SCHEDULE_CATCH_UP_POLICIES));
export const ScheduleFiringOutcomeSchema = named('ScheduleFiringOutcome', z.enum(SCHEDULE_FIRING_OUTCOMES));

export const ScheduleSchema = named(
  'Schedule',
  z.object({
    schedule_uuid: UuidSchema,
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    context: JsonObjectSchema,
    cron_expression: z.string().nullable(),
    time_zone: z.string().nullable(),
    interval_seconds: z.number().int().nullable(),
    overlap_policy: ScheduleOverlapPolicySchema,
    catch_up_policy: ScheduleCatchUpPolicySchema,
    catch_up_cap: z.number().int(),
    paused: z.boolean(),
    next_fire_at: TimestampSchema.nullable(),
    last_fire_at: TimestampSchema.nullable(),
    created_by: z.string(),
    updated_by: z.string(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  }),
);
export type ScheduleResponse = z.infer<typeof ScheduleSchema>;
export const ScheduleListResponseSchema = z.array(ScheduleSchema);

export const ScheduleFiringSchema = named(
  'ScheduleFiring',
  z.object({
    schedule_uuid: UuidSchema,
    fire_at: TimestampSchema,
    outcome: ScheduleFiringOutcomeSchema,
    task_uuid: UuidSchema.nullable(),
    error: z.string().nullable(),
    created_at: TimestampSchema,
  }),
);
export type ScheduleFiringResponse = z.infer<typeof ScheduleFiringSchema>;
export const ScheduleFiringListResponseSchema = z.array(ScheduleFiringSchema);

const triggerFields = {
  cron_expression: text(TEXT_LIMITS.cronExpression).optional(),
  time_zone: text(TEXT_LIMITS.timeZone).optional(),
  interval_seconds: int(INT_LIMITS.scheduleIntervalSeconds).optional(),
  overlap_policy: ScheduleOverlapPolicySchema.optional(),
  catch_up_policy: ScheduleCatchUpPolicySchema.optional(),
  catch_up_cap: int(INT_LIMITS.scheduleCatchUpCap).optional(),
};

/** POST /v1/schedules: exactly one of cron_expression (with time_zone, default UTC) and interval_seconds. */
export const ScheduleCreateRequestSchema = named(
  'ScheduleCreateRequest',
  z.strictObject({
    namespace: text(TEXT_LIMITS.namespace),
    name: text(TEXT_LIMITS.name),
    version: text(TEXT_LIMITS.version),
    context: JsonObjectSchema.optional(),
    ...triggerFields,
    paused: z.boolean().optional(),
  }),
);
export type ScheduleCreateRequest = z.infer<typeof ScheduleCreateRequestSchema>;

/** PATCH /v1/schedules/{schedule_uuid}: only the given fields change. */
export const ScheduleUpdateRequestSchema = named(
  'ScheduleUpdateRequest',
  z.strictObject({
    version: text(TEXT_LIMITS.version).optional(),
    context: JsonObjectSchema.optional(),
    ...triggerFields,
  }),
);
export type ScheduleUpdateRequest = z.infer<typeof ScheduleUpdateRequestSchema>;

export const ScheduleParamsSchema = z.object({ schedule_uuid: UuidSchema });

export const ScheduleListQuerySchema = z.strictObject({
  namespace: text(TEXT_LIMITS.namespace).optional(),
  limit: intParam(PAGE_LIMITS.scheduleLimit).default(PAGE_LIMITS.scheduleLimit.default),
  offset: intParam(PAGE_LIMITS.scheduleOffset).default(PAGE_LIMITS.scheduleOffset.default),
});
export type ScheduleListQueryParams = z.infer<typeof ScheduleListQuerySchema>;

export const ScheduleFiringsQuerySchema = z.strictObject({
  limit: intParam(PAGE_LIMITS.scheduleLimit).default(PAGE_LIMITS.scheduleLimit.default),
  offset: intParam(PAGE_LIMITS.scheduleOffset).default(PAGE_LIMITS.scheduleOffset.default),
});

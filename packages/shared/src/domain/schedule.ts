import type { JsonObject } from './json.js';

/** allow: every tick creates a task; skip: no task while the previous one is unfinished; buffer_one: one tick waits. */
export const SCHEDULE_OVERLAP_POLICIES = ['allow', 'skip', 'buffer_one'] as const;
export type ScheduleOverlapPolicy = (typeof SCHEDULE_OVERLAP_POLICIES)[number];

/** After downtime: skip_missed (next future tick only), run_once (one task), run_all (one per tick, capped). */
export const SCHEDULE_CATCH_UP_POLICIES = ['skip_missed', 'run_once', 'run_all'] as const;
export type ScheduleCatchUpPolicy = (typeof SCHEDULE_CATCH_UP_POLICIES)[number];

/**
 * created: a task was created; skipped: the overlap policy dropped the tick; buffered: it waits for the previous
 * task; failed: task creation was refused (`error` says why).
 */
export const SCHEDULE_FIRING_OUTCOMES = ['created', 'skipped', 'buffered', 'failed'] as const;
export type ScheduleFiringOutcome = (typeof SCHEDULE_FIRING_OUTCOMES)[number];

/**
 * A recurring task creation. The trigger is either a cron expression with its time zone (`intervalSeconds`
 * null) or a fixed interval (`cronExpression` and `timeZone` null).
 */
export interface Schedule {
  scheduleUuid: string;
  namespace: string;
  name: string;
  version: string;
  context: JsonObject;
  cronExpression: string | null;
  timeZone: string | null;
  intervalSeconds: number | null;
  overlapPolicy: ScheduleOverlapPolicy;
  catchUpPolicy: ScheduleCatchUpPolicy;
  catchUpCap: number;
  paused: boolean;
  /** Null while paused. */
  nextFireAt: Date | null;
  lastFireAt: Date | null;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A new schedule: exactly one of `cronExpression` (with `timeZone`, default `UTC`) and `intervalSeconds`.
 * Defaults: context `{}`, overlap `allow`, catch-up `skip_missed`, cap 100, not paused.
 */
export interface ScheduleCreateInput {
  namespace: string;
  name: string;
  version: string;
  context?: JsonObject;
  cronExpression?: string;
  timeZone?: string;
  intervalSeconds?: number;
  overlapPolicy?: ScheduleOverlapPolicy;
  catchUpPolicy?: ScheduleCatchUpPolicy;
  catchUpCap?: number;
  paused?: boolean;
}

/**
 * Only the given fields change. Giving `cronExpression` switches the trigger to cron (the interval is dropped),
 * giving `intervalSeconds` switches it to an interval; giving both is VALIDATION_FAILED. A trigger change
 * recomputes next_fire_at from now.
 */
export interface ScheduleUpdateInput {
  version?: string;
  context?: JsonObject;
  cronExpression?: string;
  timeZone?: string;
  intervalSeconds?: number;
  overlapPolicy?: ScheduleOverlapPolicy;
  catchUpPolicy?: ScheduleCatchUpPolicy;
  catchUpCap?: number;
}

export interface ScheduleListQuery {
  namespace?: string;
  limit: number;
  offset: number;
}

/** One handled tick of a schedule. */
export interface ScheduleFiring {
  scheduleUuid: string;
  fireAt: Date;
  outcome: ScheduleFiringOutcome;
  taskUuid: string | null;
  error: string | null;
  createdAt: Date;
}

export interface ScheduleFiringListQuery {
  limit: number;
  offset: number;
}

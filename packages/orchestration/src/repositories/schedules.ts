// Schedules and their firings (tasker.schedules, tasker.schedule_firings, migration 0025). The scheduler locks a
// due schedule with FOR UPDATE SKIP LOCKED, so replicas share the due ones and never handle one twice at once;
// the firing's primary key (schedule_uuid, fire_at) makes a tick's task unique even so.
import type {
  JsonObject,
  Schedule,
  ScheduleCatchUpPolicy,
  ScheduleFiring,
  ScheduleFiringOutcome,
  ScheduleOverlapPolicy,
} from '@tasker/shared';
import type { JSONValue } from 'postgres';
import type { Db } from './tasks.js';

export interface ScheduleRow {
  schedule_uuid: string;
  namespace: string;
  name: string;
  version: string;
  context: JsonObject;
  cron_expression: string | null;
  time_zone: string | null;
  interval_seconds: number | null;
  trigger_anchor_at: Date;
  overlap_policy: ScheduleOverlapPolicy;
  catch_up_policy: ScheduleCatchUpPolicy;
  catch_up_cap: number;
  paused: boolean;
  next_fire_at: Date | null;
  last_fire_at: Date | null;
  buffered_fire_at: Date | null;
  created_by: string;
  updated_by: string;
  created_at: Date;
  updated_at: Date;
}

export function scheduleFromRow(r: ScheduleRow): Schedule {
  return {
    scheduleUuid: r.schedule_uuid,
    namespace: r.namespace,
    name: r.name,
    version: r.version,
    context: r.context,
    cronExpression: r.cron_expression,
    timeZone: r.time_zone,
    intervalSeconds: r.interval_seconds,
    overlapPolicy: r.overlap_policy,
    catchUpPolicy: r.catch_up_policy,
    catchUpCap: r.catch_up_cap,
    paused: r.paused,
    nextFireAt: r.next_fire_at,
    lastFireAt: r.last_fire_at,
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The stored columns a create or update writes. */
export interface ScheduleValues {
  namespace: string;
  name: string;
  version: string;
  context: JsonObject;
  cronExpression: string | null;
  timeZone: string | null;
  intervalSeconds: number | null;
  triggerAnchorAt: Date;
  overlapPolicy: ScheduleOverlapPolicy;
  catchUpPolicy: ScheduleCatchUpPolicy;
  catchUpCap: number;
  paused: boolean;
  nextFireAt: Date | null;
}

export async function insertSchedule(sql: Db, v: ScheduleValues, actor: string): Promise<ScheduleRow> {
  const [row] = await sql<ScheduleRow[]>`
    INSERT INTO tasker.schedules (namespace, name, version, context, cron_expression, time_zone, interval_seconds,
      trigger_anchor_at, overlap_policy, catch_up_policy, catch_up_cap, paused, next_fire_at, created_by, updated_by)
    VALUES (${v.namespace}, ${v.name}, ${v.version}, ${sql.json(v.context as JSONValue)}, ${v.cronExpression},
      ${v.timeZone}, ${v.intervalSeconds}, ${v.triggerAnchorAt}, ${v.overlapPolicy}, ${v.catchUpPolicy},
      ${v.catchUpCap}, ${v.paused}, ${v.nextFireAt}, ${actor}, ${actor})
    RETURNING *`;
  if (row === undefined) throw new Error('insert into schedules returned no row');
  return row;
}

export async function updateScheduleRow(
  sql: Db,
  scheduleUuid: string,
  v: ScheduleValues,
  actor: string,
): Promise<ScheduleRow> {
  const [row] = await sql<ScheduleRow[]>`
    UPDATE tasker.schedules SET version = ${v.version}, context = ${sql.json(v.context as JSONValue)},
      cron_expression = ${v.cronExpression}, time_zone = ${v.timeZone}, interval_seconds = ${v.intervalSeconds},
      trigger_anchor_at = ${v.triggerAnchorAt}, overlap_policy = ${v.overlapPolicy},
      catch_up_policy = ${v.catchUpPolicy}, catch_up_cap = ${v.catchUpCap}, paused = ${v.paused},
      next_fire_at = ${v.nextFireAt},
      buffered_fire_at = CASE WHEN ${v.paused} THEN NULL ELSE buffered_fire_at END,
      updated_by = ${actor}, updated_at = now()
    WHERE schedule_uuid = ${scheduleUuid}
    RETURNING *`;
  if (row === undefined) throw new Error(`schedule ${scheduleUuid} vanished under its lock`);
  return row;
}

/** Locks the row for the caller's transaction (waits for a firing in progress); `now` is the database's. */
export async function lockSchedule(
  sql: Db,
  scheduleUuid: string,
): Promise<{ row: ScheduleRow; now: Date } | undefined> {
  const [r] = await sql<(ScheduleRow & { db_now: Date })[]>`
    SELECT s.*, now() AS db_now FROM tasker.schedules s WHERE schedule_uuid = ${scheduleUuid} FOR UPDATE`;
  if (r === undefined) return undefined;
  const { db_now, ...row } = r;
  return { row, now: db_now };
}

export async function findSchedule(sql: Db, scheduleUuid: string): Promise<ScheduleRow | undefined> {
  const [r] = await sql<ScheduleRow[]>`SELECT * FROM tasker.schedules WHERE schedule_uuid = ${scheduleUuid}`;
  return r;
}

export async function listSchedules(
  sql: Db,
  q: { namespace?: string; scope: readonly string[] | null; limit: number; offset: number },
): Promise<ScheduleRow[]> {
  return sql<ScheduleRow[]>`
    SELECT * FROM tasker.schedules
    WHERE true
      ${q.namespace === undefined ? sql`` : sql`AND namespace = ${q.namespace}`}
      ${q.scope === null ? sql`` : sql`AND namespace = ANY (${q.scope as string[]}::text[])`}
    ORDER BY created_at, schedule_uuid
    LIMIT ${q.limit} OFFSET ${q.offset}`;
}

/** Firings stay for the record until the schedule is deleted (ON DELETE CASCADE); tasks are kept. */
export async function deleteSchedule(sql: Db, scheduleUuid: string): Promise<void> {
  await sql`DELETE FROM tasker.schedules WHERE schedule_uuid = ${scheduleUuid}`;
}

interface FiringRow {
  schedule_uuid: string;
  fire_at: Date;
  outcome: ScheduleFiringOutcome;
  task_uuid: string | null;
  error: string | null;
  created_at: Date;
}

function firingFromRow(r: FiringRow): ScheduleFiring {
  return {
    scheduleUuid: r.schedule_uuid,
    fireAt: r.fire_at,
    outcome: r.outcome,
    taskUuid: r.task_uuid,
    error: r.error,
    createdAt: r.created_at,
  };
}

/** Newest tick first. */
export async function listScheduleFirings(
  sql: Db,
  scheduleUuid: string,
  q: { limit: number; offset: number },
): Promise<ScheduleFiring[]> {
  const rows = await sql<FiringRow[]>`
    SELECT schedule_uuid, fire_at, outcome, task_uuid, error, created_at FROM tasker.schedule_firings
    WHERE schedule_uuid = ${scheduleUuid}
    ORDER BY fire_at DESC
    LIMIT ${q.limit} OFFSET ${q.offset}`;
  return rows.map(firingFromRow);
}

/**
 * One schedule whose work is due, locked for the caller's transaction (SKIP LOCKED: one a replica is firing is
 * passed over): next_fire_at reached, or a buffered firing whose previous task has finished.
 */
export async function claimDueSchedule(sql: Db): Promise<{ row: ScheduleRow; now: Date } | undefined> {
  const [r] = await sql<(ScheduleRow & { db_now: Date })[]>`
    SELECT s.*, now() AS db_now FROM tasker.schedules s
    WHERE NOT s.paused
      AND (s.next_fire_at <= now()
           OR (s.buffered_fire_at IS NOT NULL AND NOT tasker.schedule_previous_unfinished(s.schedule_uuid)))
    ORDER BY least(s.next_fire_at, s.buffered_fire_at)
    LIMIT 1
    FOR UPDATE SKIP LOCKED`;
  if (r === undefined) return undefined;
  const { db_now, ...row } = r;
  return { row, now: db_now };
}

/** The earliest next_fire_at of an unpaused schedule, and whether any holds a buffered firing. */
export async function findNextScheduleWork(sql: Db): Promise<{ nextFireAt: Date | null; buffered: boolean }> {
  const [r] = await sql<{ next_fire_at: Date | null; buffered: boolean }[]>`
    SELECT (SELECT min(next_fire_at) FROM tasker.schedules WHERE NOT paused) AS next_fire_at,
           EXISTS (SELECT 1 FROM tasker.schedules WHERE buffered_fire_at IS NOT NULL AND NOT paused) AS buffered`;
  return { nextFireAt: r?.next_fire_at ?? null, buffered: r?.buffered ?? false };
}

/** Whether the latest task this schedule created has not finished yet. */
export async function previousTaskUnfinished(sql: Db, scheduleUuid: string): Promise<boolean> {
  const [r] = await sql<{ unfinished: boolean }[]>`
    SELECT tasker.schedule_previous_unfinished(${scheduleUuid}) AS unfinished`;
  return r?.unfinished ?? false;
}

/** false when the tick already has a firing (another replica handled it). */
export async function insertFiring(
  sql: Db,
  scheduleUuid: string,
  fireAt: Date,
  outcome: ScheduleFiringOutcome,
): Promise<boolean> {
  const rows = await sql`
    INSERT INTO tasker.schedule_firings (schedule_uuid, fire_at, outcome)
    VALUES (${scheduleUuid}, ${fireAt}, ${outcome})
    ON CONFLICT (schedule_uuid, fire_at) DO NOTHING
    RETURNING 1`;
  return rows.length === 1;
}

/** A firing's final outcome: created with its task, or failed with the reason. */
export async function settleFiring(
  sql: Db,
  scheduleUuid: string,
  fireAt: Date,
  result: { taskUuid: string } | { error: string },
): Promise<void> {
  const created = 'taskUuid' in result;
  await sql`
    UPDATE tasker.schedule_firings
    SET outcome = ${created ? 'created' : 'failed'}, task_uuid = ${created ? result.taskUuid : null},
        error = ${created ? null : result.error}, updated_at = now()
    WHERE schedule_uuid = ${scheduleUuid} AND fire_at = ${fireAt}`;
}

/** What a handled tick leaves on the schedule row. `lastFireAt` undefined = unchanged. */
export async function advanceSchedule(
  sql: Db,
  scheduleUuid: string,
  next: { nextFireAt: Date | null; bufferedFireAt: Date | null; lastFireAt?: Date },
): Promise<void> {
  await sql`
    UPDATE tasker.schedules SET next_fire_at = ${next.nextFireAt}, buffered_fire_at = ${next.bufferedFireAt},
      last_fire_at = coalesce(${next.lastFireAt ?? null}::timestamptz, last_fire_at)
    WHERE schedule_uuid = ${scheduleUuid}`;
}

// Schedules: create / list / get / update / pause / resume / delete, and a schedule's firings. Triggers are
// checked here for every caller (cron expression by croner, IANA time zone, interval bounds; VALIDATION_FAILED
// naming the field), and the template must exist (NOT_FOUND). next_fire_at is computed from the database's
// clock on create, on resume and on a trigger change; the scheduler (engine/scheduler.ts) advances it.
// Namespace-scoped principals see only schedules of their namespaces; others are NOT_FOUND.
import {
  INT_LIMITS,
  PAGE_LIMITS,
  SCHEDULE_CATCH_UP_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
  type Schedule,
  type ScheduleCreateInput,
  type ScheduleUpdateInput,
} from '@tasker/shared';
import { AppError, validationError, type FieldProblem } from '@tasker/shared/errors';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Sql } from 'postgres';
import { cronExpressionProblem, fireTimesOf, timeZoneProblem } from '../engine/schedule-times.js';
import { triggerOf } from '../engine/schedule-trigger.js';
import type { TemplateCache } from '../engine/template-cache.js';
import {
  deleteSchedule,
  findSchedule,
  insertSchedule,
  listScheduleFirings,
  listSchedules,
  lockSchedule,
  scheduleFromRow,
  updateScheduleRow,
  type ScheduleRow,
  type ScheduleValues,
} from '../repositories/schedules.js';
import type { Db } from '../repositories/tasks.js';
import { assertInt, assertUuid, scopeOf, templateNotFound } from './access.js';
import type { ScheduleService } from './types.js';

export interface ScheduleServiceDeps {
  sql: Sql;
  cache: Pick<TemplateCache, 'resolve'>;
  /** Called with the new next_fire_at after a change, so this replica's scheduler wakes for it. */
  onNextFireAt?: (at: Date) => void;
}

export const DEFAULT_TIME_ZONE = 'UTC';

function scheduleNotFound(scheduleUuid: string): AppError {
  return new AppError('NOT_FOUND', `Schedule ${scheduleUuid} not found`, { details: { schedule_uuid: scheduleUuid } });
}

type Trigger = Pick<ScheduleValues, 'cronExpression' | 'timeZone' | 'intervalSeconds'>;

/** Problems of a trigger and policies as they will be stored. */
function valuesProblems(v: Trigger & Pick<ScheduleValues, 'overlapPolicy' | 'catchUpPolicy' | 'catchUpCap'>) {
  const problems: FieldProblem[] = [];
  if (v.cronExpression === null && v.intervalSeconds === null) {
    problems.push({ path: 'cron_expression', message: 'either cron_expression or interval_seconds is required' });
  }
  if (v.cronExpression !== null) {
    const p = cronExpressionProblem(v.cronExpression);
    if (p !== undefined) problems.push(p);
  }
  if (v.timeZone !== null) {
    const p = timeZoneProblem(v.timeZone);
    if (p !== undefined) problems.push(p);
  }
  const interval = INT_LIMITS.scheduleIntervalSeconds;
  if (
    v.intervalSeconds !== null &&
    (!Number.isInteger(v.intervalSeconds) || v.intervalSeconds < interval.min || v.intervalSeconds > interval.max)
  ) {
    problems.push({
      path: 'interval_seconds',
      message: `must be an integer between ${interval.min} and ${interval.max}`,
    });
  }
  if (!SCHEDULE_OVERLAP_POLICIES.includes(v.overlapPolicy)) {
    problems.push({ path: 'overlap_policy', message: `must be one of ${SCHEDULE_OVERLAP_POLICIES.join(', ')}` });
  }
  if (!SCHEDULE_CATCH_UP_POLICIES.includes(v.catchUpPolicy)) {
    problems.push({ path: 'catch_up_policy', message: `must be one of ${SCHEDULE_CATCH_UP_POLICIES.join(', ')}` });
  }
  const cap = INT_LIMITS.scheduleCatchUpCap;
  if (!Number.isInteger(v.catchUpCap) || v.catchUpCap < cap.min || v.catchUpCap > cap.max) {
    problems.push({ path: 'catch_up_cap', message: `must be an integer between ${cap.min} and ${cap.max}` });
  }
  return problems;
}

/** The first tick after `now`, or null while paused. */
function nextFireAtOf(v: Trigger & { triggerAnchorAt: Date; paused: boolean }, now: Date): Date | null {
  if (v.paused) return null;
  const times = fireTimesOf(
    triggerOf({
      cron_expression: v.cronExpression,
      time_zone: v.timeZone,
      interval_seconds: v.intervalSeconds,
      trigger_anchor_at: v.triggerAnchorAt,
    }),
  );
  return times.after(now);
}

function valuesOf(row: ScheduleRow): ScheduleValues {
  return {
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    context: row.context,
    cronExpression: row.cron_expression,
    timeZone: row.time_zone,
    intervalSeconds: row.interval_seconds,
    triggerAnchorAt: row.trigger_anchor_at,
    overlapPolicy: row.overlap_policy,
    catchUpPolicy: row.catch_up_policy,
    catchUpCap: row.catch_up_cap,
    paused: row.paused,
    nextFireAt: row.next_fire_at,
  };
}

/** The trigger after an update: a given cron expression or interval replaces the other kind. */
function triggerAfter(current: Trigger, input: ScheduleUpdateInput): Trigger {
  if (input.cronExpression !== undefined && input.intervalSeconds !== undefined) {
    throw validationError([{ path: 'interval_seconds', message: 'give either cron_expression or interval_seconds' }]);
  }
  if (input.intervalSeconds !== undefined) {
    if (input.timeZone !== undefined) {
      throw validationError([{ path: 'time_zone', message: 'only applies to a cron_expression' }]);
    }
    return { cronExpression: null, timeZone: null, intervalSeconds: input.intervalSeconds };
  }
  if (input.cronExpression !== undefined) {
    return {
      cronExpression: input.cronExpression,
      timeZone: input.timeZone ?? current.timeZone ?? DEFAULT_TIME_ZONE,
      intervalSeconds: null,
    };
  }
  if (input.timeZone !== undefined) {
    if (current.cronExpression === null) {
      throw validationError([{ path: 'time_zone', message: 'only applies to a cron_expression' }]);
    }
    return { ...current, timeZone: input.timeZone };
  }
  return current;
}

async function dbNow(sql: Db): Promise<Date> {
  const [r] = await sql<{ now: Date }[]>`SELECT now() AS now`;
  return r?.now ?? new Date();
}

export function createScheduleService({ sql, cache, onNextFireAt }: ScheduleServiceDeps): ScheduleService {
  const announce = (row: ScheduleRow): Schedule => {
    if (row.next_fire_at !== null) onNextFireAt?.(row.next_fire_at);
    return scheduleFromRow(row);
  };

  async function assertTemplate(namespace: string, name: string, version: string): Promise<void> {
    if ((await cache.resolve(namespace, name, version)) === undefined) throw templateNotFound(namespace, name, version);
  }

  /** Locks a visible schedule and applies `change` to its values inside one transaction. */
  function change(
    principal: Principal,
    scheduleUuid: string,
    apply: (current: ScheduleValues, row: ScheduleRow, now: Date) => Promise<ScheduleValues> | ScheduleValues,
  ): Promise<Schedule> {
    assertUuid(scheduleUuid, 'schedule_uuid');
    return sql.begin(async (tx) => {
      const db = tx as unknown as Db;
      const locked = await lockSchedule(db, scheduleUuid);
      if (locked === undefined || !canAccessNamespace(principal, locked.row.namespace)) {
        throw scheduleNotFound(scheduleUuid);
      }
      const next = await apply(valuesOf(locked.row), locked.row, locked.now);
      return announce(await updateScheduleRow(db, scheduleUuid, next, principal.subject));
    }) as Promise<Schedule>;
  }

  const service: ScheduleService = {
    async create(principal, input: ScheduleCreateInput) {
      if (!canAccessNamespace(principal, input.namespace)) {
        throw templateNotFound(input.namespace, input.name, input.version);
      }
      if (input.cronExpression !== undefined && input.intervalSeconds !== undefined) {
        throw validationError([
          { path: 'interval_seconds', message: 'give either cron_expression or interval_seconds' },
        ]);
      }
      if (input.intervalSeconds !== undefined && input.timeZone !== undefined) {
        throw validationError([{ path: 'time_zone', message: 'only applies to a cron_expression' }]);
      }
      const cron = input.cronExpression ?? null;
      const now = await dbNow(sql);
      const values: ScheduleValues = {
        namespace: input.namespace,
        name: input.name,
        version: input.version,
        context: input.context ?? {},
        cronExpression: cron,
        timeZone: cron === null ? null : (input.timeZone ?? DEFAULT_TIME_ZONE),
        intervalSeconds: input.intervalSeconds ?? null,
        triggerAnchorAt: now,
        overlapPolicy: input.overlapPolicy ?? 'allow',
        catchUpPolicy: input.catchUpPolicy ?? 'skip_missed',
        catchUpCap: input.catchUpCap ?? INT_LIMITS.scheduleCatchUpCap.default,
        paused: input.paused ?? false,
        nextFireAt: null,
      };
      const problems = valuesProblems(values);
      if (problems.length > 0) throw validationError(problems);
      await assertTemplate(values.namespace, values.name, values.version);
      values.nextFireAt = nextFireAtOf(values, now);
      return announce(await insertSchedule(sql, values, principal.subject));
    },

    async list(principal, query) {
      assertInt(query.limit, 'limit', PAGE_LIMITS.scheduleLimit);
      assertInt(query.offset, 'offset', PAGE_LIMITS.scheduleOffset);
      if (query.namespace !== undefined && !canAccessNamespace(principal, query.namespace)) return [];
      const rows = await listSchedules(sql, {
        ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
        scope: scopeOf(principal),
        limit: query.limit,
        offset: query.offset,
      });
      return rows.map(scheduleFromRow);
    },

    async get(principal, scheduleUuid) {
      assertUuid(scheduleUuid, 'schedule_uuid');
      const row = await findSchedule(sql, scheduleUuid);
      if (row === undefined || !canAccessNamespace(principal, row.namespace)) throw scheduleNotFound(scheduleUuid);
      return scheduleFromRow(row);
    },

    update(principal, scheduleUuid, input) {
      return change(principal, scheduleUuid, async (current, _row, now) => {
        const trigger = triggerAfter(current, input);
        const triggerChanged =
          trigger.cronExpression !== current.cronExpression ||
          trigger.timeZone !== current.timeZone ||
          trigger.intervalSeconds !== current.intervalSeconds;
        const next: ScheduleValues = {
          ...current,
          ...trigger,
          version: input.version ?? current.version,
          context: input.context ?? current.context,
          overlapPolicy: input.overlapPolicy ?? current.overlapPolicy,
          catchUpPolicy: input.catchUpPolicy ?? current.catchUpPolicy,
          catchUpCap: input.catchUpCap ?? current.catchUpCap,
          triggerAnchorAt: triggerChanged ? now : current.triggerAnchorAt,
        };
        const problems = valuesProblems(next);
        if (problems.length > 0) throw validationError(problems);
        if (next.version !== current.version) await assertTemplate(next.namespace, next.name, next.version);
        if (triggerChanged) next.nextFireAt = nextFireAtOf(next, now);
        return next;
      });
    },

    pause(principal, scheduleUuid) {
      return change(principal, scheduleUuid, (current) => ({ ...current, paused: true, nextFireAt: null }));
    },

    resume(principal, scheduleUuid) {
      // Ticks that fell while paused are not missed: the schedule continues with the first tick after now.
      return change(principal, scheduleUuid, (current, _row, now) =>
        current.paused
          ? { ...current, paused: false, nextFireAt: nextFireAtOf({ ...current, paused: false }, now) }
          : current,
      );
    },

    async delete(principal, scheduleUuid) {
      const schedule = await service.get(principal, scheduleUuid);
      await deleteSchedule(sql, scheduleUuid);
      return schedule;
    },

    async listFirings(principal, scheduleUuid, query) {
      assertInt(query.limit, 'limit', PAGE_LIMITS.scheduleLimit);
      assertInt(query.offset, 'offset', PAGE_LIMITS.scheduleOffset);
      await service.get(principal, scheduleUuid);
      return listScheduleFirings(sql, scheduleUuid, query);
    },
  };
  return service;
}

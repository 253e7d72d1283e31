// Schedules (ScheduleService): domain ↔ proto. Requests are checked with the REST bodies' rules; the trigger's
// content (cron syntax, time zone) is the service's to check, for every caller.
import type { JsonObject } from '../../domain/json.js';
import { INT_LIMITS, PAGE_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import type {
  Schedule,
  ScheduleCreateInput,
  ScheduleFiring,
  ScheduleFiringListQuery,
  ScheduleListQuery,
  ScheduleUpdateInput,
} from '../../domain/schedule.js';
import { validationError } from '../../errors.js';
import type {
  CreateScheduleRequest as PbCreateScheduleRequest,
  ListScheduleFiringsRequest as PbListScheduleFiringsRequest,
  ListSchedulesRequest as PbListSchedulesRequest,
  Schedule as PbSchedule,
  ScheduleFiring as PbScheduleFiring,
  UpdateScheduleRequest as PbUpdateScheduleRequest,
} from '../../gen/tasker/v1/schedules.js';
import {
  RequestValidator,
  defined,
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  requiredDateFromProto,
  structOrEmptyFromProto,
} from './common.js';
import {
  scheduleCatchUpPolicyFromProto,
  scheduleCatchUpPolicyToProto,
  scheduleFiringOutcomeFromProto,
  scheduleFiringOutcomeToProto,
  scheduleOverlapPolicyFromProto,
  scheduleOverlapPolicyToProto,
} from './enums.js';

export function scheduleToProto(s: Schedule): PbSchedule {
  return {
    scheduleUuid: s.scheduleUuid,
    namespace: s.namespace,
    name: s.name,
    version: s.version,
    context: s.context,
    cronExpression: nullableToProto(s.cronExpression),
    timeZone: nullableToProto(s.timeZone),
    intervalSeconds: nullableToProto(s.intervalSeconds),
    overlapPolicy: scheduleOverlapPolicyToProto(s.overlapPolicy),
    catchUpPolicy: scheduleCatchUpPolicyToProto(s.catchUpPolicy),
    catchUpCap: s.catchUpCap,
    paused: s.paused,
    nextFireAt: optionalDateToProto(s.nextFireAt),
    lastFireAt: optionalDateToProto(s.lastFireAt),
    createdBy: s.createdBy,
    updatedBy: s.updatedBy,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function scheduleFromProto(p: PbSchedule | undefined, path = 'schedule'): Schedule {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return {
    scheduleUuid: p.scheduleUuid,
    namespace: p.namespace,
    name: p.name,
    version: p.version,
    context: structOrEmptyFromProto(p.context),
    cronExpression: nullableFromProto(p.cronExpression),
    timeZone: nullableFromProto(p.timeZone),
    intervalSeconds: nullableFromProto(p.intervalSeconds),
    overlapPolicy: scheduleOverlapPolicyFromProto(p.overlapPolicy, `${path}.overlap_policy`),
    catchUpPolicy: scheduleCatchUpPolicyFromProto(p.catchUpPolicy, `${path}.catch_up_policy`),
    catchUpCap: p.catchUpCap,
    paused: p.paused,
    nextFireAt: optionalDateFromProto(p.nextFireAt),
    lastFireAt: optionalDateFromProto(p.lastFireAt),
    createdBy: p.createdBy,
    updatedBy: p.updatedBy,
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    updatedAt: requiredDateFromProto(p.updatedAt, `${path}.updated_at`),
  };
}

export function scheduleFiringToProto(f: ScheduleFiring): PbScheduleFiring {
  return {
    scheduleUuid: f.scheduleUuid,
    fireAt: f.fireAt,
    outcome: scheduleFiringOutcomeToProto(f.outcome),
    taskUuid: nullableToProto(f.taskUuid),
    error: nullableToProto(f.error),
    createdAt: f.createdAt,
  };
}

export function scheduleFiringFromProto(p: PbScheduleFiring, path = 'firings[]'): ScheduleFiring {
  return {
    scheduleUuid: p.scheduleUuid,
    fireAt: requiredDateFromProto(p.fireAt, `${path}.fire_at`),
    outcome: scheduleFiringOutcomeFromProto(p.outcome, `${path}.outcome`),
    taskUuid: nullableFromProto(p.taskUuid),
    error: nullableFromProto(p.error),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
  };
}

/** Trigger and policy fields shared by create and update. */
function triggerFields(v: RequestValidator, req: PbCreateScheduleRequest | PbUpdateScheduleRequest) {
  const overlap =
    req.overlapPolicy === undefined
      ? undefined
      : v.decode(() => scheduleOverlapPolicyFromProto(req.overlapPolicy!, 'overlap_policy'));
  const catchUp =
    req.catchUpPolicy === undefined
      ? undefined
      : v.decode(() => scheduleCatchUpPolicyFromProto(req.catchUpPolicy!, 'catch_up_policy'));
  return {
    ...defined('cronExpression', v.optionalString('cron_expression', req.cronExpression, TEXT_LIMITS.cronExpression)),
    ...defined('timeZone', v.optionalString('time_zone', req.timeZone, TEXT_LIMITS.timeZone)),
    ...defined(
      'intervalSeconds',
      v.optionalInt('interval_seconds', req.intervalSeconds, INT_LIMITS.scheduleIntervalSeconds),
    ),
    ...defined('overlapPolicy', overlap),
    ...defined('catchUpPolicy', catchUp),
    ...defined('catchUpCap', v.optionalInt('catch_up_cap', req.catchUpCap, INT_LIMITS.scheduleCatchUpCap)),
  };
}

export function scheduleCreateInputFromProto(req: PbCreateScheduleRequest): ScheduleCreateInput {
  const v = new RequestValidator();
  const input: ScheduleCreateInput = {
    namespace: v.string('namespace', req.namespace, TEXT_LIMITS.namespace),
    name: v.string('name', req.name, TEXT_LIMITS.name),
    version: v.string('version', req.version, TEXT_LIMITS.version),
    ...defined('context', req.context as JsonObject | undefined),
    ...triggerFields(v, req),
    ...defined('paused', req.paused),
  };
  v.done();
  return input;
}

/** The trigger and policy fields of a create or update request. */
function triggerToProto(i: ScheduleUpdateInput) {
  return {
    cronExpression: i.cronExpression,
    timeZone: i.timeZone,
    intervalSeconds: i.intervalSeconds,
    overlapPolicy: i.overlapPolicy === undefined ? undefined : scheduleOverlapPolicyToProto(i.overlapPolicy),
    catchUpPolicy: i.catchUpPolicy === undefined ? undefined : scheduleCatchUpPolicyToProto(i.catchUpPolicy),
    catchUpCap: i.catchUpCap,
  };
}

export function scheduleCreateInputToProto(i: ScheduleCreateInput): PbCreateScheduleRequest {
  return {
    namespace: i.namespace,
    name: i.name,
    version: i.version,
    context: i.context,
    ...triggerToProto(i),
    paused: i.paused,
  };
}

export interface ScheduleUpdateCommand {
  scheduleUuid: string;
  input: ScheduleUpdateInput;
}

export function scheduleUpdateFromProto(req: PbUpdateScheduleRequest): ScheduleUpdateCommand {
  const v = new RequestValidator();
  const scheduleUuid = v.uuid('schedule_uuid', req.scheduleUuid);
  const input: ScheduleUpdateInput = {
    ...defined('version', v.optionalString('version', req.version, TEXT_LIMITS.version)),
    ...defined('context', req.context as JsonObject | undefined),
    ...triggerFields(v, req),
  };
  v.done();
  return { scheduleUuid, input };
}

export function scheduleUpdateToProto(c: ScheduleUpdateCommand): PbUpdateScheduleRequest {
  const i = c.input;
  return { scheduleUuid: c.scheduleUuid, version: i.version, context: i.context, ...triggerToProto(i) };
}

function pageFromProto(v: RequestValidator, req: { limit?: number | undefined; offset?: number | undefined }) {
  const { scheduleLimit, scheduleOffset } = PAGE_LIMITS;
  return {
    limit: v.int('limit', req.limit ?? scheduleLimit.default, scheduleLimit),
    offset: v.int('offset', req.offset ?? scheduleOffset.default, scheduleOffset),
  };
}

export function scheduleListQueryFromProto(req: PbListSchedulesRequest): ScheduleListQuery {
  const v = new RequestValidator();
  const query: ScheduleListQuery = {
    ...pageFromProto(v, req),
    ...defined('namespace', v.optionalString('namespace', req.namespace, TEXT_LIMITS.namespace)),
  };
  v.done();
  return query;
}

export function scheduleListQueryToProto(q: ScheduleListQuery): PbListSchedulesRequest {
  return { namespace: q.namespace, limit: q.limit, offset: q.offset };
}

export interface ScheduleFiringsCommand {
  scheduleUuid: string;
  query: ScheduleFiringListQuery;
}

export function scheduleFiringsQueryFromProto(req: PbListScheduleFiringsRequest): ScheduleFiringsCommand {
  const v = new RequestValidator();
  const scheduleUuid = v.uuid('schedule_uuid', req.scheduleUuid);
  const query = pageFromProto(v, req);
  v.done();
  return { scheduleUuid, query };
}

export function scheduleFiringsQueryToProto(c: ScheduleFiringsCommand): PbListScheduleFiringsRequest {
  return { scheduleUuid: c.scheduleUuid, limit: c.query.limit, offset: c.query.offset };
}

/** The schedule_uuid of Get / Pause / Resume / Delete. */
export function scheduleUuidFromProto(req: { scheduleUuid: string }): string {
  const v = new RequestValidator();
  const uuid = v.uuid('schedule_uuid', req.scheduleUuid);
  v.done();
  return uuid;
}

import type {
  Schedule,
  ScheduleCreateInput,
  ScheduleFiring,
  ScheduleListQuery,
  ScheduleUpdateInput,
} from '../../domain/schedule.js';
import type {
  ScheduleCreateRequest,
  ScheduleFiringResponse,
  ScheduleListQueryParams,
  ScheduleResponse,
  ScheduleUpdateRequest,
} from '../../schemas/rest/schedule.js';
import {
  definedEntry,
  nullableTimestampFromRest,
  nullableTimestampToRest,
  timestampFromRest,
  timestampToRest,
} from './common.js';

export function scheduleToRest(s: Schedule): ScheduleResponse {
  return {
    schedule_uuid: s.scheduleUuid,
    namespace: s.namespace,
    name: s.name,
    version: s.version,
    context: s.context,
    cron_expression: s.cronExpression,
    time_zone: s.timeZone,
    interval_seconds: s.intervalSeconds,
    overlap_policy: s.overlapPolicy,
    catch_up_policy: s.catchUpPolicy,
    catch_up_cap: s.catchUpCap,
    paused: s.paused,
    next_fire_at: nullableTimestampToRest(s.nextFireAt),
    last_fire_at: nullableTimestampToRest(s.lastFireAt),
    created_by: s.createdBy,
    updated_by: s.updatedBy,
    created_at: timestampToRest(s.createdAt),
    updated_at: timestampToRest(s.updatedAt),
  };
}

export function scheduleFromRest(r: ScheduleResponse): Schedule {
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
    nextFireAt: nullableTimestampFromRest(r.next_fire_at),
    lastFireAt: nullableTimestampFromRest(r.last_fire_at),
    createdBy: r.created_by,
    updatedBy: r.updated_by,
    createdAt: timestampFromRest(r.created_at),
    updatedAt: timestampFromRest(r.updated_at),
  };
}

export function scheduleFiringToRest(f: ScheduleFiring): ScheduleFiringResponse {
  return {
    schedule_uuid: f.scheduleUuid,
    fire_at: timestampToRest(f.fireAt),
    outcome: f.outcome,
    task_uuid: f.taskUuid,
    error: f.error,
    created_at: timestampToRest(f.createdAt),
  };
}

export function scheduleFiringFromRest(r: ScheduleFiringResponse): ScheduleFiring {
  return {
    scheduleUuid: r.schedule_uuid,
    fireAt: timestampFromRest(r.fire_at),
    outcome: r.outcome,
    taskUuid: r.task_uuid,
    error: r.error,
    createdAt: timestampFromRest(r.created_at),
  };
}

type TriggerInput = Omit<ScheduleUpdateInput, 'version' | 'context'>;
type TriggerBody = Omit<ScheduleUpdateRequest, 'version' | 'context'>;

/** The trigger and policy fields, which create and update share. */
function triggerFromRest(b: TriggerBody): TriggerInput {
  return {
    ...definedEntry('cronExpression', b.cron_expression),
    ...definedEntry('timeZone', b.time_zone),
    ...definedEntry('intervalSeconds', b.interval_seconds),
    ...definedEntry('overlapPolicy', b.overlap_policy),
    ...definedEntry('catchUpPolicy', b.catch_up_policy),
    ...definedEntry('catchUpCap', b.catch_up_cap),
  };
}

function triggerToRest(i: TriggerInput): TriggerBody {
  return {
    ...definedEntry('cron_expression', i.cronExpression),
    ...definedEntry('time_zone', i.timeZone),
    ...definedEntry('interval_seconds', i.intervalSeconds),
    ...definedEntry('overlap_policy', i.overlapPolicy),
    ...definedEntry('catch_up_policy', i.catchUpPolicy),
    ...definedEntry('catch_up_cap', i.catchUpCap),
  };
}

export function scheduleCreateInputFromRest(b: ScheduleCreateRequest): ScheduleCreateInput {
  return {
    namespace: b.namespace,
    name: b.name,
    version: b.version,
    ...definedEntry('context', b.context),
    ...triggerFromRest(b),
    ...definedEntry('paused', b.paused),
  };
}

export function scheduleCreateInputToRest(i: ScheduleCreateInput): ScheduleCreateRequest {
  return {
    namespace: i.namespace,
    name: i.name,
    version: i.version,
    ...definedEntry('context', i.context),
    ...triggerToRest(i),
    ...definedEntry('paused', i.paused),
  };
}

export function scheduleUpdateInputFromRest(b: ScheduleUpdateRequest): ScheduleUpdateInput {
  return { ...definedEntry('version', b.version), ...definedEntry('context', b.context), ...triggerFromRest(b) };
}

export function scheduleUpdateInputToRest(i: ScheduleUpdateInput): ScheduleUpdateRequest {
  return { ...definedEntry('version', i.version), ...definedEntry('context', i.context), ...triggerToRest(i) };
}

export function scheduleListQueryFromRest(q: ScheduleListQueryParams): ScheduleListQuery {
  return { limit: q.limit, offset: q.offset, ...definedEntry('namespace', q.namespace) };
}

export function scheduleListQueryToRest(q: ScheduleListQuery): Record<string, string> {
  const params: Record<string, string> = { limit: String(q.limit), offset: String(q.offset) };
  if (q.namespace !== undefined) params.namespace = q.namespace;
  return params;
}

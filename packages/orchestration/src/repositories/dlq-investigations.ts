// Reads and investigation updates of DLQ entries (tasker.dlq_entries). The engine creates entries; operators
// read, triage and close them through these queries. Namespace scoping: every query takes the principal's
// allowed namespaces (null = all) and only sees entries whose task is in one of them.
import type { PendingQuery, Row, Sql } from 'postgres';
import type {
  DlqEntry,
  DlqInvestigationItem,
  DlqReason,
  DlqResolutionStatus,
  JsonObject,
  StalenessHealthStatus,
  StalenessItem,
  TaskState,
} from '@tasker/shared';

/** Namespaces a caller may see; null = every namespace. */
export type NamespaceScope = readonly string[] | null;

interface DbDlqEntry {
  dlq_entry_uuid: string;
  task_uuid: string;
  original_state: TaskState;
  reason: DlqReason;
  dlq_timestamp: Date;
  resolution_status: DlqResolutionStatus;
  resolution_timestamp: Date | null;
  resolution_notes: string | null;
  resolved_by: string | null;
  task_snapshot: JsonObject;
  metadata: JsonObject | null;
  created_at: Date;
  updated_at: Date;
}

function toEntry(r: DbDlqEntry): DlqEntry {
  return {
    dlqEntryUuid: r.dlq_entry_uuid,
    taskUuid: r.task_uuid,
    originalState: r.original_state,
    reason: r.reason,
    dlqTimestamp: r.dlq_timestamp,
    resolutionStatus: r.resolution_status,
    resolutionTimestamp: r.resolution_timestamp,
    resolutionNotes: r.resolution_notes,
    resolvedBy: r.resolved_by,
    taskSnapshot: r.task_snapshot,
    metadata: r.metadata,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function inScope(sql: Sql, scope: NamespaceScope): PendingQuery<Row[]> {
  return scope === null ? sql`` : sql`and t.namespace = any(${scope as string[]}::text[])`;
}

export interface DlqEntryFilter {
  resolutionStatus?: DlqResolutionStatus;
  reason?: DlqReason;
  namespace?: string;
  scope: NamespaceScope;
  limit: number;
  offset: number;
}

/** Newest first (dlq_timestamp, then uuid as tiebreak). The task join happens only when a namespace matters. */
export async function listDlqEntries(sql: Sql, f: DlqEntryFilter): Promise<DlqEntry[]> {
  const byNamespace = f.namespace !== undefined || f.scope !== null;
  const rows = await sql<DbDlqEntry[]>`
    select d.* from tasker.dlq_entries d
    ${byNamespace ? sql`join tasker.tasks t on t.task_uuid = d.task_uuid` : sql``}
    where true
      ${f.resolutionStatus !== undefined ? sql`and d.resolution_status = ${f.resolutionStatus}` : sql``}
      ${f.reason !== undefined ? sql`and d.reason = ${f.reason}` : sql``}
      ${f.namespace !== undefined ? sql`and t.namespace = ${f.namespace}` : sql``}
      ${inScope(sql, f.scope)}
    order by d.dlq_timestamp desc, d.dlq_entry_uuid desc
    limit ${f.limit} offset ${f.offset}`;
  return rows.map(toEntry);
}

export interface ScopedDlqEntry {
  entry: DlqEntry;
  namespace: string;
}

export async function findLatestDlqEntryForTask(sql: Sql, taskUuid: string): Promise<ScopedDlqEntry | undefined> {
  const [r] = await sql<(DbDlqEntry & { namespace: string })[]>`
    select d.*, t.namespace from tasker.dlq_entries d
    join tasker.tasks t on t.task_uuid = d.task_uuid
    where d.task_uuid = ${taskUuid}
    order by d.dlq_timestamp desc, d.dlq_entry_uuid desc
    limit 1`;
  return r ? { entry: toEntry(r), namespace: r.namespace } : undefined;
}

/** Locks the entry (FOR UPDATE) for the rest of the caller's transaction; `now` is the transaction's time. */
export async function lockDlqEntry(
  sql: Sql,
  dlqEntryUuid: string,
): Promise<(ScopedDlqEntry & { now: Date }) | undefined> {
  const [r] = await sql<(DbDlqEntry & { namespace: string; db_now: Date })[]>`
    select d.*, t.namespace, now() as db_now from tasker.dlq_entries d
    join tasker.tasks t on t.task_uuid = d.task_uuid
    where d.dlq_entry_uuid = ${dlqEntryUuid}
    for update of d`;
  return r ? { entry: toEntry(r), namespace: r.namespace, now: r.db_now } : undefined;
}

export type OpenDlqEntryOutcome =
  { outcome: 'ok'; entry: DlqEntry } | { outcome: 'already_exists'; dlqEntryUuid: string } | { outcome: 'not_found' };

/** tasker.open_manual_dlq_entry (one call), then the new entry (one read). */
export async function openManualDlqEntry(
  sql: Sql,
  taskUuid: string,
  actor: string,
  reason: string,
  scope: NamespaceScope,
): Promise<OpenDlqEntryOutcome> {
  const [r] = await sql<{ outcome: 'ok' | 'already_exists' | 'not_found'; dlq_entry_uuid: string | null }[]>`
    select * from tasker.open_manual_dlq_entry(${taskUuid}, ${actor}, ${reason}, ${scope as string[] | null}::text[])`;
  if (r === undefined || r.outcome === 'not_found' || r.dlq_entry_uuid === null) return { outcome: 'not_found' };
  if (r.outcome === 'already_exists') return { outcome: 'already_exists', dlqEntryUuid: r.dlq_entry_uuid };
  const [entry] = await sql<DbDlqEntry[]>`select * from tasker.dlq_entries where dlq_entry_uuid = ${r.dlq_entry_uuid}`;
  if (entry === undefined) throw new Error(`DLQ entry ${r.dlq_entry_uuid} vanished after it was opened`);
  return { outcome: 'ok', entry: toEntry(entry) };
}

export interface DlqEntryChanges {
  resolutionStatus: DlqResolutionStatus;
  resolutionTimestamp: Date | null;
  resolutionNotes: string | null;
  resolvedBy: string | null;
  metadata: JsonObject | null;
}

export async function updateDlqEntry(sql: Sql, dlqEntryUuid: string, c: DlqEntryChanges): Promise<DlqEntry> {
  const [r] = await sql<DbDlqEntry[]>`
    update tasker.dlq_entries set
      resolution_status = ${c.resolutionStatus},
      resolution_timestamp = ${c.resolutionTimestamp},
      resolution_notes = ${c.resolutionNotes},
      resolved_by = ${c.resolvedBy},
      metadata = ${c.metadata === null ? null : sql.json(c.metadata)},
      updated_at = now()
    where dlq_entry_uuid = ${dlqEntryUuid}
    returning *`;
  if (r === undefined) throw new Error(`DLQ entry ${dlqEntryUuid} vanished while locked`);
  return toEntry(r);
}

export interface DlqReasonCounts {
  reason: DlqReason;
  total: number;
  pending: number;
  manuallyResolved: number;
  permanentlyFailed: number;
  cancelled: number;
  oldest: Date | null;
  newest: Date | null;
  /** Mean of resolution_timestamp − dlq_timestamp over closed entries; null when none is closed. */
  avgResolutionMinutes: number | null;
}

export async function countDlqEntriesByReason(sql: Sql, scope: NamespaceScope): Promise<DlqReasonCounts[]> {
  const rows = await sql<
    {
      reason: DlqReason;
      total: number;
      pending: number;
      manually_resolved: number;
      permanently_failed: number;
      cancelled: number;
      oldest: Date | null;
      newest: Date | null;
      avg_resolution_minutes: number | null;
    }[]
  >`
    select d.reason,
           count(*) as total,
           count(*) filter (where d.resolution_status = 'pending') as pending,
           count(*) filter (where d.resolution_status = 'manually_resolved') as manually_resolved,
           count(*) filter (where d.resolution_status = 'permanently_failed') as permanently_failed,
           count(*) filter (where d.resolution_status = 'cancelled') as cancelled,
           min(d.dlq_timestamp) as oldest,
           max(d.dlq_timestamp) as newest,
           avg(extract(epoch from d.resolution_timestamp - d.dlq_timestamp)::float8 / 60)
             filter (where d.resolution_status <> 'pending') as avg_resolution_minutes
    from tasker.dlq_entries d
    ${scope === null ? sql`` : sql`join tasker.tasks t on t.task_uuid = d.task_uuid`}
    where true ${inScope(sql, scope)}
    group by d.reason`;
  return rows.map((r) => ({
    reason: r.reason,
    total: r.total,
    pending: r.pending,
    manuallyResolved: r.manually_resolved,
    permanentlyFailed: r.permanently_failed,
    cancelled: r.cancelled,
    oldest: r.oldest,
    newest: r.newest,
    avgResolutionMinutes: r.avg_resolution_minutes,
  }));
}

/**
 * Pending entries by `base score of the reason + minutes in the DLQ`, highest first. `baseScores` maps every
 * reason to its base score (one table, in the service). Older entries win ties.
 */
export async function listInvestigationQueue(
  sql: Sql,
  args: { scope: NamespaceScope; limit: number; baseScores: Readonly<Record<DlqReason, number>> },
): Promise<DlqInvestigationItem[]> {
  const rows = await sql<
    {
      dlq_entry_uuid: string;
      task_uuid: string;
      original_state: TaskState;
      reason: DlqReason;
      dlq_timestamp: Date;
      minutes_in_dlq: number;
      namespace: string;
      task_name: string;
      current_state: TaskState;
      time_in_state_minutes: number;
      priority_score: number;
    }[]
  >`
    select q.*, q.base_score + q.minutes_in_dlq as priority_score
    from (
      select d.dlq_entry_uuid, d.task_uuid, d.original_state, d.reason, d.dlq_timestamp,
             extract(epoch from now() - d.dlq_timestamp)::float8 / 60 as minutes_in_dlq,
             t.namespace, t.name as task_name, t.state as current_state,
             extract(epoch from now() - t.state_entered_at)::float8 / 60 as time_in_state_minutes,
             (${sql.json(args.baseScores)}::jsonb ->> d.reason)::float8 as base_score
      from tasker.dlq_entries d
      join tasker.tasks t on t.task_uuid = d.task_uuid
      where d.resolution_status = 'pending' ${inScope(sql, args.scope)}
    ) q
    order by priority_score desc, q.dlq_timestamp, q.dlq_entry_uuid
    limit ${args.limit}`;
  return rows.map((r) => ({
    dlqEntryUuid: r.dlq_entry_uuid,
    taskUuid: r.task_uuid,
    originalState: r.original_state,
    reason: r.reason,
    dlqTimestamp: r.dlq_timestamp,
    minutesInDlq: r.minutes_in_dlq,
    namespace: r.namespace,
    taskName: r.task_name,
    currentState: r.current_state,
    timeInStateMinutes: r.time_in_state_minutes,
    priorityScore: r.priority_score,
  }));
}

export interface StalenessThresholds {
  waitingForDependenciesMinutes: number;
  waitingForRetryMinutes: number;
  stepsInProcessMinutes: number;
  taskMaxLifetimeHours: number;
}

/**
 * Unfinished tasks in the states staleness detection watches, classified against the same thresholds the
 * detector uses (tasker.staleness_threshold_minutes / tasker.task_max_lifetime_minutes: config defaults,
 * overridden per template by `definition.lifecycle`). The ratio is the larger of minutes without progress ÷
 * state threshold (the detector's clock, tasker.task_progress_at) and age ÷ max lifetime: `warning` from
 * `warningRatio`, `stale` from 1. Tasks whose template's staleness_action is `none` are reported like the rest.
 */
export async function listStalenessCandidates(
  sql: Sql,
  args: { scope: NamespaceScope; limit: number; thresholds: StalenessThresholds; warningRatio: number },
): Promise<StalenessItem[]> {
  const th = args.thresholds;
  const rows = await sql<
    {
      task_uuid: string;
      namespace: string;
      task_name: string;
      current_state: TaskState;
      time_in_state_minutes: number;
      task_age_minutes: number;
      threshold_minutes: number;
      health_status: StalenessHealthStatus;
      priority: number;
    }[]
  >`
    with m as (
      select t.task_uuid, t.namespace, t.name as task_name, t.state as current_state, t.priority,
             extract(epoch from now() - t.state_entered_at)::float8 / 60 as time_in_state_minutes,
             extract(epoch from now() - t.created_at)::float8 / 60 as task_age_minutes,
             tasker.staleness_threshold_minutes(t.state, tp.definition, ${th.waitingForDependenciesMinutes}::int,
               ${th.waitingForRetryMinutes}::int, ${th.stepsInProcessMinutes}::int) as threshold_minutes,
             tasker.task_max_lifetime_minutes(tp.definition, ${th.taskMaxLifetimeHours}::int) as lifetime_minutes
      from tasker.tasks t
      join tasker.templates tp on tp.template_uuid = t.template_uuid
      where t.state in ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
        ${inScope(sql, args.scope)}
    ), r as (
      -- The detector's clock: minutes without progress (never more than the time in state, so a task below the
      -- warning share by time in state needs no progress lookup).
      select m.*, greatest(
               case when time_in_state_minutes / threshold_minutes >= ${args.warningRatio}::float8
                    then extract(epoch from now() - tasker.task_progress_at(m.task_uuid))::float8 / 60 / threshold_minutes
                    else time_in_state_minutes / threshold_minutes end,
               task_age_minutes / lifetime_minutes) as ratio
      from m
    )
    select task_uuid, namespace, task_name, current_state, time_in_state_minutes, task_age_minutes,
           threshold_minutes::float8 as threshold_minutes, priority,
           case when ratio >= 1 then 'stale' when ratio >= ${args.warningRatio}::float8 then 'warning' else 'healthy' end
             as health_status
    from r
    order by case when ratio >= 1 then 0 when ratio >= ${args.warningRatio}::float8 then 1 else 2 end,
             time_in_state_minutes desc, task_uuid
    limit ${args.limit}`;
  return rows.map((r) => ({
    taskUuid: r.task_uuid,
    namespace: r.namespace,
    taskName: r.task_name,
    currentState: r.current_state,
    timeInStateMinutes: r.time_in_state_minutes,
    taskAgeMinutes: r.task_age_minutes,
    stalenessThresholdMinutes: r.threshold_minutes,
    healthStatus: r.health_status,
    priority: r.priority,
  }));
}

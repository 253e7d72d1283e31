import type {
  DlqCreateInput,
  DlqEntry,
  DlqInvestigationItem,
  DlqListQuery,
  DlqStats,
  DlqUpdateInput,
  StalenessItem,
} from '../../domain/dlq.js';
import type {
  DlqCreateRequest,
  DlqEntryResponse,
  DlqInvestigationItemResponse,
  DlqListQueryParams,
  DlqStatsResponse,
  DlqUpdateRequest,
  StalenessItemResponse,
} from '../../schemas/rest/dlq.js';
import {
  definedEntry,
  nullableTimestampFromRest,
  nullableTimestampToRest,
  timestampFromRest,
  timestampToRest,
} from './common.js';

export function dlqEntryToRest(e: DlqEntry): DlqEntryResponse {
  return {
    dlq_entry_uuid: e.dlqEntryUuid,
    task_uuid: e.taskUuid,
    original_state: e.originalState,
    dlq_reason: e.reason,
    dlq_timestamp: timestampToRest(e.dlqTimestamp),
    resolution_status: e.resolutionStatus,
    resolution_timestamp: nullableTimestampToRest(e.resolutionTimestamp),
    resolution_notes: e.resolutionNotes,
    resolved_by: e.resolvedBy,
    task_snapshot: e.taskSnapshot,
    metadata: e.metadata,
    created_at: timestampToRest(e.createdAt),
    updated_at: timestampToRest(e.updatedAt),
  };
}

export function dlqEntryFromRest(r: DlqEntryResponse): DlqEntry {
  return {
    dlqEntryUuid: r.dlq_entry_uuid,
    taskUuid: r.task_uuid,
    originalState: r.original_state,
    reason: r.dlq_reason,
    dlqTimestamp: timestampFromRest(r.dlq_timestamp),
    resolutionStatus: r.resolution_status,
    resolutionTimestamp: nullableTimestampFromRest(r.resolution_timestamp),
    resolutionNotes: r.resolution_notes,
    resolvedBy: r.resolved_by,
    taskSnapshot: r.task_snapshot,
    metadata: r.metadata,
    createdAt: timestampFromRest(r.created_at),
    updatedAt: timestampFromRest(r.updated_at),
  };
}

export function dlqListQueryFromRest(q: DlqListQueryParams): DlqListQuery {
  return {
    limit: q.limit,
    offset: q.offset,
    ...definedEntry('resolutionStatus', q.resolution_status),
    ...definedEntry('reason', q.dlq_reason),
    ...definedEntry('namespace', q.namespace),
  };
}

export function dlqListQueryToRest(q: DlqListQuery): Record<string, string> {
  const params: Record<string, string> = { limit: String(q.limit), offset: String(q.offset) };
  if (q.resolutionStatus !== undefined) params.resolution_status = q.resolutionStatus;
  if (q.reason !== undefined) params.dlq_reason = q.reason;
  if (q.namespace !== undefined) params.namespace = q.namespace;
  return params;
}

export function dlqUpdateInputFromRest(b: DlqUpdateRequest): DlqUpdateInput {
  return {
    ...definedEntry('resolutionStatus', b.resolution_status),
    ...definedEntry('resolutionNotes', b.resolution_notes),
    ...definedEntry('resolvedBy', b.resolved_by),
    ...definedEntry('metadata', b.metadata),
  };
}

export function dlqUpdateInputToRest(i: DlqUpdateInput): DlqUpdateRequest {
  return {
    ...definedEntry('resolution_status', i.resolutionStatus),
    ...definedEntry('resolution_notes', i.resolutionNotes),
    ...definedEntry('resolved_by', i.resolvedBy),
    ...definedEntry('metadata', i.metadata),
  };
}

export function dlqStatsToRest(s: DlqStats): DlqStatsResponse {
  return {
    dlq_reason: s.reason,
    total_entries: s.totalEntries,
    pending: s.pending,
    manually_resolved: s.manuallyResolved,
    permanent_failures: s.permanentlyFailed,
    cancelled: s.cancelled,
    oldest_entry: nullableTimestampToRest(s.oldestEntry),
    newest_entry: nullableTimestampToRest(s.newestEntry),
    avg_resolution_time_minutes: s.avgResolutionTimeMinutes,
  };
}

export function dlqStatsFromRest(r: DlqStatsResponse): DlqStats {
  return {
    reason: r.dlq_reason,
    totalEntries: r.total_entries,
    pending: r.pending,
    manuallyResolved: r.manually_resolved,
    permanentlyFailed: r.permanent_failures,
    cancelled: r.cancelled,
    oldestEntry: nullableTimestampFromRest(r.oldest_entry),
    newestEntry: nullableTimestampFromRest(r.newest_entry),
    avgResolutionTimeMinutes: r.avg_resolution_time_minutes,
  };
}

export function dlqInvestigationItemToRest(i: DlqInvestigationItem): DlqInvestigationItemResponse {
  return {
    dlq_entry_uuid: i.dlqEntryUuid,
    task_uuid: i.taskUuid,
    original_state: i.originalState,
    dlq_reason: i.reason,
    dlq_timestamp: timestampToRest(i.dlqTimestamp),
    minutes_in_dlq: i.minutesInDlq,
    namespace_name: i.namespace,
    task_name: i.taskName,
    current_state: i.currentState,
    time_in_state_minutes: i.timeInStateMinutes,
    priority_score: i.priorityScore,
  };
}

export function dlqInvestigationItemFromRest(r: DlqInvestigationItemResponse): DlqInvestigationItem {
  return {
    dlqEntryUuid: r.dlq_entry_uuid,
    taskUuid: r.task_uuid,
    originalState: r.original_state,
    reason: r.dlq_reason,
    dlqTimestamp: timestampFromRest(r.dlq_timestamp),
    minutesInDlq: r.minutes_in_dlq,
    namespace: r.namespace_name,
    taskName: r.task_name,
    currentState: r.current_state,
    timeInStateMinutes: r.time_in_state_minutes,
    priorityScore: r.priority_score,
  };
}

export function stalenessItemToRest(i: StalenessItem): StalenessItemResponse {
  return {
    task_uuid: i.taskUuid,
    namespace_name: i.namespace,
    task_name: i.taskName,
    current_state: i.currentState,
    time_in_state_minutes: i.timeInStateMinutes,
    task_age_minutes: i.taskAgeMinutes,
    staleness_threshold_minutes: i.stalenessThresholdMinutes,
    health_status: i.healthStatus,
    priority: i.priority,
  };
}

export function stalenessItemFromRest(r: StalenessItemResponse): StalenessItem {
  return {
    taskUuid: r.task_uuid,
    namespace: r.namespace_name,
    taskName: r.task_name,
    currentState: r.current_state,
    timeInStateMinutes: r.time_in_state_minutes,
    taskAgeMinutes: r.task_age_minutes,
    stalenessThresholdMinutes: r.staleness_threshold_minutes,
    healthStatus: r.health_status,
    priority: r.priority,
  };
}

export function dlqCreateInputFromRest(body: DlqCreateRequest): DlqCreateInput {
  return { performedBy: body.performed_by, reason: body.reason };
}

export function dlqCreateInputToRest(input: DlqCreateInput): DlqCreateRequest {
  return { performed_by: input.performedBy, reason: input.reason };
}

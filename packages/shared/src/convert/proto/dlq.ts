// Dead letter queue (DlqService): domain ↔ proto.
import type {
  DlqCreateInput,
  DlqEntry,
  DlqInvestigationItem,
  DlqListQuery,
  DlqStats,
  DlqUpdateInput,
  StalenessItem,
} from '../../domain/dlq.js';
import type { JsonObject } from '../../domain/json.js';
import { PAGE_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { validationError } from '../../errors.js';
import type {
  CreateEntryRequest as PbCreateEntryRequest,
  CreateEntryResponse as PbCreateEntryResponse,
  DlqEntry as PbDlqEntry,
  DlqInvestigationQueueEntry as PbDlqInvestigationQueueEntry,
  DlqStats as PbDlqStats,
  ListEntriesRequest as PbListEntriesRequest,
  StalenessMonitoringEntry as PbStalenessMonitoringEntry,
  UpdateInvestigationRequest as PbUpdateInvestigationRequest,
  UpdateInvestigationResponse as PbUpdateInvestigationResponse,
} from '../../gen/tasker/v1/dlq.js';
import {
  RequestValidator,
  defined,
  nullableFromProto,
  nullableToProto,
  optionalDateFromProto,
  optionalDateToProto,
  requiredDateFromProto,
  structFromProto,
  structOrEmptyFromProto,
} from './common.js';
import {
  dlqReasonFromProto,
  dlqReasonToProto,
  dlqResolutionStatusFromProto,
  dlqResolutionStatusToProto,
  stalenessHealthStatusFromProto,
  stalenessHealthStatusToProto,
  taskStateFromProto,
  taskStateToProto,
} from './enums.js';

export function dlqEntryToProto(e: DlqEntry): PbDlqEntry {
  return {
    dlqEntryUuid: e.dlqEntryUuid,
    taskUuid: e.taskUuid,
    originalState: taskStateToProto(e.originalState),
    dlqReason: dlqReasonToProto(e.reason),
    dlqTimestamp: e.dlqTimestamp,
    resolutionStatus: dlqResolutionStatusToProto(e.resolutionStatus),
    resolutionTimestamp: optionalDateToProto(e.resolutionTimestamp),
    resolutionNotes: nullableToProto(e.resolutionNotes),
    resolvedBy: nullableToProto(e.resolvedBy),
    taskSnapshot: e.taskSnapshot,
    metadata: nullableToProto(e.metadata),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

export function dlqEntryFromProto(p: PbDlqEntry | undefined, path = 'entry'): DlqEntry {
  if (p === undefined) throw validationError([{ path, message: 'is required' }]);
  return {
    dlqEntryUuid: p.dlqEntryUuid,
    taskUuid: p.taskUuid,
    originalState: taskStateFromProto(p.originalState, `${path}.original_state`),
    reason: dlqReasonFromProto(p.dlqReason, `${path}.dlq_reason`),
    dlqTimestamp: requiredDateFromProto(p.dlqTimestamp, `${path}.dlq_timestamp`),
    resolutionStatus: dlqResolutionStatusFromProto(p.resolutionStatus, `${path}.resolution_status`),
    resolutionTimestamp: optionalDateFromProto(p.resolutionTimestamp),
    resolutionNotes: nullableFromProto(p.resolutionNotes),
    resolvedBy: nullableFromProto(p.resolvedBy),
    taskSnapshot: structOrEmptyFromProto(p.taskSnapshot),
    metadata: structFromProto(p.metadata),
    createdAt: requiredDateFromProto(p.createdAt, `${path}.created_at`),
    updatedAt: requiredDateFromProto(p.updatedAt, `${path}.updated_at`),
  };
}

/** As on REST: limit, offset and namespace within their rules, with the same defaults. */
export function dlqListQueryFromProto(req: PbListEntriesRequest): DlqListQuery {
  const v = new RequestValidator();
  const { dlqLimit, dlqOffset } = PAGE_LIMITS;
  const query: DlqListQuery = {
    limit: v.int('limit', req.limit ?? dlqLimit.default, dlqLimit),
    offset: v.int('offset', req.offset ?? dlqOffset.default, dlqOffset),
    ...defined('namespace', v.optionalString('namespace', req.namespace, TEXT_LIMITS.namespace)),
  };
  if (req.resolutionStatus !== undefined) {
    const status = v.decode(() => dlqResolutionStatusFromProto(req.resolutionStatus!, 'resolution_status'));
    if (status !== undefined) query.resolutionStatus = status;
  }
  if (req.reason !== undefined) {
    const reason = v.decode(() => dlqReasonFromProto(req.reason!, 'reason'));
    if (reason !== undefined) query.reason = reason;
  }
  v.done();
  return query;
}

export function dlqListQueryToProto(q: DlqListQuery): PbListEntriesRequest {
  return {
    resolutionStatus: q.resolutionStatus === undefined ? undefined : dlqResolutionStatusToProto(q.resolutionStatus),
    reason: q.reason === undefined ? undefined : dlqReasonToProto(q.reason),
    namespace: q.namespace,
    limit: q.limit,
    offset: q.offset,
  };
}

export interface DlqUpdateCommand {
  dlqEntryUuid: string;
  input: DlqUpdateInput;
}

export function dlqUpdateFromProto(req: PbUpdateInvestigationRequest): DlqUpdateCommand {
  const v = new RequestValidator();
  const dlqEntryUuid = v.uuid('dlq_entry_uuid', req.dlqEntryUuid);
  const status =
    req.resolutionStatus === undefined
      ? undefined
      : v.decode(() => dlqResolutionStatusFromProto(req.resolutionStatus!, 'resolution_status'));
  const input: DlqUpdateInput = {
    ...defined('resolutionStatus', status),
    ...defined(
      'resolutionNotes',
      v.optionalString('resolution_notes', req.resolutionNotes, TEXT_LIMITS.resolutionNotes),
    ),
    ...defined('resolvedBy', v.optionalString('resolved_by', req.resolvedBy, TEXT_LIMITS.actor)),
    ...defined('metadata', req.metadata as JsonObject | undefined),
  };
  v.done();
  return { dlqEntryUuid, input };
}

export function dlqUpdateToProto(c: DlqUpdateCommand): PbUpdateInvestigationRequest {
  return {
    dlqEntryUuid: c.dlqEntryUuid,
    resolutionStatus:
      c.input.resolutionStatus === undefined ? undefined : dlqResolutionStatusToProto(c.input.resolutionStatus),
    resolutionNotes: c.input.resolutionNotes,
    resolvedBy: c.input.resolvedBy,
    metadata: c.input.metadata,
  };
}

export function dlqUpdateResponseToProto(entry: DlqEntry): PbUpdateInvestigationResponse {
  return {
    success: true,
    message: 'investigation updated',
    dlqEntryUuid: entry.dlqEntryUuid,
    entry: dlqEntryToProto(entry),
  };
}

export function dlqUpdateResponseFromProto(r: PbUpdateInvestigationResponse): DlqEntry {
  return dlqEntryFromProto(r.entry);
}

export interface DlqCreateCommand {
  taskUuid: string;
  input: DlqCreateInput;
}

/** The REST body's rules (`performed_by`, `reason`). */
export function dlqCreateFromProto(req: PbCreateEntryRequest): DlqCreateCommand {
  const v = new RequestValidator();
  const taskUuid = v.uuid('task_uuid', req.taskUuid);
  const performedBy = v.string('performed_by', req.performedBy, TEXT_LIMITS.actor);
  const reason = v.string('reason', req.reason, TEXT_LIMITS.operatorReason);
  v.done();
  return { taskUuid, input: { performedBy, reason } };
}

export function dlqCreateToProto(c: DlqCreateCommand): PbCreateEntryRequest {
  return { taskUuid: c.taskUuid, performedBy: c.input.performedBy, reason: c.input.reason };
}

export function dlqCreateResponseToProto(entry: DlqEntry): PbCreateEntryResponse {
  return { entry: dlqEntryToProto(entry) };
}

export function dlqCreateResponseFromProto(r: PbCreateEntryResponse): DlqEntry {
  return dlqEntryFromProto(r.entry);
}

export function dlqStatsToProto(s: DlqStats): PbDlqStats {
  return {
    dlqReason: dlqReasonToProto(s.reason),
    totalEntries: s.totalEntries,
    pending: s.pending,
    manuallyResolved: s.manuallyResolved,
    permanentFailures: s.permanentlyFailed,
    cancelled: s.cancelled,
    oldestEntry: optionalDateToProto(s.oldestEntry),
    newestEntry: optionalDateToProto(s.newestEntry),
    avgResolutionTimeMinutes: nullableToProto(s.avgResolutionTimeMinutes),
  };
}

export function dlqStatsFromProto(p: PbDlqStats, path = 'stats[]'): DlqStats {
  return {
    reason: dlqReasonFromProto(p.dlqReason, `${path}.dlq_reason`),
    totalEntries: p.totalEntries,
    pending: p.pending,
    manuallyResolved: p.manuallyResolved,
    permanentlyFailed: p.permanentFailures,
    cancelled: p.cancelled,
    oldestEntry: optionalDateFromProto(p.oldestEntry),
    newestEntry: optionalDateFromProto(p.newestEntry),
    avgResolutionTimeMinutes: nullableFromProto(p.avgResolutionTimeMinutes),
  };
}

/** Investigation queue and staleness monitoring: `limit` as on REST, with its default. */
export function dlqLimitFromProto(req: { limit?: number | undefined }): number {
  const v = new RequestValidator();
  const rule = PAGE_LIMITS.dlqQueueLimit;
  const limit = v.int('limit', req.limit ?? rule.default, rule);
  v.done();
  return limit;
}

export function dlqInvestigationItemToProto(i: DlqInvestigationItem): PbDlqInvestigationQueueEntry {
  return {
    dlqEntryUuid: i.dlqEntryUuid,
    taskUuid: i.taskUuid,
    originalState: taskStateToProto(i.originalState),
    dlqReason: dlqReasonToProto(i.reason),
    dlqTimestamp: i.dlqTimestamp,
    minutesInDlq: i.minutesInDlq,
    namespaceName: nullableToProto(i.namespace),
    taskName: nullableToProto(i.taskName),
    currentState: i.currentState === null ? undefined : taskStateToProto(i.currentState),
    timeInStateMinutes: nullableToProto(i.timeInStateMinutes),
    priorityScore: i.priorityScore,
  };
}

export function dlqInvestigationItemFromProto(
  p: PbDlqInvestigationQueueEntry,
  path = 'entries[]',
): DlqInvestigationItem {
  return {
    dlqEntryUuid: p.dlqEntryUuid,
    taskUuid: p.taskUuid,
    originalState: taskStateFromProto(p.originalState, `${path}.original_state`),
    reason: dlqReasonFromProto(p.dlqReason, `${path}.dlq_reason`),
    dlqTimestamp: requiredDateFromProto(p.dlqTimestamp, `${path}.dlq_timestamp`),
    minutesInDlq: p.minutesInDlq,
    namespace: nullableFromProto(p.namespaceName),
    taskName: nullableFromProto(p.taskName),
    currentState: p.currentState === undefined ? null : taskStateFromProto(p.currentState, `${path}.current_state`),
    timeInStateMinutes: nullableFromProto(p.timeInStateMinutes),
    priorityScore: p.priorityScore,
  };
}

export function stalenessItemToProto(s: StalenessItem): PbStalenessMonitoringEntry {
  return {
    taskUuid: s.taskUuid,
    namespaceName: nullableToProto(s.namespace),
    taskName: nullableToProto(s.taskName),
    currentState: taskStateToProto(s.currentState),
    timeInStateMinutes: s.timeInStateMinutes,
    taskAgeMinutes: s.taskAgeMinutes,
    stalenessThresholdMinutes: s.stalenessThresholdMinutes,
    healthStatus: stalenessHealthStatusToProto(s.healthStatus),
    priority: s.priority,
  };
}

export function stalenessItemFromProto(p: PbStalenessMonitoringEntry, path = 'entries[]'): StalenessItem {
  return {
    taskUuid: p.taskUuid,
    namespace: nullableFromProto(p.namespaceName),
    taskName: nullableFromProto(p.taskName),
    currentState: taskStateFromProto(p.currentState, `${path}.current_state`),
    timeInStateMinutes: p.timeInStateMinutes,
    taskAgeMinutes: p.taskAgeMinutes,
    stalenessThresholdMinutes: p.stalenessThresholdMinutes,
    healthStatus: stalenessHealthStatusFromProto(p.healthStatus, `${path}.health_status`),
    priority: p.priority,
  };
}

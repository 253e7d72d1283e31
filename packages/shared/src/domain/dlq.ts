import type { JsonObject } from './json.js';
import type { TaskState } from './states.js';

export const DLQ_REASONS = [
  'staleness_timeout',
  'max_retries_exceeded',
  'dependency_cycle_detected',
  'worker_unavailable',
  'manual_dlq',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

export const DLQ_RESOLUTION_STATUSES = ['pending', 'manually_resolved', 'permanently_failed', 'cancelled'] as const;
export type DlqResolutionStatus = (typeof DLQ_RESOLUTION_STATUSES)[number];

/** An investigation record: why a task got stuck, its snapshot, and the operator's conclusion. */
export interface DlqEntry {
  dlqEntryUuid: string;
  taskUuid: string;
  originalState: TaskState;
  reason: DlqReason;
  dlqTimestamp: Date;
  resolutionStatus: DlqResolutionStatus;
  resolutionTimestamp: Date | null;
  resolutionNotes: string | null;
  resolvedBy: string | null;
  taskSnapshot: JsonObject;
  metadata: JsonObject | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DlqListQuery {
  resolutionStatus?: DlqResolutionStatus;
  reason?: DlqReason;
  namespace?: string;
  limit: number;
  offset: number;
}

export interface DlqUpdateInput {
  resolutionStatus?: DlqResolutionStatus;
  resolutionNotes?: string;
  resolvedBy?: string;
  metadata?: JsonObject;
}

/** Opening a `manual_dlq` entry: who opens it and why (both kept in the entry's snapshot). */
export interface DlqCreateInput {
  performedBy: string;
  reason: string;
}

export interface DlqStats {
  reason: DlqReason;
  totalEntries: number;
  pending: number;
  manuallyResolved: number;
  permanentlyFailed: number;
  cancelled: number;
  oldestEntry: Date | null;
  newestEntry: Date | null;
  avgResolutionTimeMinutes: number | null;
}

export interface DlqInvestigationItem {
  dlqEntryUuid: string;
  taskUuid: string;
  originalState: TaskState;
  reason: DlqReason;
  dlqTimestamp: Date;
  minutesInDlq: number;
  namespace: string | null;
  taskName: string | null;
  currentState: TaskState | null;
  timeInStateMinutes: number | null;
  priorityScore: number;
}

export const STALENESS_HEALTH_STATUSES = ['healthy', 'warning', 'stale'] as const;
export type StalenessHealthStatus = (typeof STALENESS_HEALTH_STATUSES)[number];

export interface StalenessItem {
  taskUuid: string;
  namespace: string | null;
  taskName: string | null;
  currentState: TaskState;
  timeInStateMinutes: number;
  taskAgeMinutes: number;
  stalenessThresholdMinutes: number;
  healthStatus: StalenessHealthStatus;
  priority: number;
}

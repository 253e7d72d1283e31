// DLQ investigations: the operator's view of tasks that got stuck (docs/operations.md §1), with our rules on top
// of the reference's "any field, any status":
// - A `pending` entry closes once, to manually_resolved / permanently_failed / cancelled; closing stamps
//   resolution_timestamp and needs resolved_by. A closed entry's status and resolved_by never change again
//   (repeating the same values is a no-op, so a retried PATCH succeeds); changing them is INVALID_STATE.
// - Notes are append-only: the first note is stored as given, each later one is appended under a
//   "[<ISO time> <author>]" header, so nothing an investigator wrote is ever lost, even after closing.
// - Metadata is merged key by key. While pending, a key may be overwritten; once closed, keys may only be
//   added (a different value for an existing key is INVALID_STATE).
// Namespace-scoped principals see only entries whose task is in their namespaces; others are NOT_FOUND.
import { AppError, validationError } from '@tasker/shared/errors';
import { canAccessNamespace, type Principal } from '@tasker/shared/permissions';
import type { Config } from '@tasker/shared/config';
import {
  DLQ_REASONS,
  PAGE_LIMITS,
  type DlqEntry,
  type DlqReason,
  type DlqStats,
  type DlqUpdateInput,
  type JsonObject,
  type JsonValue,
} from '@tasker/shared';
import type { Sql } from 'postgres';
import {
  countDlqEntriesByReason,
  findLatestDlqEntryForTask,
  listDlqEntries,
  listInvestigationQueue,
  listStalenessCandidates,
  lockDlqEntry,
  openManualDlqEntry,
  updateDlqEntry,
  type DlqEntryChanges,
  type NamespaceScope,
} from '../repositories/dlq-investigations.js';
import { assertInt, assertUuid } from './access.js';
import type { DlqService } from './types.js';

/** Base priority of a pending entry per reason (docs/operations.md §1); minutes in the DLQ are added on top. */
export const DLQ_BASE_SCORES: Readonly<Record<DlqReason, number>> = Object.freeze({
  dependency_cycle_detected: 1000,
  max_retries_exceeded: 500,
  staleness_timeout: 100,
  worker_unavailable: 50,
  manual_dlq: 10,
});

/** Staleness monitoring reports `warning` from this share of the threshold, `stale` from 100 %. */
export const STALENESS_WARNING_RATIO = 0.8;

export interface DlqServiceDeps {
  sql: Sql;
  config: Config;
}

function scopeOf(principal: Principal): NamespaceScope {
  return principal.namespaces;
}

export function createDlqService({ sql, config }: DlqServiceDeps): DlqService {
  const thresholds = config.staleness.thresholds;

  return {
    async list(principal, query) {
      assertInt(query.limit, 'limit', PAGE_LIMITS.dlqLimit);
      assertInt(query.offset, 'offset', PAGE_LIMITS.dlqOffset);
      if (query.namespace !== undefined && !canAccessNamespace(principal, query.namespace)) return [];
      return listDlqEntries(sql, {
        ...(query.resolutionStatus !== undefined ? { resolutionStatus: query.resolutionStatus } : {}),
        ...(query.reason !== undefined ? { reason: query.reason } : {}),
        ...(query.namespace !== undefined ? { namespace: query.namespace } : {}),
        scope: scopeOf(principal),
        limit: query.limit,
        offset: query.offset,
      });
    },

    async getByTask(principal, taskUuid) {
      assertUuid(taskUuid, 'task_uuid');
      const found = await findLatestDlqEntryForTask(sql, taskUuid);
      if (found === undefined || !canAccessNamespace(principal, found.namespace)) {
        throw new AppError('NOT_FOUND', `No DLQ entry for task ${taskUuid}`, { details: { task_uuid: taskUuid } });
      }
      return found.entry;
    },

    async update(principal, dlqEntryUuid, input) {
      assertUuid(dlqEntryUuid, 'dlq_entry_uuid');
      return sql.begin(async (tx) => {
        const txSql = tx as unknown as Sql;
        const locked = await lockDlqEntry(txSql, dlqEntryUuid);
        if (locked === undefined || !canAccessNamespace(principal, locked.namespace)) {
          throw new AppError('NOT_FOUND', `DLQ entry ${dlqEntryUuid} not found`, {
            details: { dlq_entry_uuid: dlqEntryUuid },
          });
        }
        const changes = planDlqUpdate(locked.entry, input, principal.subject, locked.now);
        if (changes === undefined) return locked.entry;
        return updateDlqEntry(txSql, dlqEntryUuid, changes);
      });
    },

    async create(principal, taskUuid, input) {
      assertUuid(taskUuid, 'task_uuid');
      const result = await openManualDlqEntry(sql, taskUuid, input.performedBy, input.reason, scopeOf(principal));
      if (result.outcome === 'not_found') {
        throw new AppError('NOT_FOUND', `Task ${taskUuid} not found`, { details: { task_uuid: taskUuid } });
      }
      if (result.outcome === 'already_exists') {
        throw new AppError('ALREADY_EXISTS', `Task ${taskUuid} already has a pending DLQ entry`, {
          details: { task_uuid: taskUuid, dlq_entry_uuid: result.dlqEntryUuid },
        });
      }
      return result.entry;
    },

    async stats(principal) {
      const counts = new Map((await countDlqEntriesByReason(sql, scopeOf(principal))).map((c) => [c.reason, c]));
      // Every reason, always, in vocabulary order: dashboards get a stable shape with explicit zeros.
      return DLQ_REASONS.map((reason): DlqStats => {
        const c = counts.get(reason);
        return {
          reason,
          totalEntries: c?.total ?? 0,
          pending: c?.pending ?? 0,
          manuallyResolved: c?.manuallyResolved ?? 0,
          permanentlyFailed: c?.permanentlyFailed ?? 0,
          cancelled: c?.cancelled ?? 0,
          oldestEntry: c?.oldest ?? null,
          newestEntry: c?.newest ?? null,
          avgResolutionTimeMinutes: c?.avgResolutionMinutes ?? null,
        };
      });
    },

    async investigationQueue(principal, limit) {
      assertInt(limit, 'limit', PAGE_LIMITS.dlqQueueLimit);
      return listInvestigationQueue(sql, { scope: scopeOf(principal), limit, baseScores: DLQ_BASE_SCORES });
    },

    async staleness(principal, limit) {
      assertInt(limit, 'limit', PAGE_LIMITS.dlqQueueLimit);
      return listStalenessCandidates(sql, {
        scope: scopeOf(principal),
        limit,
        warningRatio: STALENESS_WARNING_RATIO,
        thresholds: {
          waitingForDependenciesMinutes: thresholds.waiting_for_dependencies_minutes,
          waitingForRetryMinutes: thresholds.waiting_for_retry_minutes,
          stepsInProcessMinutes: thresholds.steps_in_process_minutes,
          taskMaxLifetimeHours: thresholds.task_max_lifetime_hours,
        },
      });
    },
  };
}

/**
 * The row an update leads to, or undefined when nothing changes. Pure: the rules of the file header.
 * @throws AppError INVALID_STATE (rewriting a closed entry), VALIDATION_FAILED (closing without resolved_by,
 *   resolved_by on an entry that stays open)
 */
export function planDlqUpdate(
  current: DlqEntry,
  input: DlqUpdateInput,
  actor: string,
  now: Date,
): DlqEntryChanges | undefined {
  const open = current.resolutionStatus === 'pending';
  const next: DlqEntryChanges = {
    resolutionStatus: current.resolutionStatus,
    resolutionTimestamp: current.resolutionTimestamp,
    resolutionNotes: current.resolutionNotes,
    resolvedBy: current.resolvedBy,
    metadata: current.metadata,
  };
  let changed = false;

  if (open) {
    const closing = input.resolutionStatus !== undefined && input.resolutionStatus !== 'pending';
    if (closing && input.resolvedBy === undefined) {
      throw validationError([{ path: 'resolved_by', message: 'required when closing an entry' }]);
    }
    if (!closing && input.resolvedBy !== undefined) {
      throw validationError([
        { path: 'resolved_by', message: 'only recorded when the entry is closed (set resolution_status too)' },
      ]);
    }
    if (closing) {
      next.resolutionStatus = input.resolutionStatus as DlqEntryChanges['resolutionStatus'];
      next.resolutionTimestamp = now;
      next.resolvedBy = input.resolvedBy as string;
      changed = true;
    }
  } else {
    if (input.resolutionStatus !== undefined && input.resolutionStatus !== current.resolutionStatus) {
      throw new AppError(
        'INVALID_STATE',
        `DLQ entry ${current.dlqEntryUuid} is closed (${current.resolutionStatus}); its status cannot change`,
        { details: { resolution_status: current.resolutionStatus } },
      );
    }
    if (input.resolvedBy !== undefined && input.resolvedBy !== current.resolvedBy) {
      throw new AppError(
        'INVALID_STATE',
        `DLQ entry ${current.dlqEntryUuid} was closed by ${current.resolvedBy ?? 'unknown'}; resolved_by cannot change`,
        { details: { resolved_by: current.resolvedBy } },
      );
    }
  }

  if (input.metadata !== undefined) {
    const merged = mergeMetadata(current, input.metadata, open);
    if (merged !== current.metadata) {
      next.metadata = merged;
      changed = true;
    }
  }
  if (input.resolutionNotes !== undefined) {
    const author = input.resolvedBy ?? actor;
    next.resolutionNotes =
      current.resolutionNotes === null
        ? input.resolutionNotes
        : `${current.resolutionNotes}\n\n[${now.toISOString()} ${author}] ${input.resolutionNotes}`;
    changed = true;
  }
  return changed ? next : undefined;
}

function mergeMetadata(current: DlqEntry, patch: JsonObject, open: boolean): JsonObject | null {
  const base = current.metadata ?? {};
  const conflicts = open
    ? []
    : Object.keys(patch).filter((k) => Object.hasOwn(base, k) && !sameJson(base[k], patch[k]));
  if (conflicts.length > 0) {
    throw new AppError(
      'INVALID_STATE',
      `DLQ entry ${current.dlqEntryUuid} is closed; metadata keys can be added but not changed: ${conflicts.join(', ')}`,
      { details: { keys: conflicts } },
    );
  }
  const additions = Object.keys(patch).filter((k) => !Object.hasOwn(base, k) || !sameJson(base[k], patch[k]));
  if (additions.length === 0) return current.metadata;
  return { ...base, ...patch };
}

function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: JsonValue | undefined): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as JsonObject)[k])]),
    );
  }
  return value;
}

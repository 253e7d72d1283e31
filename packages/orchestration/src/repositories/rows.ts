// Row → domain conversions. Repositories are the only place that sees snake_case rows.
import type {
  DlqEntry,
  JsonObject,
  JsonValue,
  Step,
  StepAudit,
  StepBatch,
  StepCheckpoint,
  StepError,
  StepState,
  StepType,
  Task,
  TaskState,
  Template,
  TemplateDefinition,
  WorkerInfo,
} from '@tasker/shared';
import { stepReadinessOf, taskExecutionOf, type StepCounts } from '@tasker/shared/domain/readiness';

export interface TaskRow {
  task_uuid: string;
  template_uuid: string;
  namespace: string;
  name: string;
  version: string;
  state: TaskState;
  state_entered_at: Date;
  context: JsonObject;
  initiator: string;
  source_system: string;
  reason: string;
  priority: number;
  tags: string[];
  correlation_id: string;
  parent_correlation_id: string | null;
  identity_hash: string;
  idempotency_key: string | null;
  /** NULL when the request gave none. */
  options: Record<string, string> | null;
  requested_at: Date;
  run_at: Date | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  steps_total: number;
  steps_pending: number;
  /** Enqueued + running: one counter, so a claim leaves the task row alone. */
  steps_active: number;
  /** Counted from the steps by the read (tasks.ts `withStepsInProgress`), not stored. */
  steps_in_progress: number;
  steps_waiting_for_retry: number;
  steps_complete: number;
  steps_error: number;
  steps_cancelled: number;
  steps_resolved_manually: number;
}

export function countsFromRow(row: TaskRow): StepCounts {
  return {
    total: row.steps_total,
    pending: row.steps_pending,
    enqueued: row.steps_active - row.steps_in_progress,
    inProgress: row.steps_in_progress,
    // Passed through inside one transaction: no step rests there (docs/engine.md, "History").
    enqueuedForOrchestration: 0,
    enqueuedAsErrorForOrchestration: 0,
    waitingForRetry: row.steps_waiting_for_retry,
    complete: row.steps_complete,
    error: row.steps_error,
    cancelled: row.steps_cancelled,
    resolvedManually: row.steps_resolved_manually,
  };
}

export function taskFromRow(row: TaskRow): Task {
  return {
    taskUuid: row.task_uuid,
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    state: row.state,
    context: row.context,
    initiator: row.initiator,
    sourceSystem: row.source_system,
    reason: row.reason,
    priority: row.priority,
    tags: row.tags,
    correlationId: row.correlation_id,
    parentCorrelationId: row.parent_correlation_id,
    idempotencyKey: row.idempotency_key,
    options: row.options ?? {},
    requestedAt: row.requested_at,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    execution: taskExecutionOf(countsFromRow(row), row.state),
  };
}

export interface StepRow {
  step_uuid: string;
  task_uuid: string;
  name: string;
  state: StepState;
  handler_callable: string;
  retryable: boolean;
  max_attempts: number;
  attempts: number;
  total_parents: number;
  unsatisfied_parents: number;
  results: JsonValue | null;
  last_error: JsonObject | null;
  backoff_request_seconds: number | null;
  next_retry_at: Date | null;
  last_attempted_at: Date | null;
  last_failure_at: Date | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  checkpoint: JsonObject | null;
  step_type: StepType;
  created_by_step_uuid: string | null;
  created_by_step_name: string | null;
  /** A batch worker instance's template; NULL otherwise. */
  template_step: string | null;
  /** `initialization.cursor` of a batch worker instance (the cursor config it was created with). */
  batch_cursor: JsonValue | null;
  batch_no_op: JsonValue | null;
}

/** steps.checkpoint as migration 0024 writes it (snake_case JSON, timestamps as text). */
export function checkpointFromJson(value: JsonObject | null): StepCheckpoint | null {
  if (value === null) return null;
  const history = Array.isArray(value['history']) ? (value['history'] as JsonObject[]) : [];
  return {
    cursor: value['cursor'] ?? null,
    itemsProcessed: Number(value['items_processed'] ?? 0),
    accumulatedResults: value['accumulated_results'] ?? null,
    attempt: Number(value['attempt'] ?? 0),
    timestamp: new Date(String(value['timestamp'])),
    history: history.map((h) => ({
      cursor: h['cursor'] ?? null,
      timestamp: new Date(String(h['timestamp'])),
      attempt: Number(h['attempt'] ?? 0),
    })),
  };
}

/**
 * A batch worker's batch from its stored cursor config (expand_step validated it: an id and non-null cursors);
 * null for other steps.
 */
export function stepBatchFromRow(row: StepRow): StepBatch | null {
  const c = row.batch_cursor;
  if (row.template_step === null || c === null || typeof c !== 'object' || Array.isArray(c)) return null;
  const { batch_id: batchId, start_cursor: start, end_cursor: end, batch_size: size } = c;
  if (typeof batchId !== 'string' || start === undefined || start === null || end === undefined || end === null)
    return null;
  return {
    templateStep: row.template_step,
    batchId,
    startCursor: start,
    endCursor: end,
    batchSize: typeof size === 'number' ? size : null,
    noOp: row.batch_no_op === true,
  };
}

export function stepErrorFromJson(value: JsonObject | null): StepError | null {
  if (value === null) return null;
  return {
    message: typeof value['message'] === 'string' ? value['message'] : '',
    errorType: typeof value['error_type'] === 'string' ? value['error_type'] : null,
    retryable: value['retryable'] === true,
    statusCode: typeof value['status_code'] === 'number' ? value['status_code'] : null,
  };
}

export function stepFromRow(row: StepRow, now: Date = new Date()): Step {
  const readiness = stepReadinessOf(
    {
      state: row.state,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      retryable: row.retryable,
      totalParents: row.total_parents,
      unsatisfiedParents: row.unsatisfied_parents,
      nextRetryAt: row.next_retry_at,
    },
    now,
  );
  return {
    stepUuid: row.step_uuid,
    taskUuid: row.task_uuid,
    name: row.name,
    state: row.state,
    handlerCallable: row.handler_callable,
    stepType: row.step_type,
    createdByStepUuid: row.created_by_step_uuid,
    createdByStepName: row.created_by_step_name,
    batch: stepBatchFromRow(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    results: row.results,
    dependenciesSatisfied: readiness.dependenciesSatisfied,
    retryEligible: readiness.retryEligible,
    readyForExecution: readiness.readyForExecution,
    totalParents: row.total_parents,
    completedParents: readiness.completedParents,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    retryable: row.retryable,
    lastFailureAt: row.last_failure_at,
    nextRetryAt: row.next_retry_at,
    lastAttemptedAt: row.last_attempted_at,
    backoffRequestSeconds: row.backoff_request_seconds,
    lastError: stepErrorFromJson(row.last_error),
    checkpoint: checkpointFromJson(row.checkpoint),
  };
}

export interface StepAuditRow {
  audit_uuid: string;
  step_uuid: string;
  task_uuid: string;
  step_name: string;
  event_id: number;
  recorded_at: Date;
  action: StepAudit['action'];
  worker_id: string | null;
  performed_by: string | null;
  reason: string | null;
  correlation_id: string | null;
  success: boolean;
  execution_time_ms: number | null;
  result: JsonValue | null;
  from_state: StepState | null;
  to_state: StepState;
}

export function stepAuditFromRow(row: StepAuditRow): StepAudit {
  return {
    auditUuid: row.audit_uuid,
    stepUuid: row.step_uuid,
    taskUuid: row.task_uuid,
    stepName: row.step_name,
    eventId: row.event_id,
    recordedAt: row.recorded_at,
    action: row.action,
    workerId: row.worker_id,
    performedBy: row.performed_by,
    reason: row.reason,
    correlationId: row.correlation_id,
    success: row.success,
    executionTimeMs: row.execution_time_ms,
    result: row.result,
    fromState: row.from_state,
    toState: row.to_state,
  };
}

export interface TemplateRow {
  template_uuid: string;
  namespace: string;
  name: string;
  version: string;
  description: string | null;
  definition: TemplateDefinition;
  configuration: JsonObject;
  content_hash: string;
  created_at: Date;
  updated_at: Date;
}

export function templateFromRow(row: TemplateRow): Template {
  return {
    templateUuid: row.template_uuid,
    definition: row.definition,
    configuration: row.configuration,
    contentHash: row.content_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface WorkerRow {
  worker_id: string;
  hostname: string;
  version: string;
  namespaces: string[];
  handlers: string[];
  metadata: JsonObject;
  registered_at: Date;
  last_seen_at: Date;
}

export function workerFromRow(row: WorkerRow, livenessSeconds: number, now: Date = new Date()): WorkerInfo {
  return {
    workerId: row.worker_id,
    hostname: row.hostname,
    version: row.version,
    namespaces: row.namespaces,
    handlers: row.handlers,
    metadata: row.metadata,
    registeredAt: row.registered_at,
    lastSeenAt: row.last_seen_at,
    live: now.getTime() - row.last_seen_at.getTime() <= livenessSeconds * 1000,
  };
}

export interface DlqEntryRow {
  dlq_entry_uuid: string;
  task_uuid: string;
  original_state: TaskState;
  reason: DlqEntry['reason'];
  dlq_timestamp: Date;
  resolution_status: DlqEntry['resolutionStatus'];
  resolution_timestamp: Date | null;
  resolution_notes: string | null;
  resolved_by: string | null;
  task_snapshot: JsonObject;
  metadata: JsonObject | null;
  created_at: Date;
  updated_at: Date;
}

export function dlqEntryFromRow(row: DlqEntryRow): DlqEntry {
  return {
    dlqEntryUuid: row.dlq_entry_uuid,
    taskUuid: row.task_uuid,
    originalState: row.original_state,
    reason: row.reason,
    dlqTimestamp: row.dlq_timestamp,
    resolutionStatus: row.resolution_status,
    resolutionTimestamp: row.resolution_timestamp,
    resolutionNotes: row.resolution_notes,
    resolvedBy: row.resolved_by,
    taskSnapshot: row.task_snapshot,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

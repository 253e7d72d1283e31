// Step queries: read models and the operator action (one call into tasker.apply_step_action).
import type { JsonObject, JsonValue, Step, StepAudit, StepManualAction, StepState, TaskState } from '@tasker/shared';
import type { JSONValue } from 'postgres';
import { stepAuditFromRow, stepFromRow, type StepAuditRow, type StepRow } from './rows.js';
import type { Db } from './tasks.js';

// The creator's name by a self-join (steps of one task, by primary key); a batch worker's batch from its stored
// inputs, the only part of `initialization` a read needs.
const STEP_SELECT = `SELECT s.step_uuid, s.task_uuid, s.name, s.state, s.handler_callable, s.retryable, s.max_attempts,
  s.attempts, s.total_parents, s.unsatisfied_parents, s.results, s.last_error, s.backoff_request_seconds,
  s.next_retry_at, s.last_attempted_at, s.last_failure_at, s.created_at, s.updated_at, s.completed_at, s.step_type,
  s.created_by_step_uuid, c.name AS created_by_step_name, s.template_step, s.checkpoint,
  CASE WHEN s.template_step IS NOT NULL THEN s.initialization->'cursor' END AS batch_cursor,
  CASE WHEN s.template_step IS NOT NULL THEN s.initialization->'is_no_op' END AS batch_no_op
  FROM tasker.steps s LEFT JOIN tasker.steps c ON c.step_uuid = s.created_by_step_uuid`;

/** Steps of a task in creation order (template order within one creation), readiness judged at `now`. */
export async function listSteps(sql: Db, taskUuid: string, now?: Date): Promise<Step[]> {
  const rows = await sql<StepRow[]>`
    ${sql.unsafe(STEP_SELECT)} WHERE s.task_uuid = ${taskUuid} ORDER BY s.created_at, s.step_uuid`;
  const at = now ?? new Date();
  return rows.map((r) => stepFromRow(r, at));
}

/** The step only when it belongs to `taskUuid`. */
export async function findStep(sql: Db, taskUuid: string, stepUuid: string): Promise<Step | undefined> {
  const [row] = await sql<StepRow[]>`
    ${sql.unsafe(STEP_SELECT)} WHERE s.step_uuid = ${stepUuid} AND s.task_uuid = ${taskUuid}`;
  return row === undefined ? undefined : stepFromRow(row);
}

/**
 * Audit rows of a step, newest first: what workers reported (its finished attempts) and what operators did
 * (their step transitions, payload in metadata), plus the step_audit rows written before attempts carried
 * their events (0017). A cancelled running attempt is the cancel's audit row; releases are not audited.
 */
export async function listStepAudit(sql: Db, taskUuid: string, stepUuid: string): Promise<StepAudit[]> {
  const rows = await sql<StepAuditRow[]>`
    SELECT x.*, s.name AS step_name, t.correlation_id::text AS correlation_id
    FROM (
      SELECT a.audit_uuid, a.step_uuid, a.task_uuid, a.event_id, a.recorded_at, a.action, a.worker_id, a.performed_by,
             a.reason, a.success, a.execution_time_ms, a.result, a.from_state, a.to_state
      FROM tasker.step_audit a
      WHERE a.step_uuid = ${stepUuid} AND a.task_uuid = ${taskUuid}
      UNION ALL
      SELECT a.lease_token, a.step_uuid, a.task_uuid, a.finish_event_id, a.finished_at,
             CASE a.outcome WHEN 'lease_expired' THEN 'lease_expired' WHEN 'cancelled' THEN 'cancel' ELSE 'worker_result' END,
             a.worker_id, CASE WHEN a.outcome = 'cancelled' THEN a.finished_by END,
             a.error->>'message', a.outcome IN ('completed', 'cancelled'), a.execution_time_ms,
             CASE WHEN a.outcome = 'completed' THEN st.results ELSE a.error END,
             'in_progress', a.to_state
      FROM tasker.step_attempts a JOIN tasker.steps st ON st.step_uuid = a.step_uuid
      WHERE a.step_uuid = ${stepUuid} AND a.task_uuid = ${taskUuid} AND a.finish_event_id IS NOT NULL
        AND a.outcome <> 'released'
      UNION ALL
      -- A stable id for the action's audit row: its (task, event) hashed into an RFC 9562 version-8 UUID.
      SELECT overlay(overlay(md5(tr.task_uuid::text || ':' || tr.event_id) PLACING '8' FROM 13) PLACING '8' FROM 17)::uuid,
             tr.step_uuid, tr.task_uuid, tr.event_id, tr.created_at,
             tr.event, NULL, tr.actor, tr.reason, true, NULL, tr.metadata->'payload', tr.from_state, tr.to_state
      FROM tasker.step_transitions tr
      WHERE tr.step_uuid = ${stepUuid} AND tr.task_uuid = ${taskUuid}
        AND tr.event IN ('reset_for_retry', 'resolve_manually', 'complete_manually', 'cancel')
        AND NOT EXISTS (SELECT 1 FROM tasker.step_audit o WHERE o.task_uuid = tr.task_uuid AND o.event_id = tr.event_id)
    ) x
    JOIN tasker.steps s ON s.step_uuid = x.step_uuid
    JOIN tasker.tasks t ON t.task_uuid = x.task_uuid
    ORDER BY x.event_id DESC`;
  return rows.map(stepAuditFromRow);
}

/** invalid_outcome: complete_manually of a decision or batchable step whose result's outcome cannot be applied. */
export type StepActionOutcome = 'ok' | 'not_found' | 'invalid_state' | 'invalid_outcome';

/** What complete_manually stores: the result as the step's results, and an audit payload with the metadata. */
function manualPayload(action: StepManualAction): { result: JsonValue | null; audit: JsonValue | null } {
  if (action.type !== 'complete_manually') return { result: null, audit: null };
  const metadata: JsonObject = {
    ...(action.metadata ?? {}),
    manually_completed: true,
    completed_by: action.performedBy,
    completion_reason: action.reason,
  };
  return { result: action.result, audit: { result: action.result, metadata } };
}

/** One operator action (tasker.apply_step_action), audited with who and why. */
export async function applyStepAction(
  sql: Db,
  args: { taskUuid: string; stepUuid: string; action: StepManualAction; namespaces: readonly string[] | null },
): Promise<{
  outcome: StepActionOutcome;
  stepState: StepState | null;
  taskState: TaskState | null;
  detail: string | null;
}> {
  const { action } = args;
  const payload = manualPayload(action);
  const result = payload.result === null ? null : sql.json(payload.result as JSONValue);
  const audit = payload.audit === null ? null : sql.json(payload.audit as JSONValue);
  const [row] = await sql<
    { outcome: StepActionOutcome; step_state: StepState | null; task_state: TaskState | null; detail: string | null }[]
  >`
    SELECT * FROM tasker.apply_step_action(${args.taskUuid}, ${args.stepUuid}, ${action.type}, ${action.performedBy},
      ${action.reason}, ${result}::jsonb, ${audit}::jsonb, ${args.namespaces as string[] | null}::text[])`;
  return {
    outcome: row?.outcome ?? 'not_found',
    stepState: row?.step_state ?? null,
    taskState: row?.task_state ?? null,
    detail: row?.detail ?? null,
  };
}

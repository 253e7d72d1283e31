// Dispatch and results: one call into the engine's SQL functions (migrations 0013–0014) each.
import type {
  CheckpointStepInput,
  ClaimedStep,
  JsonObject,
  JsonValue,
  LeaseRef,
  StepFailure,
  StepCheckpoint,
  StepResultReport,
  StepState,
  TaskState,
} from '@tasker/shared';
import type { JSONValue } from 'postgres';
import { checkpointFromJson } from './rows.js';
import type { Db } from './tasks.js';

interface ClaimRow {
  task_uuid: string;
  step_uuid: string;
  step_name: string;
  namespace: string;
  task_name: string;
  task_version: string;
  handler_callable: string;
  handler_method: string | null;
  initialization: JsonObject;
  context: JsonObject;
  parent_results: Record<string, JsonValue>;
  attempt: number;
  max_attempts: number;
  lease_token: string;
  lease_expires_at: Date;
  timeout_seconds: number | null;
  correlation_id: string;
  checkpoint: JsonObject | null;
}

function claimedFromRow(r: ClaimRow): ClaimedStep {
  return {
    taskUuid: r.task_uuid,
    stepUuid: r.step_uuid,
    stepName: r.step_name,
    namespace: r.namespace,
    taskName: r.task_name,
    taskVersion: r.task_version,
    handler: { callable: r.handler_callable, method: r.handler_method, initialization: r.initialization },
    context: r.context,
    parentResults: r.parent_results,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    leaseToken: r.lease_token,
    leaseExpiresAt: r.lease_expires_at,
    timeoutSeconds: r.timeout_seconds,
    correlationId: r.correlation_id,
    checkpoint: checkpointFromJson(r.checkpoint),
  };
}

export interface ClaimArgs {
  workerId: string;
  namespaces: readonly string[] | null;
  handlers: readonly string[] | null;
  max: number;
  leaseMs: number;
}

export async function claimSteps(sql: Db, args: ClaimArgs): Promise<ClaimedStep[]> {
  const rows = await sql<ClaimRow[]>`
    SELECT * FROM tasker.claim_steps(${args.workerId}, ${args.namespaces as string[] | null}::text[],
      ${args.handlers as string[] | null}::text[], ${args.max}, ${args.leaseMs})`;
  return rows.map(claimedFromRow);
}

export type LeaseCheck = 'valid' | 'cancelled' | 'lost';

export async function heartbeatLeases(
  sql: Db,
  args: { workerId: string; leases: readonly LeaseRef[]; leaseMs: number; namespaces: readonly string[] | null },
): Promise<{ stepUuid: string; status: LeaseCheck; leaseExpiresAt: Date | null }[]> {
  const rows = await sql<{ step_uuid: string; status: LeaseCheck; lease_expires_at: Date | null }[]>`
    SELECT * FROM tasker.heartbeat_leases(${args.workerId}, ${args.leases.map((l) => l.stepUuid)}::uuid[],
      ${args.leases.map((l) => l.leaseToken)}::uuid[], ${args.leaseMs}, ${args.namespaces as string[] | null}::text[])`;
  return rows.map((r) => ({ stepUuid: r.step_uuid, status: r.status, leaseExpiresAt: r.lease_expires_at }));
}

export type ResultOutcome = 'ok' | 'not_found' | 'lease_lost' | 'cancelled';

export interface CheckpointArgs extends CheckpointStepInput {
  /** Bounds of the history ring: entries and bytes. */
  historyEntries: number;
  historyBytes: number;
  leaseMs: number;
  namespaces: readonly string[] | null;
}

/** One call into tasker.checkpoint_step (migration 0024): writes only when the lease token is current. */
export async function checkpointStep(
  sql: Db,
  args: CheckpointArgs,
): Promise<
  { outcome: 'ok'; leaseExpiresAt: Date; checkpoint: StepCheckpoint } | { outcome: Exclude<ResultOutcome, 'ok'> }
> {
  const payload = {
    cursor: args.cursor,
    items_processed: args.itemsProcessed,
    accumulated_results: args.accumulatedResults,
  };
  const [row] = await sql<{ outcome: ResultOutcome; lease_expires_at: Date | null; checkpoint: JsonObject | null }[]>`
    SELECT * FROM tasker.checkpoint_step(${args.workerId}, ${args.stepUuid}, ${args.leaseToken},
      ${sql.json(payload as JSONValue)}, ${args.historyEntries}, ${args.historyBytes}, ${args.leaseMs},
      ${args.namespaces as string[] | null}::text[])`;
  if (row === undefined) throw new Error('checkpoint_step returned no row');
  if (row.outcome !== 'ok') return { outcome: row.outcome };
  const checkpoint = checkpointFromJson(row.checkpoint);
  if (row.lease_expires_at === null || checkpoint === null) throw new Error('checkpoint without lease or value');
  return { outcome: 'ok', leaseExpiresAt: row.lease_expires_at, checkpoint };
}

export interface ResultRow {
  stepUuid: string;
  outcome: ResultOutcome;
  stepState: StepState | null;
  taskState: TaskState | null;
  nextRetryAt: Date | null;
}

interface RawResultRow {
  step_uuid: string;
  outcome: ResultOutcome;
  step_state: StepState | null;
  task_state: TaskState | null;
  next_retry_at: Date | null;
}

function resultFromRow(r: RawResultRow): ResultRow {
  return {
    stepUuid: r.step_uuid,
    outcome: r.outcome,
    stepState: r.step_state,
    taskState: r.task_state,
    nextRetryAt: r.next_retry_at,
  };
}

/** The step's last_error as stored (snake_case JSON). */
function failureJson(e: StepFailure): JsonObject {
  return {
    message: e.message,
    error_type: e.errorType,
    retryable: e.retryable,
    status_code: e.statusCode,
    backtrace: e.backtrace,
    context: e.context,
    retry_after_seconds: e.retryAfterSeconds,
  };
}

/** One worker result as tasker.report_results reads it. */
function resultPayload(r: StepResultReport): JsonObject {
  const exec = r.executionTimeMs === null ? null : Math.round(r.executionTimeMs);
  if (r.kind === 'completed') {
    return {
      status: 'completed',
      step_uuid: r.stepUuid,
      lease_token: r.leaseToken,
      result: r.result,
      execution_time_ms: exec,
      metadata: r.metadata,
    };
  }
  return {
    status: 'failed',
    step_uuid: r.stepUuid,
    lease_token: r.leaseToken,
    error: failureJson(r.error),
    retryable: r.error.retryable,
    retry_after_ms: r.error.retryAfterSeconds === null ? null : Math.round(r.error.retryAfterSeconds * 1000),
    execution_time_ms: exec,
  };
}

/** Applies many results in one call (tasker.report_results); one row per result, in input order. */
export async function reportResults(
  sql: Db,
  args: {
    workerId: string;
    results: readonly StepResultReport[];
    multiplier: number;
    namespaces: readonly string[] | null;
  },
): Promise<ResultRow[]> {
  const rows = await sql<RawResultRow[]>`
    SELECT * FROM tasker.report_results(${args.workerId}, ${sql.json(args.results.map(resultPayload) as JSONValue)},
      ${args.multiplier}, ${args.namespaces as string[] | null}::text[])`;
  return rows.map(resultFromRow);
}

/**
 * Results and a claim riding along in ONE call and transaction (tasker.report_and_claim): a chain's next step,
 * enqueued by a result, is claimed in the same commit. Claims skip tasks other transactions hold.
 */
export async function reportAndClaim(
  sql: Db,
  args: {
    workerId: string;
    results: readonly StepResultReport[];
    multiplier: number;
    namespaces: readonly string[] | null;
    claim: ClaimArgs;
  },
): Promise<{ results: ResultRow[]; claimed: ClaimedStep[] }> {
  const rows = await sql<((RawResultRow & ClaimRow) & { kind: 'result' | 'claim' })[]>`
    SELECT * FROM tasker.report_and_claim(${args.workerId}, ${sql.json(args.results.map(resultPayload) as JSONValue)},
      ${args.multiplier}, ${args.namespaces as string[] | null}::text[], ${args.claim.max},
      ${args.claim.namespaces as string[] | null}::text[], ${args.claim.handlers as string[] | null}::text[], ${args.claim.leaseMs})`;
  return {
    results: rows.filter((r) => r.kind === 'result').map(resultFromRow),
    claimed: rows.filter((r) => r.kind === 'claim').map(claimedFromRow),
  };
}

export type ReleaseStatus = 'released' | 'cancelled' | 'lease_lost' | 'not_found';

export async function releaseLeases(
  sql: Db,
  args: { workerId: string; leases: readonly LeaseRef[]; namespaces: readonly string[] | null },
): Promise<{ stepUuid: string; status: ReleaseStatus }[]> {
  const rows = await sql<{ step_uuid: string; status: ReleaseStatus }[]>`
    SELECT * FROM tasker.release_leases(${args.workerId}, ${args.leases.map((l) => l.stepUuid)}::uuid[],
      ${args.leases.map((l) => l.leaseToken)}::uuid[], ${args.namespaces as string[] | null}::text[])`;
  return rows.map((r) => ({ stepUuid: r.step_uuid, status: r.status }));
}

export interface SweptLease {
  stepUuid: string;
  taskUuid: string;
  errorType: 'lease_expired' | 'timeout';
  stepState: StepState;
  nextRetryAt: Date | null;
}

export async function sweepExpiredLeases(sql: Db, args: { limit: number; multiplier: number }): Promise<SweptLease[]> {
  const rows = await sql<
    {
      step_uuid: string;
      task_uuid: string;
      error_type: SweptLease['errorType'];
      step_state: StepState;
      next_retry_at: Date | null;
    }[]
  >`SELECT * FROM tasker.sweep_expired_leases(${args.limit}, ${args.multiplier})`;
  return rows.map((r) => ({
    stepUuid: r.step_uuid,
    taskUuid: r.task_uuid,
    errorType: r.error_type,
    stepState: r.step_state,
    nextRetryAt: r.next_retry_at,
  }));
}

/** Starts pending tasks whose run_at has come (tasker.start_due_tasks); nextDueAt: the earliest still ahead. */
export async function startDueTasks(sql: Db, limit: number): Promise<{ started: number; nextDueAt: Date | null }> {
  const [row] = await sql<{ started: number; next_due_at: Date | null }[]>`
    SELECT * FROM tasker.start_due_tasks(${limit})`;
  return { started: row?.started ?? 0, nextDueAt: row?.next_due_at ?? null };
}

export async function promoteDueRetries(sql: Db, limit: number): Promise<{ promoted: number; nextDueAt: Date | null }> {
  const [row] = await sql<{ promoted: number; next_due_at: Date | null }[]>`
    SELECT * FROM tasker.promote_due_retries(${limit})`;
  return { promoted: row?.promoted ?? 0, nextDueAt: row?.next_due_at ?? null };
}

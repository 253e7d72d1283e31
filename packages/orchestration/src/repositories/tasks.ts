// Task queries. The writing ones call the engine's SQL functions (migrations 0011–0021), one round trip each.
import type { CreateTaskInput, JsonObject, Task, TaskListQuery, TaskState, TemplateDefinition } from '@tasker/shared';
import type { ISql, JSONValue } from 'postgres';
import { dlqEntryFromRow, taskFromRow, type DlqEntryRow, type TaskRow } from './rows.js';

export type Db = ISql;

/** A task to create: the request with its defaults applied, its template's identity and its identity hash. */
export interface NewTask extends CreateTaskInput {
  priority: number;
  tags: string[];
  templateUuid: string;
  /** Content hash of the template the caller resolved; create_task refuses a mismatch (TK001). */
  templateHash: string;
  identityHash: string;
  /** What SQL needs to create the dynamic steps later (engine/dynamic-plan.ts); absent without dynamic steps. */
  plan?: JSONValue;
}

/** The create_task payload (snake_case keys as the SQL function reads them). */
interface TaskInsert {
  template_uuid: string;
  template_hash: string;
  namespace: string;
  name: string;
  version: string;
  context: JsonObject;
  initiator: string;
  source_system: string;
  reason: string;
  priority: number;
  tags: string[];
  correlation_id?: string;
  parent_correlation_id?: string;
  identity_hash: string;
  idempotency_key?: string;
  /** Absent when the request gave none (the column stays NULL). */
  options?: Record<string, string>;
  /** The task's plan (engine/dynamic-plan.ts); absent for templates without dynamic steps. */
  plan?: JSONValue;
  /** ISO timestamp; absent = start at once. */
  run_at?: string;
}

function taskInsertOf(task: NewTask): TaskInsert {
  const insert: TaskInsert = {
    template_uuid: task.templateUuid,
    template_hash: task.templateHash,
    namespace: task.namespace,
    name: task.name,
    version: task.version,
    context: task.context,
    initiator: task.initiator,
    source_system: task.sourceSystem,
    reason: task.reason,
    priority: task.priority,
    tags: task.tags,
    identity_hash: task.identityHash,
  };
  if (task.correlationId !== undefined) insert.correlation_id = task.correlationId;
  if (task.parentCorrelationId !== undefined) insert.parent_correlation_id = task.parentCorrelationId;
  if (task.idempotencyKey !== undefined) insert.idempotency_key = task.idempotencyKey;
  // An empty options object leaves the column NULL, as no options do.
  if (task.options !== undefined && Object.keys(task.options).length > 0) insert.options = task.options;
  if (task.plan !== undefined) insert.plan = task.plan;
  if (task.runAt !== undefined) insert.run_at = task.runAt.toISOString();
  return insert;
}

/** One step of a create_task payload: the template step with its effective policy. */
export interface StepInsert {
  name: string;
  step_type: string;
  handler_callable: string;
  handler_method: string | null;
  initialization: JsonObject;
  retryable: boolean;
  max_attempts: number;
  backoff_kind: string;
  backoff_base_ms: number;
  backoff_max_ms: number;
  backoff_jitter: number;
  timeout_seconds: number | null;
  parents: string[];
}

/** The steps a task of `definition` gets (computed once per template by the cache, sent with every creation). */
export function stepInsertsOf(definition: TemplateDefinition): StepInsert[] {
  return definition.steps.map((s) => ({
    name: s.name,
    step_type: s.type,
    handler_callable: s.handler.callable,
    handler_method: s.handler.method,
    initialization: s.handler.initialization,
    retryable: s.retry.retryable,
    max_attempts: s.retry.maxAttempts,
    backoff_kind: s.retry.backoff,
    backoff_base_ms: s.retry.backoffBaseMs,
    backoff_max_ms: s.retry.maxBackoffMs,
    backoff_jitter: s.retry.jitter,
    timeout_seconds: s.timeoutSeconds,
    parents: s.dependencies,
  }));
}

/**
 * How many of a task's steps run now: the task row keeps enqueued and running steps in one counter
 * (steps_active), readers that show the split count it through steps_dispatched_idx.
 */
function withStepsInProgress(sql: Db) {
  return sql`(SELECT count(*)::int FROM tasker.steps s WHERE s.state = 'in_progress' AND s.task_uuid = t.task_uuid)
    AS steps_in_progress`;
}

/** Task, steps, edges, transitions and first enqueue in one call; throws 23505 / TK001 (see repositories/errors). */
export async function insertTask(sql: Db, task: NewTask, steps: readonly StepInsert[]): Promise<Task> {
  const [row] = await sql<Omit<TaskRow, 'steps_in_progress'>[]>`
    SELECT * FROM tasker.create_task(${sql.json(taskInsertOf(task) as unknown as JSONValue)}, ${sql.json(steps as unknown as JSONValue)})`;
  if (row === undefined) throw new Error('create_task returned no row');
  // Nothing of a task created by this very call has been claimed yet.
  return taskFromRow({ ...row, steps_in_progress: 0 });
}

export async function findTaskUuidByIdentityHash(sql: Db, identityHash: string): Promise<string | undefined> {
  const [row] = await sql<{ task_uuid: string }[]>`
    SELECT task_uuid FROM tasker.tasks WHERE identity_hash = ${identityHash}`;
  return row?.task_uuid;
}

export async function findTask(sql: Db, taskUuid: string): Promise<Task | undefined> {
  const [row] = await sql<
    TaskRow[]
  >`SELECT t.*, ${withStepsInProgress(sql)} FROM tasker.tasks t WHERE t.task_uuid = ${taskUuid}`;
  return row === undefined ? undefined : taskFromRow(row);
}

const SORT_COLUMNS = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  priority: 'priority',
  completed_at: 'completed_at',
} as const;

/**
 * A page of tasks matching every filter, newest first by default, with the total count (a window count over
 * the same filters, so one round trip). `namespaces` is the caller's scope (null = all).
 */
export async function listTasks(
  sql: Db,
  query: TaskListQuery,
  namespaces: readonly string[] | null,
): Promise<{ tasks: Task[]; total: number }> {
  const filters = [
    namespaces === null ? sql`` : sql`AND namespace = ANY (${namespaces as string[]}::text[])`,
    query.namespace === undefined ? sql`` : sql`AND namespace = ${query.namespace}`,
    query.name === undefined ? sql`` : sql`AND name = ${query.name}`,
    query.version === undefined ? sql`` : sql`AND version = ${query.version}`,
    query.states === undefined || query.states.length === 0 ? sql`` : sql`AND state = ANY (${query.states}::text[])`,
    query.initiator === undefined ? sql`` : sql`AND initiator = ${query.initiator}`,
    query.sourceSystem === undefined ? sql`` : sql`AND source_system = ${query.sourceSystem}`,
    query.tags === undefined || query.tags.length === 0 ? sql`` : sql`AND tags @> ${query.tags}::text[]`,
    query.createdAfter === undefined ? sql`` : sql`AND created_at >= ${query.createdAfter}`,
    query.createdBefore === undefined ? sql`` : sql`AND created_at < ${query.createdBefore}`,
  ];
  const where = filters.reduce((acc, f) => sql`${acc} ${f}`, sql`WHERE true`);
  const sortField = SORT_COLUMNS[query.sort?.field ?? 'created_at'];
  const direction = query.sort?.direction === 'asc' ? sql`ASC` : sql`DESC`;
  // The in-progress count only for the page's rows, after the limit.
  const rows = await sql<(TaskRow & { total_count: number })[]>`
    SELECT t.*, ${withStepsInProgress(sql)} FROM (
      SELECT t.*, count(*) OVER () AS total_count
      FROM tasker.tasks t
      ${where}
      ORDER BY ${sql(sortField)} ${direction} NULLS LAST, task_uuid ${direction}
      LIMIT ${query.limit} OFFSET ${query.offset}
    ) t
    ORDER BY ${sql(sortField)} ${direction} NULLS LAST, task_uuid ${direction}`;
  if (rows.length > 0 || query.offset === 0) {
    const total = rows[0]?.total_count ?? 0;
    return { tasks: rows.map(({ total_count: _ignored, ...row }) => taskFromRow(row)), total };
  }
  // Past the last page the window count has no row to ride on.
  const [count] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM tasker.tasks ${where}`;
  return { tasks: [], total: count?.n ?? 0 };
}

export type TaskActionOutcome = 'ok' | 'not_found' | 'invalid_state';

export async function cancelTask(
  sql: Db,
  taskUuid: string,
  actor: string,
  reason: string | null,
  namespaces: readonly string[] | null,
): Promise<{ outcome: TaskActionOutcome; taskState: TaskState | null }> {
  const [row] = await sql<{ outcome: TaskActionOutcome; task_state: TaskState | null }[]>`
    SELECT * FROM tasker.cancel_task(${taskUuid}, ${actor}, ${reason}, ${namespaces as string[] | null}::text[])`;
  return { outcome: row?.outcome ?? 'not_found', taskState: row?.task_state ?? null };
}

export async function resumeTask(
  sql: Db,
  taskUuid: string,
  actor: string,
  reason: string,
  namespaces: readonly string[] | null,
): Promise<{ outcome: TaskActionOutcome; taskState: TaskState | null; detail: string | null }> {
  const [row] = await sql<{ outcome: TaskActionOutcome; task_state: TaskState | null; detail: string | null }[]>`
    SELECT * FROM tasker.resume_task(${taskUuid}, ${actor}, ${reason}, ${namespaces as string[] | null}::text[])`;
  return { outcome: row?.outcome ?? 'not_found', taskState: row?.task_state ?? null, detail: row?.detail ?? null };
}

/** tasker.resolve_task: close a blocked or error task as resolved_manually (migration 0021). */
export async function resolveTask(
  sql: Db,
  taskUuid: string,
  actor: string,
  reason: string,
  namespaces: readonly string[] | null,
): Promise<{ outcome: TaskActionOutcome; taskState: TaskState | null }> {
  const [row] = await sql<{ outcome: TaskActionOutcome; task_state: TaskState | null }[]>`
    SELECT * FROM tasker.resolve_task(${taskUuid}, ${actor}, ${reason}, ${namespaces as string[] | null}::text[])`;
  return { outcome: row?.outcome ?? 'not_found', taskState: row?.task_state ?? null };
}

export async function findLatestDlqEntry(sql: Db, taskUuid: string) {
  const [row] = await sql<DlqEntryRow[]>`
    SELECT * FROM tasker.dlq_entries WHERE task_uuid = ${taskUuid} ORDER BY dlq_timestamp DESC LIMIT 1`;
  return row === undefined ? undefined : dlqEntryFromRow(row);
}

/** Step name → results of every step of the task that has results. */
export async function findStepOutputs(sql: Db, taskUuid: string): Promise<JsonObject> {
  const [row] = await sql<{ outputs: JsonObject }[]>`
    SELECT coalesce(jsonb_object_agg(name, results ORDER BY created_at, name), '{}'::jsonb) AS outputs
    FROM tasker.steps WHERE task_uuid = ${taskUuid} AND results IS NOT NULL`;
  return row?.outputs ?? {};
}

// Analytics queries over a task cohort: the tasks created since `since` (null = all time), optionally limited
// to some namespaces. Windowed queries enter through tasks_created_at_idx (or tasks_namespace_created_at_idx)
// and reach steps and attempts through their task-leading indexes, so their cost follows the window, not the
// history. Per-state step counts come from the task's counters, never from scanning steps.
import type { PendingQuery, Row, Sql } from 'postgres';
import { STEP_STATES, TASK_STATES, type StepState, type TaskState } from '@tasker/shared';

export interface CohortFilter {
  /** Tasks created at or after this instant; null = every task. */
  since: Date | null;
  /** Namespaces to include; null = all. */
  namespaces: readonly string[] | null;
}

function cohort(sql: Sql, f: CohortFilter): PendingQuery<Row[]> {
  return sql`
    ${f.since === null ? sql`` : sql`and t.created_at >= ${f.since}`}
    ${f.namespaces === null ? sql`` : sql`and t.namespace = any(${f.namespaces as string[]}::text[])`}`;
}

export async function selectDatabaseNow(sql: Sql): Promise<Date> {
  const [r] = await sql<{ now: Date }[]>`select now() as now`;
  if (r === undefined) throw new Error('select now() returned no row');
  return r.now;
}

export interface CohortSummary {
  taskCounts: Record<TaskState, number>;
  /** Sum of the cohort's per-state step counters. */
  stepCounts: Record<StepState, number>;
  /** Mean completed_at − created_at of `complete` tasks, seconds; null when none. */
  averageCompleteSeconds: number | null;
  earliestCreatedAt: Date | null;
}

/** One pass over the cohort: tasks per state, steps per state (from counters), mean duration of complete tasks. */
export async function summarizeCohort(sql: Sql, f: CohortFilter): Promise<CohortSummary> {
  const rows = await sql<
    ({ state: TaskState; tasks: number; complete_seconds: number | null; earliest: Date } & Record<string, number>)[]
  >`
    select t.state,
           count(*) as tasks,
           avg(extract(epoch from t.completed_at - t.created_at)::float8) filter (where t.state = 'complete')
             as complete_seconds,
           min(t.created_at) as earliest,
           sum(t.steps_pending) as pending, sum(t.steps_active) as active,
           sum(t.steps_waiting_for_retry) as waiting_for_retry, sum(t.steps_complete) as complete,
           sum(t.steps_error) as error, sum(t.steps_cancelled) as cancelled,
           sum(t.steps_resolved_manually) as resolved_manually
    from tasker.tasks t
    where true ${cohort(sql, f)}
    group by t.state`;
  const taskCounts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>;
  const stepCounts = Object.fromEntries(STEP_STATES.map((s) => [s, 0])) as Record<StepState, number>;
  let averageCompleteSeconds: number | null = null;
  let earliestCreatedAt: Date | null = null;
  // Tasks count enqueued and running steps together; the running ones are few and counted from the steps.
  const [running] = await sql<{ n: number }[]>`
    select count(*)::int as n from tasker.steps s join tasker.tasks t on t.task_uuid = s.task_uuid
    where s.state = 'in_progress' ${cohort(sql, f)}`;
  let active = 0;
  for (const r of rows) {
    taskCounts[r.state] = r.tasks;
    active += Number(r['active'] ?? 0);
    for (const s of STEP_STATES) if (s !== 'enqueued' && s !== 'in_progress') stepCounts[s] += Number(r[s] ?? 0);
    if (r.state === 'complete') averageCompleteSeconds = r.complete_seconds;
    if (earliestCreatedAt === null || r.earliest < earliestCreatedAt) earliestCreatedAt = r.earliest;
  }
  stepCounts.in_progress = running?.n ?? 0;
  stepCounts.enqueued = active - stepCounts.in_progress;
  return { taskCounts, stepCounts, averageCompleteSeconds, earliestCreatedAt };
}

/**
 * Settings for one analytics transaction: JIT off (these are index walks and aggregates; at 1M tasks JIT
 * compilation alone cost more than the query), room to hash without spilling, and no Memoize (at 1M tasks it
 * turned the all-time steps ⋈ tasks join into 4M cached index probes, several times slower).
 */
export async function tuneAnalyticsTransaction(tx: Sql): Promise<void> {
  await tx.unsafe(`set local jit = off; set local work_mem = '64MB'; set local enable_memoize = off`);
}

// When a step's run started: its first claim since it was created or last reset by an operator (attempt 1 of
// the current series: last_attempted_at when it ran once, the attempt-1 row otherwise), or created_at when it
// was never claimed (completed manually). Duration = completed_at − that: includes retries and backoff,
// excludes the wait for parents. The attempt lookup runs only for steps that ran more than once.
function runSeconds(sql: Sql): PendingQuery<Row[]> {
  return sql`extract(epoch from s.completed_at - coalesce(
    case when s.attempts = 1 then s.last_attempted_at
         when s.attempts > 1 then (
           select max(a.claimed_at) from tasker.step_attempts a
           where a.task_uuid = s.task_uuid and a.step_uuid = s.step_uuid and a.attempt = 1) end,
    s.created_at))::float8`;
}

/**
 * The cohort's steps in `states`. Windowed: per cohort task through the task-leading steps index (the OFFSET 0
 * fence keeps the planner from trading that for a scan of every step); all time: one join. `taskHas` skips
 * tasks whose counters say they have no such step.
 */
function cohortSteps(
  sql: Sql,
  f: CohortFilter,
  states: readonly string[],
  taskHas: PendingQuery<Row[]>,
): PendingQuery<Row[]> {
  if (f.since === null) {
    return sql`
      from tasker.tasks t join tasker.steps s on s.task_uuid = t.task_uuid
      where s.state = any(${states as string[]}::text[]) ${cohort(sql, f)}`;
  }
  return sql`
    from tasker.tasks t
    cross join lateral (
      select s.task_uuid, s.step_uuid, s.name, s.state, s.attempts, s.created_at, s.last_attempted_at,
             s.completed_at, s.last_failure_at
      from tasker.steps s
      where s.task_uuid = t.task_uuid and s.state = any(${states as string[]}::text[])
      offset 0
    ) s
    where ${taskHas} ${cohort(sql, f)}`;
}

/** Mean duration of the cohort's `complete` steps, seconds (null when none) and how many there are. */
export async function summarizeCompletedSteps(
  sql: Sql,
  f: CohortFilter,
): Promise<{ count: number; averageSeconds: number | null }> {
  // All time needs no task columns: steps carry their task's namespace, so one scan of steps answers it.
  const source =
    f.since === null
      ? sql`
          from tasker.steps s
          where s.state = 'complete'
            ${f.namespaces === null ? sql`` : sql`and s.namespace = any(${f.namespaces as string[]}::text[])`}`
      : cohortSteps(sql, f, ['complete'], sql`t.steps_complete > 0`);
  const [r] = await sql<{ count: number; average_seconds: number | null }[]>`
    select count(*) as count, avg(${runSeconds(sql)}) as average_seconds ${source}`;
  return { count: r?.count ?? 0, averageSeconds: r?.average_seconds ?? null };
}

export interface StepGroupStats {
  namespace: string;
  taskName: string;
  version: string;
  stepName: string;
  executionCount: number;
  errorCount: number;
  averageSeconds: number | null;
  maxSeconds: number | null;
  lastExecutedAt: Date | null;
}

/**
 * Per (namespace, template, version, step name) over the cohort's finished steps (complete or error), with at
 * least `minExecutions` of them; slowest mean first. Durations are those of complete steps; error steps count
 * as executions and errors. last_executed_at = the latest completion or final failure.
 */
export async function findSlowSteps(
  sql: Sql,
  f: CohortFilter,
  args: { limit: number; minExecutions: number },
): Promise<StepGroupStats[]> {
  const rows = await sql<
    {
      namespace: string;
      task_name: string;
      version: string;
      step_name: string;
      execution_count: number;
      error_count: number;
      average_seconds: number | null;
      max_seconds: number | null;
      last_executed_at: Date | null;
    }[]
  >`
    select d.namespace, d.name as task_name, d.version, d.step_name,
           count(*) as execution_count,
           count(*) filter (where d.state = 'error') as error_count,
           avg(d.seconds) as average_seconds,
           max(d.seconds) as max_seconds,
           max(coalesce(d.completed_at, d.last_failure_at)) as last_executed_at
    from (
      select t.namespace, t.name, t.version, s.name as step_name, s.state, s.completed_at, s.last_failure_at,
             case when s.state = 'complete' then ${runSeconds(sql)} end as seconds
      ${cohortSteps(sql, f, ['complete', 'error'], sql`t.steps_complete + t.steps_error > 0`)}
    ) d
    group by d.namespace, d.name, d.version, d.step_name
    having count(*) >= ${args.minExecutions}
    order by avg(d.seconds) desc nulls last, count(*) desc, d.namespace, d.name, d.version, d.step_name
    limit ${args.limit}`;
  return rows.map((r) => ({
    namespace: r.namespace,
    taskName: r.task_name,
    version: r.version,
    stepName: r.step_name,
    executionCount: r.execution_count,
    errorCount: r.error_count,
    averageSeconds: r.average_seconds,
    maxSeconds: r.max_seconds,
    lastExecutedAt: r.last_executed_at,
  }));
}

export interface TaskGroupStats {
  namespace: string;
  taskName: string;
  version: string;
  executionCount: number;
  errorCount: number;
  averageSeconds: number;
  maxSeconds: number;
  averageStepCount: number;
  lastExecutedAt: Date | null;
}

/** Per (namespace, template, version) over the cohort's tasks that ended complete or error; slowest mean first. */
export async function findSlowTasks(
  sql: Sql,
  f: CohortFilter,
  args: { limit: number; minExecutions: number },
): Promise<TaskGroupStats[]> {
  const rows = await sql<
    {
      namespace: string;
      task_name: string;
      version: string;
      execution_count: number;
      error_count: number;
      average_seconds: number;
      max_seconds: number;
      average_step_count: number;
      last_executed_at: Date | null;
    }[]
  >`
    select t.namespace, t.name as task_name, t.version,
           count(*) as execution_count,
           count(*) filter (where t.state = 'error') as error_count,
           avg(extract(epoch from t.completed_at - t.created_at)::float8) as average_seconds,
           max(extract(epoch from t.completed_at - t.created_at)::float8) as max_seconds,
           avg(t.steps_total)::float8 as average_step_count,
           max(t.completed_at) as last_executed_at
    from tasker.tasks t
    where t.state in ('complete', 'error') ${cohort(sql, f)}
    group by t.namespace, t.name, t.version
    having count(*) >= ${args.minExecutions}
    order by avg(extract(epoch from t.completed_at - t.created_at)) desc, count(*) desc, t.namespace, t.name, t.version
    limit ${args.limit}`;
  return rows.map((r) => ({
    namespace: r.namespace,
    taskName: r.task_name,
    version: r.version,
    executionCount: r.execution_count,
    errorCount: r.error_count,
    averageSeconds: r.average_seconds,
    maxSeconds: r.max_seconds,
    averageStepCount: r.average_step_count,
    lastExecutedAt: r.last_executed_at,
  }));
}

/**
 * Ready (enqueued, unclaimed) steps per namespace. Walks only the partial claim index (state = 'enqueued'), so
 * its cost follows the queue, not the history: cheap enough for every metrics scrape.
 */
export async function countEnqueuedStepsByNamespace(sql: Sql): Promise<{ namespace: string; depth: number }[]> {
  return sql<{ namespace: string; depth: number }[]>`
    select s.namespace, count(*) as depth from tasker.steps s where s.state = 'enqueued' group by s.namespace`;
}

/**
 * This database's server connections opened under `applicationName`, per pg_stat_activity state (active, idle,
 * idle in transaction, …). Per process only when every process uses its own application_name. With
 * `excludeSelf`, the connection running this query is left out (it is busy only because we asked).
 */
export async function countConnectionsByState(
  sql: Sql,
  applicationName: string,
  options: { excludeSelf: boolean },
): Promise<{ state: string; connections: number }[]> {
  return sql<{ state: string; connections: number }[]>`
    select coalesce(a.state, 'unknown') as state, count(*) as connections
    from pg_stat_activity a
    where a.datname = current_database() and a.application_name = ${applicationName}
      ${options.excludeSelf ? sql`and a.pid <> pg_backend_pid()` : sql``}
    group by 1`;
}

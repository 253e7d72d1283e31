// Seeds tasks, steps, attempts, transitions and DLQ entries directly with SQL, at chosen points in time, for
// the DLQ, analytics and metrics tests. Rows satisfy every constraint of the schema (per-state step
// counters, leases, completed_at rules) and each entity gets a history the state machines allow (the
// shortest path from `create` to its current state; the last transition at the time it entered it), so
// tasker.task_invariant_violations() reports nothing for a seeded task.
import { randomUUID } from 'node:crypto';
import type { JSONValue, Sql } from 'postgres';
import type { DlqReason, DlqResolutionStatus, JsonObject, StepState, TaskState } from '@tasker/shared';

export interface SeededTemplate {
  templateUuid: string;
  namespace: string;
  name: string;
  version: string;
}

export interface SeedTemplateInput {
  namespace?: string;
  name?: string;
  version?: string;
  /** Stored as `definition.lifecycle` (staleness overrides). */
  lifecycle?: JsonObject | null;
}

export async function seedTemplate(sql: Sql, input: SeedTemplateInput = {}): Promise<SeededTemplate> {
  const namespace = input.namespace ?? 'seed';
  const name = input.name ?? `template_${randomUUID().slice(0, 8)}`;
  const version = input.version ?? '1.0.0';
  const definition: JsonObject = { namespace, name, version, steps: [], lifecycle: input.lifecycle ?? null };
  const [row] = await sql<{ template_uuid: string }[]>`
    insert into tasker.templates (namespace, name, version, definition, configuration, content_hash)
    values (${namespace}, ${name}, ${version}, ${sql.json(definition as JSONValue)}, ${sql.json({ name })},
            ${`sha256:${randomUUID()}`})
    returning template_uuid`;
  if (row === undefined) throw new Error('template insert returned nothing');
  return { templateUuid: row.template_uuid, namespace, name, version };
}

export interface SeedStepInput {
  name: string;
  state: StepState;
  handler?: string;
  /** Default: the task's createdAt. */
  createdAt?: Date;
  /** Start of each claim (attempt), oldest first; the first one is the step's first claim. */
  claims?: Date[];
  /** When the step finished: completed_at for complete/cancelled/resolved_manually, last_failure_at for error. */
  finishedAt?: Date;
}

export interface SeedTaskInput {
  template: SeededTemplate;
  state: TaskState;
  createdAt: Date;
  /** When the task entered `state`. Default createdAt. */
  stateEnteredAt?: Date;
  /** Terminal tasks only. Default stateEnteredAt. */
  completedAt?: Date;
  priority?: number;
  steps?: SeedStepInput[];
}

export interface SeededTask {
  taskUuid: string;
  namespace: string;
  stepUuids: Record<string, string>;
}

// Shortest allowed event paths (the machines of migrations/0018) from creation to each state, hop by hop.
const TASK_PATH_TO: Record<TaskState, readonly [string, TaskState][]> = (() => {
  const started: [string, TaskState][] = [
    ['create', 'pending'],
    ['start', 'initializing'],
  ];
  const running: [string, TaskState][] = [
    ...started,
    ['ready_steps_found', 'enqueuing_steps'],
    ['steps_enqueued', 'steps_in_process'],
  ];
  const evaluating: [string, TaskState][] = [...running, ['step_completed', 'evaluating_results']];
  const blocked: [string, TaskState][] = [...evaluating, ['permanent_failure', 'blocked_by_failures']];
  return {
    pending: [['create', 'pending']],
    initializing: started,
    enqueuing_steps: running.slice(0, 3),
    steps_in_process: running,
    evaluating_results: evaluating,
    waiting_for_dependencies: [...started, ['no_dependencies_ready', 'waiting_for_dependencies']],
    waiting_for_retry: [...evaluating, ['retry_scheduled', 'waiting_for_retry']],
    blocked_by_failures: blocked,
    complete: [...evaluating, ['all_steps_successful', 'complete']],
    error: [...blocked, ['give_up', 'error']],
    cancelled: [
      ['create', 'pending'],
      ['cancel', 'cancelled'],
    ],
    resolved_manually: [...blocked, ['manual_resolution', 'resolved_manually']],
  };
})();

const STEP_PATH_TO: Record<StepState, readonly [string, StepState][]> = (() => {
  const claimed: [string, StepState][] = [
    ['create', 'pending'],
    ['enqueue', 'enqueued'],
    ['claim', 'in_progress'],
  ];
  const failed: [string, StepState][] = [...claimed, ['fail_result', 'enqueued_as_error_for_orchestration']];
  const succeeded: [string, StepState][] = [...claimed, ['complete_result', 'enqueued_for_orchestration']];
  return {
    pending: [['create', 'pending']],
    enqueued: claimed.slice(0, 2),
    in_progress: claimed,
    enqueued_for_orchestration: succeeded,
    enqueued_as_error_for_orchestration: failed,
    waiting_for_retry: [...failed, ['wait_for_retry', 'waiting_for_retry']],
    complete: [...succeeded, ['complete', 'complete']],
    error: [...failed, ['fail', 'error']],
    cancelled: [
      ['create', 'pending'],
      ['cancel', 'cancelled'],
    ],
    resolved_manually: [
      ['create', 'pending'],
      ['resolve_manually', 'resolved_manually'],
    ],
  };
})();

/** States a transaction passes through: the history records the state it comes to rest in instead. */
const PASSED_THROUGH: readonly string[] = [
  'initializing',
  'enqueuing_steps',
  'evaluating_results',
  'enqueued_for_orchestration',
  'enqueued_as_error_for_orchestration',
];

/**
 * History rows along `path`, one per state it rests in (passed-through hops join the event of the next rest,
 * as the engine records them); all at `start` except the last, which enters the current state at `end`.
 */
function historyRows<S extends string>(path: readonly [string, S][], start: Date, end: Date) {
  const rows: { event: string; from_state: S | null; to_state: S; created_at: Date }[] = [];
  let from: S | null = null;
  let events: string[] = [];
  path.forEach(([event, to], i) => {
    events.push(event);
    const last = i === path.length - 1;
    if (!last && PASSED_THROUGH.includes(to)) return;
    rows.push({ event: events.join('>'), from_state: from, to_state: to, created_at: last ? end : start });
    from = to;
    events = [];
  });
  return rows;
}

const TERMINAL_TASK: readonly TaskState[] = ['complete', 'error', 'cancelled', 'resolved_manually'];
// Enqueued and running steps share one task counter; nothing rests in the *_for_orchestration states, but a
// seed may put a step there (to see how readers cope), and it is counted as active then.
const STEP_COUNTER: Record<StepState, string> = {
  pending: 'steps_pending',
  enqueued: 'steps_active',
  in_progress: 'steps_active',
  enqueued_for_orchestration: 'steps_active',
  enqueued_as_error_for_orchestration: 'steps_active',
  waiting_for_retry: 'steps_waiting_for_retry',
  complete: 'steps_complete',
  error: 'steps_error',
  cancelled: 'steps_cancelled',
  resolved_manually: 'steps_resolved_manually',
};

export async function seedTask(sql: Sql, input: SeedTaskInput): Promise<SeededTask> {
  const steps = input.steps ?? [];
  const entered = input.stateEnteredAt ?? input.createdAt;
  const terminal = TERMINAL_TASK.includes(input.state);
  const counters: Record<string, number> = { steps_total: steps.length };
  for (const column of Object.values(STEP_COUNTER)) counters[column] = 0;
  for (const step of steps) counters[STEP_COUNTER[step.state]] = (counters[STEP_COUNTER[step.state]] ?? 0) + 1;

  return sql.begin(async (tx) => {
    const { template } = input;
    const [task] = await tx<{ task_uuid: string }[]>`
      insert into tasker.tasks ${tx({
        template_uuid: template.templateUuid,
        namespace: template.namespace,
        name: template.name,
        version: template.version,
        state: input.state,
        state_entered_at: entered,
        identity_hash: randomUUID(),
        priority: input.priority ?? 0,
        requested_at: input.createdAt,
        created_at: input.createdAt,
        updated_at: entered,
        completed_at: terminal ? (input.completedAt ?? entered) : null,
        ...counters,
      })}
      returning task_uuid`;
    if (task === undefined) throw new Error('task insert returned nothing');
    const taskUuid = task.task_uuid;
    for (const h of historyRows(TASK_PATH_TO[input.state], input.createdAt, entered)) {
      await tx`insert into tasker.task_transitions ${tx({ task_uuid: taskUuid, ...h })}`;
    }

    const stepUuids: Record<string, string> = {};
    for (const step of steps) stepUuids[step.name] = await insertStep(tx as unknown as Sql, taskUuid, input, step);

    return { taskUuid, namespace: template.namespace, stepUuids };
  });
}

async function insertStep(sql: Sql, taskUuid: string, task: SeedTaskInput, step: SeedStepInput): Promise<string> {
  const createdAt = step.createdAt ?? task.createdAt;
  const claims = step.claims ?? [];
  const lastClaim = claims.at(-1) ?? null;
  const finishedAt = step.finishedAt ?? lastClaim ?? createdAt;
  const running = step.state === 'in_progress';
  const leaseToken = running ? randomUUID() : null;
  const closed = step.state === 'complete' || step.state === 'cancelled' || step.state === 'resolved_manually';
  const [row] = await sql<{ step_uuid: string }[]>`
    insert into tasker.steps ${sql({
      task_uuid: taskUuid,
      name: step.name,
      state: step.state,
      namespace: task.template.namespace,
      priority: task.priority ?? 0,
      handler_callable: step.handler ?? `Seed.${step.name}`,
      attempts: claims.length,
      last_attempted_at: lastClaim,
      last_failure_at: step.state === 'error' ? finishedAt : null,
      enqueued_at: step.state === 'enqueued' ? createdAt : null,
      next_retry_at: step.state === 'waiting_for_retry' ? new Date(finishedAt.getTime() + 60_000) : null,
      lease_token: leaseToken,
      lease_expires_at: running ? new Date(Date.now() + 3_600_000) : null,
      leased_by: running ? 'seed-worker' : null,
      created_at: createdAt,
      updated_at: finishedAt,
      completed_at: closed ? finishedAt : null,
    })}
    returning step_uuid`;
  if (row === undefined) throw new Error('step insert returned nothing');
  const stepUuid = row.step_uuid;

  // Attempt rows are written when attempts end: a running one is the step row itself. Their events are in the
  // step's transitions here (the form rows written before 0017 have).
  for (const [i, claimedAt] of claims.entries()) {
    const last = i === claims.length - 1;
    if (last && running) continue;
    const outcome = last && step.state === 'complete' ? 'completed' : 'failed';
    const finished = last ? finishedAt : (claims[i + 1] as Date);
    await sql`
      insert into tasker.step_attempts ${sql({
        lease_token: randomUUID(),
        task_uuid: taskUuid,
        step_uuid: stepUuid,
        attempt: i + 1,
        worker_id: 'seed-worker',
        claimed_at: claimedAt,
        finished_at: finished,
        outcome,
        execution_time_ms: Math.max(0, finished.getTime() - claimedAt.getTime()),
      })}`;
  }
  for (const h of historyRows(STEP_PATH_TO[step.state], createdAt, finishedAt)) {
    await sql`insert into tasker.step_transitions ${sql({ task_uuid: taskUuid, step_uuid: stepUuid, attempt: claims.length, ...h })}`;
  }
  return stepUuid;
}

export interface SeedDlqInput {
  taskUuid: string;
  reason: DlqReason;
  status?: DlqResolutionStatus;
  dlqTimestamp: Date;
  /** Closed entries only; default dlqTimestamp + 1 minute. */
  resolutionTimestamp?: Date;
  resolvedBy?: string | null;
  notes?: string | null;
  originalState?: TaskState;
  metadata?: JsonObject | null;
}

export async function seedDlqEntry(sql: Sql, input: SeedDlqInput): Promise<string> {
  const status = input.status ?? 'pending';
  const closed = status !== 'pending';
  const [row] = await sql<{ dlq_entry_uuid: string }[]>`
    insert into tasker.dlq_entries ${sql({
      task_uuid: input.taskUuid,
      original_state: input.originalState ?? 'steps_in_process',
      reason: input.reason,
      dlq_timestamp: input.dlqTimestamp,
      resolution_status: status,
      resolution_timestamp: closed
        ? (input.resolutionTimestamp ?? new Date(input.dlqTimestamp.getTime() + 60_000))
        : null,
      resolution_notes: input.notes ?? null,
      resolved_by: input.resolvedBy ?? (closed ? 'seed-operator' : null),
      task_snapshot: { task_uuid: input.taskUuid, reason: input.reason } as JSONValue,
      metadata: (input.metadata ?? null) as JSONValue,
      created_at: input.dlqTimestamp,
      updated_at: input.dlqTimestamp,
    })}
    returning dlq_entry_uuid`;
  if (row === undefined) throw new Error('dlq insert returned nothing');
  return row.dlq_entry_uuid;
}

/** `now` minus the given minutes, for readable seeds: `ago(now, 90)`. */
export function minutesBefore(now: Date, minutes: number): Date {
  return new Date(now.getTime() - minutes * 60_000);
}

/** The database's clock: seeds and expectations use it so JS/DB clock skew never matters. */
export async function databaseNow(sql: Sql): Promise<Date> {
  const [row] = await sql<{ now: Date }[]>`select clock_timestamp() as now`;
  if (row === undefined) throw new Error('select now returned nothing');
  return row.now;
}

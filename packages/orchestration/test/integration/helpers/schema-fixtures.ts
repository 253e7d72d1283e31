// Raw-SQL fixtures for schema tests: rows inserted directly (to probe constraints) and a task driven the way
// the engine is meant to drive it: one statement per claim and per completion (docs/schema.md, hot path).
// Event names are those of the shared step/task machines (packages/shared/src/domain/*-machine.ts).
import { randomUUID } from 'node:crypto';
import type { JSONValue, Sql } from 'postgres';

export interface TemplateRef {
  templateUuid: string;
  namespace: string;
  name: string;
  version: string;
}

// jsonb columns take JS values (postgres.js JSON-encodes them); a string would become a JSON string.
type Row = Record<string, JSONValue | Date>;

export async function insertTemplate(sql: Sql, overrides: Row = {}): Promise<TemplateRef> {
  const row: Row = {
    namespace: 'fixtures',
    name: `template_${randomUUID().slice(0, 8)}`,
    version: '1.0.0',
    content_hash: 'sha256:fixture',
    ...overrides,
  };
  const [created] = await sql<{ template_uuid: string; namespace: string; name: string; version: string }[]>`
    INSERT INTO tasker.templates ${sql({ definition: {}, configuration: {}, ...row })}
    RETURNING template_uuid, namespace, name, version`;
  if (created === undefined) throw new Error('template insert returned nothing');
  return {
    templateUuid: created.template_uuid,
    namespace: created.namespace,
    name: created.name,
    version: created.version,
  };
}

/** A task row with no steps (all counters 0), in `state` pending unless overridden. */
export async function insertTask(sql: Sql, template: TemplateRef, overrides: Row = {}): Promise<string> {
  const row: Row = {
    template_uuid: template.templateUuid,
    namespace: template.namespace,
    name: template.name,
    version: template.version,
    identity_hash: randomUUID(),
    ...overrides,
  };
  const [created] = await sql<{ task_uuid: string }[]>`INSERT INTO tasker.tasks ${sql(row)} RETURNING task_uuid`;
  if (created === undefined) throw new Error('task insert returned nothing');
  return created.task_uuid;
}

/** A step row of `taskUuid` (pending, no parents unless overridden). Does not touch the task's counters. */
export async function insertStep(sql: Sql, taskUuid: string, overrides: Row = {}): Promise<string> {
  const row: Row = {
    task_uuid: taskUuid,
    name: `step_${randomUUID().slice(0, 8)}`,
    namespace: 'fixtures',
    handler_callable: 'Fixtures.Handler',
    ...overrides,
  };
  const [created] = await sql<{ step_uuid: string }[]>`INSERT INTO tasker.steps ${sql(row)} RETURNING step_uuid`;
  if (created === undefined) throw new Error('step insert returned nothing');
  return created.step_uuid;
}

export interface StepSpec {
  name: string;
  parents: string[];
}

/**
 * A task in steps_in_process with its steps, edges and history, consistent in every respect
 * tasker.task_invariant_violations checks: roots enqueued (their creation is their dispatch cycle's enqueue
 * event, kept on the row), the rest pending with a `create` transition. Returns step uuids by name.
 */
export async function createConsistentTask(
  sql: Sql,
  template: TemplateRef,
  specs: StepSpec[],
): Promise<{ taskUuid: string; steps: Record<string, string> }> {
  return sql.begin(async (tx) => {
    const roots = specs.filter((s) => s.parents.length === 0).length;
    const taskUuid = await insertTask(tx as unknown as Sql, template, {
      state: 'steps_in_process',
      steps_total: specs.length,
      steps_pending: specs.length - roots,
      steps_active: roots,
    });
    await tx`
      INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event)
      VALUES (${taskUuid}, NULL, 'steps_in_process', 'create>start>ready_steps_found>steps_enqueued')`;
    const steps: Record<string, string> = {};
    for (const spec of specs) {
      const root = spec.parents.length === 0;
      const stepUuid = await insertStep(tx as unknown as Sql, taskUuid, {
        name: spec.name,
        namespace: template.namespace,
        state: root ? 'enqueued' : 'pending',
        total_parents: spec.parents.length,
        unsatisfied_parents: spec.parents.length,
        ...(root ? { enqueued_at: new Date() } : {}),
      });
      steps[spec.name] = stepUuid;
      if (root) {
        await tx`UPDATE tasker.steps SET enqueue_event_id = nextval('tasker.event_id_seq') WHERE step_uuid = ${stepUuid}`;
      } else {
        await tx`
          INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event)
          VALUES (${taskUuid}, ${stepUuid}, NULL, 'pending', 'create')`;
      }
    }
    for (const spec of specs) {
      for (const parent of spec.parents) {
        await tx`
          INSERT INTO tasker.step_edges (task_uuid, parent_step_uuid, child_step_uuid)
          VALUES (${taskUuid}, ${steps[parent] ?? null}, ${steps[spec.name] ?? null})`;
      }
    }
    return { taskUuid, steps };
  });
}

/**
 * Claims the first ready step of `namespace` in ONE statement, writing ONE row: the step (SKIP LOCKED), its
 * task's lock before any event id is drawn, then the lease and the claim's event id on the step row. The
 * attempt row is written when the attempt ends; the task's counters do not change (enqueued and running
 * steps are both `active`).
 */
export async function claimStep(
  sql: Sql,
  namespace: string,
  workerId: string,
): Promise<{ stepUuid: string; leaseToken: string } | undefined> {
  const [row] = await sql<{ step_uuid: string; lease_token: string }[]>`
    WITH candidate AS (
      SELECT s.step_uuid, s.task_uuid FROM tasker.steps s
      WHERE s.state = 'enqueued' AND s.namespace = ${namespace}
      ORDER BY s.priority DESC, s.enqueued_at, s.step_uuid
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), locked AS (
      SELECT t.task_uuid FROM tasker.tasks t JOIN candidate c USING (task_uuid) FOR NO KEY UPDATE OF t
    )
    UPDATE tasker.steps s
    SET state = 'in_progress', attempts = s.attempts + 1, last_attempted_at = now(), updated_at = now(),
        lease_token = gen_random_uuid(), lease_expires_at = now() + interval '60 seconds', leased_by = ${workerId},
        claim_event_id = nextval('tasker.event_id_seq')
    FROM candidate c JOIN locked l USING (task_uuid)
    WHERE s.step_uuid = c.step_uuid
    RETURNING s.step_uuid, s.lease_token`;
  return row === undefined ? undefined : { stepUuid: row.step_uuid, leaseToken: row.lease_token };
}

/**
 * Completes a step in ONE statement, fenced by its lease token: the attempt row (carrying the cycle's enqueue
 * and claim events and the finish `complete_result>complete`), the step, its children's parent counters (a
 * child reaching 0 is enqueued, its enqueue event on its row), and the task's counters. A stale token matches
 * nothing and changes nothing.
 */
export async function completeStep(
  sql: Sql,
  stepUuid: string,
  leaseToken: string,
  result: JSONValue,
): Promise<boolean> {
  const rows = await sql`
    WITH running AS (
      SELECT s.* FROM tasker.steps s JOIN tasker.tasks t USING (task_uuid)
      WHERE s.step_uuid = ${stepUuid} AND s.lease_token = ${leaseToken} AND s.state = 'in_progress'
      FOR UPDATE OF t, s
    ), attempt AS (
      INSERT INTO tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id, claimed_at, finished_at,
                                        outcome, to_state, finish_event, enqueue_event_id, enqueue_from, enqueued_at,
                                        claim_event_id, finish_event_id)
      SELECT r.lease_token, r.task_uuid, r.step_uuid, r.attempts, r.leased_by, r.last_attempted_at, now(), 'completed',
             'complete', 'complete_result>complete', r.enqueue_event_id, r.enqueue_from, r.enqueued_at, r.claim_event_id,
             nextval('tasker.event_id_seq')
      FROM running r
    ), done AS (
      UPDATE tasker.steps s
      SET state = 'complete', results = ${sql.json(result)}, completed_at = now(), updated_at = now(),
          lease_token = NULL, lease_expires_at = NULL, leased_by = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
          claim_event_id = NULL
      FROM running r
      WHERE s.step_uuid = r.step_uuid
      RETURNING s.step_uuid, s.task_uuid
    ), children AS (
      UPDATE tasker.steps c
      SET unsatisfied_parents = c.unsatisfied_parents - 1,
          state = CASE WHEN c.unsatisfied_parents = 1 AND c.state = 'pending' THEN 'enqueued' ELSE c.state END,
          enqueued_at = CASE WHEN c.unsatisfied_parents = 1 AND c.state = 'pending' THEN now() ELSE c.enqueued_at END,
          enqueue_event_id = CASE WHEN c.unsatisfied_parents = 1 AND c.state = 'pending'
                                  THEN nextval('tasker.event_id_seq') ELSE c.enqueue_event_id END,
          enqueue_from = CASE WHEN c.unsatisfied_parents = 1 AND c.state = 'pending' THEN 'pending' ELSE c.enqueue_from END,
          updated_at = now()
      FROM done JOIN tasker.step_edges e ON e.parent_step_uuid = done.step_uuid
      WHERE c.step_uuid = e.child_step_uuid
      RETURNING c.step_uuid, c.state
    ), task AS (
      UPDATE tasker.tasks t
      SET steps_complete = t.steps_complete + 1,
          steps_pending = t.steps_pending - (SELECT count(*) FROM children WHERE state = 'enqueued'),
          steps_active = t.steps_active - 1 + (SELECT count(*) FROM children WHERE state = 'enqueued'),
          updated_at = now()
      FROM done WHERE t.task_uuid = done.task_uuid
    )
    SELECT step_uuid FROM done`;
  return rows.length === 1;
}

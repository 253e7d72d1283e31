import { randomBytes, randomUUID } from 'node:crypto';
import {
  BACKOFF_KINDS,
  DLQ_REASONS,
  DLQ_RESOLUTION_STATUSES,
  IDENTITY_STRATEGIES,
  STEP_AUDIT_ACTIONS,
  STEP_STATES,
  STEP_TYPES,
  TASK_STATES,
} from '@tasker/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSTRAINTS, isPgError, SQLSTATE } from '../../src/db/pg-errors.js';
import {
  claimStep,
  completeStep,
  createConsistentTask,
  insertStep,
  insertTask,
  insertTemplate,
  type TemplateRef,
} from './helpers/schema-fixtures.js';
import { useTestDatabase } from './helpers/test-db.js';

const db = useTestDatabase();
let template: TemplateRef;
beforeAll(async () => {
  template = await insertTemplate(db.sql);
});

/** The statement must fail with exactly this SQLSTATE on exactly this constraint. */
async function expectRejected(
  statement: PromiseLike<unknown>,
  code: string,
  constraint: string | undefined,
): Promise<void> {
  const error: unknown = await statement.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isPgError(error)) {
    throw new Error(
      `expected ${constraint} to reject the statement; got ${error === undefined ? 'success' : String(error)}`,
    );
  }
  expect({ code: error.code, constraint: error.constraint_name }).toEqual({ code, constraint });
}
const check = SQLSTATE.checkViolation;
const unique = SQLSTATE.uniqueViolation;
const foreignKey = SQLSTATE.foreignKeyViolation;

describe('tasks', () => {
  it('rejects a state outside the 12 task states', async () => {
    await expectRejected(insertTask(db.sql, template, { state: 'running' }), check, 'tasks_state_check');
  });

  it('rejects a second task with the same identity hash', async () => {
    const identity = randomUUID();
    await insertTask(db.sql, template, { identity_hash: identity });
    await expectRejected(
      insertTask(db.sql, template, { identity_hash: identity }),
      unique,
      CONSTRAINTS.taskIdentityHash,
    );
  });

  it('rejects negative step counters and counters that do not add up to steps_total', async () => {
    await expectRejected(
      insertTask(db.sql, template, { steps_total: 0, steps_pending: -1, steps_active: 1 }),
      check,
      'tasks_step_counts_nonnegative',
    );
    const task = await insertTask(db.sql, template, { steps_total: 2, steps_pending: 2 });
    await expectRejected(
      db.sql`UPDATE tasker.tasks SET steps_pending = steps_pending - 1 WHERE task_uuid = ${task}`,
      check,
      'tasks_step_counts_sum',
    );
  });

  it('keeps the denormalised template identity truthful', async () => {
    await expectRejected(
      insertTask(db.sql, template, { name: 'some_other_template' }),
      foreignKey,
      CONSTRAINTS.taskTemplate,
    );
  });

  it('sets completed_at exactly in terminal states, and only finishes a task whose steps allow it', async () => {
    await expectRejected(insertTask(db.sql, template, { state: 'complete' }), check, 'tasks_completed_at_check');
    await expectRejected(insertTask(db.sql, template, { completed_at: new Date() }), check, 'tasks_completed_at_check');
    const finished = { completed_at: new Date(), steps_total: 1, steps_pending: 1 };
    await expectRejected(
      insertTask(db.sql, template, { ...finished, state: 'complete' }),
      check,
      'tasks_complete_check',
    );
    await expectRejected(
      insertTask(db.sql, template, { ...finished, state: 'cancelled' }),
      check,
      'tasks_cancelled_check',
    );
    await insertTask(db.sql, template, { ...finished, state: 'error' });
  });

  it('rejects NULL tags and a context that is not an object', async () => {
    const task = await insertTask(db.sql, template);
    await expectRejected(
      db.sql`UPDATE tasker.tasks SET tags = ARRAY['a', NULL] WHERE task_uuid = ${task}`,
      check,
      'tasks_tags_check',
    );
    await expectRejected(insertTask(db.sql, template, { context: [1, 2] }), check, 'tasks_context_check');
  });
});

describe('templates', () => {
  it('enforces the namespace rule (≤ 29 of [A-Za-z0-9_]) and one row per (namespace, name, version)', async () => {
    await insertTemplate(db.sql, { namespace: 'a'.repeat(29) });
    for (const namespace of ['a'.repeat(30), 'has-hyphen', '', 'spa ce']) {
      await expectRejected(insertTemplate(db.sql, { namespace }), check, 'templates_namespace_check');
    }
    await expectRejected(insertTemplate(db.sql, { name: template.name }), unique, CONSTRAINTS.templateIdentity);
    await expectRejected(
      insertTemplate(db.sql, { identity_strategy: 'sometimes' }),
      check,
      'templates_identity_strategy_check',
    );
  });
});

describe('steps', () => {
  let task: string;
  beforeAll(async () => {
    task = await insertTask(db.sql, template);
  });

  it('rejects a state outside the 10 step states', async () => {
    await expectRejected(insertStep(db.sql, task, { state: 'running' }), check, 'steps_state_check');
  });

  it('rejects a second step with the same name in a task, not in another task', async () => {
    await insertStep(db.sql, task, { name: 'load' });
    await expectRejected(insertStep(db.sql, task, { name: 'load' }), unique, CONSTRAINTS.stepTaskName);
    await insertStep(db.sql, await insertTask(db.sql, template), { name: 'load' });
  });

  it('holds a lease exactly while in_progress', async () => {
    const lease = { lease_token: randomUUID(), lease_expires_at: new Date(), leased_by: 'w1' };
    await insertStep(db.sql, task, { state: 'in_progress', ...lease });
    const { lease_token, lease_expires_at, leased_by } = lease;
    for (const partial of [
      { lease_expires_at, leased_by },
      { lease_token, leased_by },
    ]) {
      await expectRejected(insertStep(db.sql, task, { state: 'in_progress', ...partial }), check, 'steps_lease_check');
    }
    for (const stray of [{ lease_token }, { lease_expires_at }, { leased_by }]) {
      await expectRejected(
        insertStep(db.sql, task, { state: 'enqueued', enqueued_at: new Date(), ...stray }),
        check,
        'steps_lease_check',
      );
    }
  });

  it('dispatches only steps whose parents are all satisfied', async () => {
    const parents = { total_parents: 2, unsatisfied_parents: 1 };
    await insertStep(db.sql, task, { state: 'pending', ...parents });
    await expectRejected(
      insertStep(db.sql, task, { state: 'enqueued', enqueued_at: new Date(), ...parents }),
      check,
      'steps_dispatch_requires_parents_check',
    );
    await expectRejected(
      insertStep(db.sql, task, { total_parents: 1, unsatisfied_parents: 2 }),
      check,
      'steps_parents_check',
    );
    await expectRejected(insertStep(db.sql, task, { unsatisfied_parents: -1 }), check, 'steps_parents_check');
  });

  it('requires the timestamps each state implies', async () => {
    await expectRejected(insertStep(db.sql, task, { state: 'enqueued' }), check, 'steps_enqueued_at_check');
    await expectRejected(insertStep(db.sql, task, { state: 'waiting_for_retry' }), check, 'steps_next_retry_at_check');
    await expectRejected(insertStep(db.sql, task, { state: 'complete' }), check, 'steps_completed_at_check');
    await expectRejected(
      insertStep(db.sql, task, { state: 'error', completed_at: new Date() }),
      check,
      'steps_completed_at_check',
    );
    await expectRejected(
      insertStep(db.sql, task, { backoff_base_ms: 5000, backoff_max_ms: 1000 }),
      check,
      'steps_backoff_max_ms_check',
    );
  });
});

describe('step edges', () => {
  it('rejects self-edges, duplicate edges and edges that leave the task', async () => {
    const task = await insertTask(db.sql, template);
    const [a, b] = [await insertStep(db.sql, task), await insertStep(db.sql, task)];
    const other = await insertStep(db.sql, await insertTask(db.sql, template));
    const edge = (parent: string, child: string) =>
      db.sql`INSERT INTO tasker.step_edges (task_uuid, parent_step_uuid, child_step_uuid) VALUES (${task}, ${parent}, ${child})`;
    await expectRejected(edge(a, a), check, 'step_edges_no_self_edge_check');
    await edge(a, b);
    await expectRejected(edge(a, b), unique, CONSTRAINTS.stepEdge);
    await expectRejected(edge(a, other), foreignKey, 'step_edges_child_fkey');
  });
});

describe('history', () => {
  it('draws task and step event ids from one increasing sequence, and never records a non-move', async () => {
    const task = await insertTask(db.sql, template);
    const step = await insertStep(db.sql, task);
    const [t1] = await db.sql<{ event_id: number }[]>`
      INSERT INTO tasker.task_transitions (task_uuid, to_state, event) VALUES (${task}, 'pending', 'create') RETURNING event_id`;
    const [s1] = await db.sql<{ event_id: number }[]>`
      INSERT INTO tasker.step_transitions (task_uuid, step_uuid, to_state, event) VALUES (${task}, ${step}, 'pending', 'create')
      RETURNING event_id`;
    const [t2] = await db.sql<{ event_id: number }[]>`
      INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event)
      VALUES (${task}, 'pending', 'initializing', 'start') RETURNING event_id`;
    expect(typeof t1?.event_id).toBe('number');
    expect([t1?.event_id, s1?.event_id, t2?.event_id]).toEqual([
      t1?.event_id,
      (t1?.event_id ?? 0) + 1,
      (t1?.event_id ?? 0) + 2,
    ]);

    await expectRejected(
      db.sql`INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event) VALUES (${task}, 'pending', 'pending', 'noop')`,
      check,
      'task_transitions_changes_state_check',
    );
    await expectRejected(
      db.sql`INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event)
             VALUES (${task}, ${step}, 'done', 'pending', 'x')`,
      check,
      'step_transitions_from_state_check',
    );
  });

  it('records only finished attempts, each with a path the machine allows, and ties audit rows to a transition', async () => {
    const task = await insertTask(db.sql, template);
    const step = await insertStep(db.sql, task);
    const attempt = (columns: Record<string, unknown>) => db.sql`
      INSERT INTO tasker.step_attempts ${db.sql({
        lease_token: randomUUID(),
        task_uuid: task,
        step_uuid: step,
        attempt: 1,
        worker_id: 'w1',
        finished_at: new Date(),
        outcome: 'completed',
        to_state: 'complete',
        finish_event: 'complete_result>complete',
        claim_event_id: 10,
        finish_event_id: 11,
        ...columns,
      } as Record<string, string | number | Date | null>)}`;
    await attempt({});
    // A running attempt is its step row: an attempt row without an end is refused.
    await expectRejected(attempt({ finished_at: null }), SQLSTATE.notNullViolation, undefined);
    await expectRejected(attempt({ finish_event: 'complete' }), check, 'step_attempts_machine_check');
    await expectRejected(
      attempt({ to_state: 'error', finish_event: 'fail_result>fail' }),
      check,
      'step_attempts_machine_check',
    );
    await expectRejected(attempt({ claim_event_id: 12 }), check, 'step_attempts_events_check');
    await attempt({ outcome: 'failed', to_state: 'waiting_for_retry', finish_event: 'fail_result>wait_for_retry' });
    await expectRejected(
      db.sql`INSERT INTO tasker.step_audit (event_id, task_uuid, step_uuid, action, success, to_state)
             VALUES (-1, ${task}, ${step}, 'worker_result', true, 'complete')`,
      foreignKey,
      'step_audit_transition_fkey',
    );
  });
});

describe('dead letter queue, API keys', () => {
  it('keeps at most one pending DLQ entry per task; closed entries accumulate', async () => {
    const task = await insertTask(db.sql, template);
    const entry = (status: string) => db.sql`
      INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, resolution_status, resolution_timestamp)
      VALUES (${task}, 'error', 'max_retries_exceeded', ${status}, ${status === 'pending' ? null : new Date()})`;
    await entry('manually_resolved');
    await entry('manually_resolved');
    await entry('pending');
    await expectRejected(entry('pending'), unique, CONSTRAINTS.dlqOnePendingPerTask);
    await expectRejected(
      db.sql`INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason) VALUES (${task}, 'error', 'bored')`,
      check,
      'dlq_entries_reason_check',
    );
    await expectRejected(
      db.sql`UPDATE tasker.dlq_entries SET resolution_status = 'cancelled', resolution_timestamp = NULL WHERE task_uuid = ${task}`,
      check,
      'dlq_entries_resolution_timestamp_check',
    );
  });

  it('stores API keys as unique 32-byte digests', async () => {
    const key = (digest: Buffer) =>
      db.sql`INSERT INTO tasker.api_keys (key_sha256, permissions) VALUES (${digest}, ${['tasks:read']})`;
    const digest = randomBytes(32);
    await key(digest);
    await expectRejected(key(digest), unique, CONSTRAINTS.apiKeyDigest);
    await expectRejected(key(randomBytes(31)), check, 'api_keys_key_sha256_check');
  });
});

describe('names and vocabularies the code relies on', () => {
  it('has every constraint named in pg-errors CONSTRAINTS', async () => {
    const rows = await db.sql<{ name: string }[]>`
      SELECT conname AS name FROM pg_constraint WHERE connamespace = 'tasker'::regnamespace
      UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'tasker'`;
    const names = new Set(rows.map((r) => r.name));
    expect(Object.values(CONSTRAINTS).filter((name) => !names.has(name))).toEqual([]);
  });

  it('checks exactly the enum values of the shared domain, in the same order', async () => {
    const expected: Record<string, readonly string[]> = {
      tasks_state_check: TASK_STATES,
      task_transitions_from_state_check: TASK_STATES,
      task_transitions_to_state_check: TASK_STATES,
      dlq_entries_original_state_check: TASK_STATES,
      steps_state_check: STEP_STATES,
      step_transitions_from_state_check: STEP_STATES,
      step_transitions_to_state_check: STEP_STATES,
      step_audit_from_state_check: STEP_STATES,
      step_audit_to_state_check: STEP_STATES,
      steps_step_type_check: STEP_TYPES,
      steps_backoff_kind_check: BACKOFF_KINDS,
      templates_identity_strategy_check: IDENTITY_STRATEGIES,
      step_audit_action_check: STEP_AUDIT_ACTIONS,
      dlq_entries_reason_check: DLQ_REASONS,
      dlq_entries_resolution_status_check: DLQ_RESOLUTION_STATUSES,
    };
    const rows = await db.sql<{ name: string; definition: string }[]>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE connamespace = 'tasker'::regnamespace AND conname = ANY(${Object.keys(expected)})`;
    const actual = Object.fromEntries(
      rows.map((r) => [r.name, [...r.definition.matchAll(/'([^']*)'::text/g)].map((m) => m[1])]),
    );
    expect(actual).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, [...v]])));
  });

  it('generates time-ordered version 7 UUIDs', async () => {
    const [first] = await db.sql<
      { id: string; at: Date }[]
    >`SELECT tasker.uuid_generate_v7() AS id, clock_timestamp() AS at`;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [second] = await db.sql<{ id: string }[]>`SELECT tasker.uuid_generate_v7() AS id`;
    expect(first?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const millis = Number.parseInt((first?.id ?? '').replace('-', '').slice(0, 12), 16);
    expect(Math.abs(millis - (first?.at.getTime() ?? 0))).toBeLessThan(5);
    expect((second?.id ?? '') > (first?.id ?? '')).toBe(true);
  });
});

describe('the hot path the schema is built for', () => {
  const violations = async (taskUuid: string): Promise<string[]> =>
    (await db.sql<{ v: string }[]>`SELECT v FROM tasker.task_invariant_violations(${taskUuid}) AS v`).map((r) => r.v);

  it('runs a diamond with one statement per claim and per completion, consistent after every one', async () => {
    const flow = await insertTemplate(db.sql, { namespace: 'flow_diamond' });
    const { taskUuid, steps } = await createConsistentTask(db.sql, flow, [
      { name: 'fetch', parents: [] },
      { name: 'thumbs', parents: ['fetch'] },
      { name: 'transcribe', parents: ['fetch'] },
      { name: 'publish', parents: ['thumbs', 'transcribe'] },
    ]);
    expect(await violations(taskUuid)).toEqual([]);

    const order: string[] = [];
    for (;;) {
      const claim = await claimStep(db.sql, flow.namespace, 'worker-1');
      if (claim === undefined) break;
      expect(await violations(taskUuid)).toEqual([]);
      // A zombie holding an older (here: made-up) token changes nothing.
      expect(await completeStep(db.sql, claim.stepUuid, randomUUID(), { zombie: true })).toBe(false);
      expect(await completeStep(db.sql, claim.stepUuid, claim.leaseToken, { ok: true })).toBe(true);
      expect(await violations(taskUuid)).toEqual([]);
      order.push(Object.entries(steps).find(([, uuid]) => uuid === claim.stepUuid)?.[0] ?? '?');
    }
    expect(order[0]).toBe('fetch');
    expect(order.slice(1, 3).sort()).toEqual(['thumbs', 'transcribe']);
    expect(order[3]).toBe('publish');

    const [task] = await db.sql`SELECT steps_total, steps_complete FROM tasker.tasks WHERE task_uuid = ${taskUuid}`;
    expect(task).toMatchObject({ steps_total: 4, steps_complete: 4 });
    // Every step's history is the path create → enqueued → in_progress → complete, one event each, in id order:
    // each step rests in 3 states and its one attempt row carries all but the creation of a non-root.
    const history = await db.sql<{ name: string; events: string[]; ids: number[] }[]>`
      SELECT s.name, array_agg(se.event ORDER BY se.event_id) AS events, array_agg(se.event_id ORDER BY se.event_id) AS ids
      FROM tasker.step_events se JOIN tasker.steps s USING (step_uuid)
      WHERE se.task_uuid = ${taskUuid} GROUP BY s.name ORDER BY s.name`;
    const expected: Record<string, string[]> = {
      fetch: ['create>enqueue', 'claim', 'complete_result>complete'],
      publish: ['create', 'enqueue', 'claim', 'complete_result>complete'],
      thumbs: ['create', 'enqueue', 'claim', 'complete_result>complete'],
      transcribe: ['create', 'enqueue', 'claim', 'complete_result>complete'],
    };
    expect(Object.fromEntries(history.map((h) => [h.name, h.events]))).toEqual(expected);
    for (const h of history) expect(h.ids).toEqual([...h.ids].sort((a, b) => a - b));
    const [counted] = await db.sql<{ rows: number }[]>`
      SELECT (SELECT count(*) FROM tasker.step_attempts WHERE task_uuid = ${taskUuid})::int
           + (SELECT count(*) FROM tasker.step_transitions WHERE task_uuid = ${taskUuid})::int AS rows`;
    expect(counted?.rows).toBe(4 + 3);
  });

  it('reports every kind of drift between a task and its rows', async () => {
    const flow = await insertTemplate(db.sql, { namespace: 'flow_drift' });
    const { taskUuid, steps } = await createConsistentTask(db.sql, flow, [
      { name: 'a', parents: [] },
      { name: 'b', parents: ['a'] },
    ]);
    await db.sql`UPDATE tasker.tasks SET steps_pending = steps_pending - 1, steps_active = steps_active + 1 WHERE task_uuid = ${taskUuid}`;
    await db.sql`UPDATE tasker.steps SET unsatisfied_parents = 0 WHERE step_uuid = ${steps['b'] ?? ''}`;
    // The root's enqueue event lived on its row (its dispatch cycle): the drifted row lost it.
    await db.sql`UPDATE tasker.steps SET state = 'error', enqueue_event_id = NULL WHERE step_uuid = ${steps['a'] ?? ''}`;
    const found = await violations(taskUuid);
    for (const expected of [
      /steps_pending is 0, but 1 steps are pending/,
      /steps_active is 2, but 0 steps are active/,
      /steps_error is 0, but 1 steps are error/,
      /step b: unsatisfied_parents is 0, but 1 parents/,
      /step a is error, but its latest event enters \(no event\)/,
    ]) {
      expect(
        found.some((line) => expected.test(line)),
        `${expected} in ${JSON.stringify(found)}`,
      ).toBe(true);
    }
  });

  it('claims through the partial claim index, with fresh, missing or stale statistics', async () => {
    const task = await insertTask(db.sql, template);
    const bulk = (prefix: string, n: number, namespace: string, state: string) => db.sql`
      INSERT INTO tasker.steps (task_uuid, name, namespace, handler_callable, state, enqueued_at, completed_at)
      SELECT ${task}, ${prefix} || g, ${namespace}, 'Fixtures.Bulk', ${state},
             CASE WHEN ${state} = 'enqueued' THEN now() END, CASE WHEN ${state} = 'complete' THEN now() END
      FROM generate_series(1, ${n}) AS g`;
    await bulk('done_', 5000, 'plan_mine', 'complete');
    await bulk('busy_', 3000, 'plan_busy', 'enqueued');
    await bulk('mine_', 5, 'plan_mine', 'enqueued');
    const plan = async (namespace: string): Promise<string> =>
      JSON.stringify(
        await db.sql`
          EXPLAIN (FORMAT JSON)
          SELECT step_uuid FROM tasker.steps
          WHERE state = 'enqueued' AND namespace = ${namespace}
          ORDER BY dispatch_key, step_uuid
          LIMIT 32 FOR UPDATE SKIP LOCKED`,
      );
    // The index both finds the namespace's rows and yields them in claim order: no sort, LIMIT stops early.
    const expectIndexOrderedScan = (text: string): void => {
      expect(text).toContain('"Index Name":"steps_claim_idx"');
      expect(text).not.toMatch(/"Node Type":"(Incremental )?Sort"/);
    };
    expectIndexOrderedScan(await plan('plan_mine'));
    await db.sql`ANALYZE tasker.steps`;
    expectIndexOrderedScan(await plan('plan_mine'));
    // Statistics now describe the opposite of reality: the busy namespace became the quiet one.
    await db.sql`UPDATE tasker.steps SET namespace = CASE namespace WHEN 'plan_busy' THEN 'plan_mine' ELSE 'plan_busy' END
                 WHERE task_uuid = ${task} AND state = 'enqueued'`;
    expectIndexOrderedScan(await plan('plan_busy'));
  });
});

-- Lean history, part 3 of 3: every engine operation under the rule of part 1, results applied in batches,
-- and the views that read the history back. Lock order is unchanged: the task row first, then its steps
-- (claims, the sweeper and the retry promoter find steps first and then take their tasks in task_uuid order,
-- the sweeper and promoter with SKIP LOCKED). Every function that draws event ids for a task holds its row
-- lock first, so per task commit order equals event-id order.

DROP FUNCTION tasker.advance_task(tasker.tasks, text, integer[], bigint, boolean, uuid[], boolean, text, text);
DROP FUNCTION tasker.satisfy_children(uuid);
DROP FUNCTION tasker.complete_step(uuid, uuid, text, jsonb, integer, jsonb, text[]);
DROP FUNCTION tasker.fail_step(uuid, uuid, text, jsonb, boolean, bigint, integer, double precision, text[]);
DROP FUNCTION tasker.fail_attempt(tasker.steps, text, jsonb, boolean, bigint, double precision, text, integer);
DROP FUNCTION tasker.count_move(integer[], text, text, integer);
DROP FUNCTION tasker.step_state_index(text);
DROP FUNCTION tasker.create_task(jsonb, jsonb);
DROP FUNCTION tasker.claim_steps(text, text[], text[], integer, integer);

-- ---------------------------------------------------------------------------------------------------------
-- Reading the history back.

-- Every step event of the unified history (part 1 lists where each lives). `cursor_event_id` is the highest
-- event id of the row an event comes from: filter on it too (`cursor_event_id > $cursor`) and each branch is a
-- range scan of its index, whatever the event's own id.
CREATE VIEW tasker.step_events AS
  SELECT st.task_uuid, st.step_uuid, st.event_id, st.from_state, st.to_state, st.event, st.attempt, st.actor,
         st.reason, st.metadata, st.created_at, st.event_id AS cursor_event_id
  FROM tasker.step_transitions st
  UNION ALL
  SELECT a.task_uuid, a.step_uuid, e.event_id, e.from_state, e.to_state, e.event, e.attempt, e.actor, e.reason,
         e.metadata, e.created_at, a.finish_event_id
  FROM tasker.step_attempts a
  CROSS JOIN LATERAL (VALUES
    (a.enqueue_event_id, a.enqueue_from, 'enqueued', tasker.enqueue_event_name(a.enqueue_from), a.attempt - 1,
     NULL::text, NULL::text, '{}'::jsonb, a.enqueued_at),
    (a.claim_event_id, 'enqueued', 'in_progress', 'claim', a.attempt, a.worker_id, NULL, '{}'::jsonb, a.claimed_at),
    (a.finish_event_id, 'in_progress', a.to_state, a.finish_event,
     CASE WHEN a.outcome = 'released' THEN a.attempt - 1 ELSE a.attempt END, a.finished_by, a.error->>'message',
     jsonb_strip_nulls(jsonb_build_object('execution_time_ms', a.execution_time_ms, 'error_type', a.error->'error_type',
                                          'delay_ms', a.retry_delay_ms, 'metadata', a.metadata)),
     a.finished_at)
  ) AS e(event_id, from_state, to_state, event, attempt, actor, reason, metadata, created_at)
  WHERE a.finish_event_id IS NOT NULL AND e.event_id IS NOT NULL
  UNION ALL
  SELECT s.task_uuid, s.step_uuid, e.event_id, e.from_state, e.to_state, e.event, e.attempt, e.actor, NULL, '{}'::jsonb,
         e.created_at, greatest(s.enqueue_event_id, s.claim_event_id)
  FROM tasker.steps s
  CROSS JOIN LATERAL (VALUES
    (s.enqueue_event_id, s.enqueue_from, 'enqueued', tasker.enqueue_event_name(s.enqueue_from),
     s.attempts - CASE WHEN s.state = 'in_progress' THEN 1 ELSE 0 END, NULL::text, s.enqueued_at),
    (s.claim_event_id, 'enqueued', 'in_progress', 'claim', s.attempts, s.leased_by, s.last_attempted_at)
  ) AS e(event_id, from_state, to_state, event, attempt, actor, created_at)
  WHERE s.state IN ('enqueued', 'in_progress') AND e.event_id IS NOT NULL;

COMMENT ON VIEW tasker.step_events IS
  'Every step event (transitions, finished attempts, the dispatch cycle in flight), one row per event.';

-- ---------------------------------------------------------------------------------------------------------
-- Creation: the task (resting in steps_in_process), its steps (roots enqueued), edges, one task transition
-- naming the path, one `create` transition per non-root step (a root's creation is its cycle's enqueue event),
-- and the wake-up. p_task / p_steps as before (docs/engine.md).
CREATE FUNCTION tasker.create_task(p_task jsonb, p_steps jsonb) RETURNS tasker.tasks
LANGUAGE plpgsql AS $$
DECLARE
  t tasker.tasks;
  v_n integer := jsonb_array_length(p_steps);
  v_roots integer;
  v_actor text := p_task->>'initiator';
  v_base uuid := tasker.uuid_generate_v7();
BEGIN
  IF p_task ? 'template_hash' AND NOT EXISTS (
       SELECT 1 FROM tasker.templates
       WHERE template_uuid = (p_task->>'template_uuid')::uuid AND content_hash = p_task->>'template_hash') THEN
    RAISE EXCEPTION 'template % changed since it was cached', p_task->>'template_uuid' USING ERRCODE = 'TK001';
  END IF;
  SELECT count(*) INTO v_roots FROM jsonb_array_elements(p_steps) AS e(value) WHERE jsonb_array_length(e.value->'parents') = 0;

  INSERT INTO tasker.tasks (template_uuid, namespace, name, version, state, context, initiator, source_system, reason,
                            priority, tags, correlation_id, parent_correlation_id, identity_hash, idempotency_key,
                            steps_total, steps_pending, steps_active)
  VALUES ((p_task->>'template_uuid')::uuid, p_task->>'namespace', p_task->>'name', p_task->>'version', 'steps_in_process',
          p_task->'context', p_task->>'initiator', p_task->>'source_system', p_task->>'reason',
          coalesce((p_task->>'priority')::integer, 0),
          coalesce(ARRAY(SELECT jsonb_array_elements_text(p_task->'tags')), '{}'),
          coalesce((p_task->>'correlation_id')::uuid, tasker.uuid_generate_v7()),
          (p_task->>'parent_correlation_id')::uuid, p_task->>'identity_hash', p_task->>'idempotency_key',
          v_n, v_n - v_roots, v_roots)
  RETURNING * INTO t;

  -- The task's event first: a watcher replaying from the start sees the task before its steps.
  PERFORM tasker.insert_task_transition(t.task_uuid, NULL, 'steps_in_process', 'create>start>ready_steps_found>steps_enqueued',
            v_actor, t.reason, jsonb_build_object('count', v_roots));

  WITH spec AS (
    SELECT s.*, o.ord, jsonb_array_length(s.parents) AS np
    FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS o(value, ord)
    CROSS JOIN LATERAL jsonb_to_record(o.value) AS s(
      name text, step_type text, handler_callable text, handler_method text, initialization jsonb,
      retryable boolean, max_attempts integer, backoff_kind text, backoff_base_ms integer, backoff_max_ms integer,
      backoff_jitter double precision, timeout_seconds integer, parents jsonb)
  ), ins AS (
    INSERT INTO tasker.steps (step_uuid, task_uuid, name, state, namespace, priority, step_type, handler_callable,
                              handler_method, initialization, retryable, max_attempts, backoff_kind, backoff_base_ms,
                              backoff_max_ms, backoff_jitter, timeout_seconds, total_parents, unsatisfied_parents,
                              enqueued_at, enqueue_event_id)
    SELECT tasker.uuid_v7_ordered(v_base, spec.ord::integer), t.task_uuid, spec.name,
           CASE WHEN spec.np = 0 THEN 'enqueued' ELSE 'pending' END, t.namespace, t.priority, spec.step_type,
           spec.handler_callable, spec.handler_method, coalesce(spec.initialization, '{}'), spec.retryable,
           spec.max_attempts, spec.backoff_kind, spec.backoff_base_ms, spec.backoff_max_ms, spec.backoff_jitter,
           spec.timeout_seconds, spec.np, spec.np,
           CASE WHEN spec.np = 0 THEN now() END,
           CASE WHEN spec.np = 0 THEN nextval('tasker.event_id_seq') END
    FROM spec ORDER BY spec.ord
    RETURNING step_uuid, name, state
  ), edges AS (
    INSERT INTO tasker.step_edges (task_uuid, parent_step_uuid, child_step_uuid)
    SELECT t.task_uuid, p.step_uuid, c.step_uuid
    FROM spec
    JOIN ins c ON c.name = spec.name
    CROSS JOIN LATERAL jsonb_array_elements_text(spec.parents) AS pn(name)
    JOIN ins p ON p.name = pn.name
  )
  INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
  SELECT t.task_uuid, ins.step_uuid, NULL, 'pending', 'create', 0, v_actor
  FROM ins WHERE ins.state = 'pending' ORDER BY ins.step_uuid;

  PERFORM tasker.notify_steps_ready(t.namespace, ARRAY(
    SELECT e.value->>'handler_callable' FROM jsonb_array_elements(p_steps) AS e(value)
    WHERE jsonb_array_length(e.value->'parents') = 0));
  RETURN t;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Dispatch.

-- Claims up to p_max enqueued steps (p_namespaces / p_handlers NULL = any) for p_worker: in_progress,
-- attempts + 1, a fresh lease token (the fencing token), a lease of min(p_lease_ms, timeout_seconds) and the
-- claim's event id, all on the step row. Nothing else is written: the attempt row comes when it ends, and the
-- task's counters do not change (enqueued and running are both `active`). Returns what the handler needs.
-- p_skip_busy_tasks: leave steps whose task another transaction holds (a claim made in a transaction that
-- already locked other tasks, report_and_claim, must not wait for a task lock out of order).
CREATE FUNCTION tasker.claim_steps(
  p_worker text, p_namespaces text[], p_handlers text[], p_max integer, p_lease_ms integer,
  p_skip_busy_tasks boolean DEFAULT false)
RETURNS TABLE (
  task_uuid uuid, step_uuid uuid, step_name text, namespace text, task_name text, task_version text,
  handler_callable text, handler_method text, initialization jsonb, context jsonb, parent_results jsonb,
  attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer,
  correlation_id uuid)
LANGUAGE plpgsql
-- Generic plans: every statement here is driven by primary-key arrays or the claim index, and re-planning
-- them per call (custom plans) cost more than the statements themselves.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  v_tasks uuid[];
BEGIN
  -- One ordered walk of steps_claim_idx per namespace (all that have work when p_namespaces is NULL), then
  -- the best p_max overall.
  SELECT array_agg(x.step_uuid), array_agg(DISTINCT x.task_uuid) INTO v_ids, v_tasks FROM (
    SELECT c.step_uuid, c.task_uuid FROM unnest(coalesce(p_namespaces, tasker.namespaces_with_enqueued_steps())) AS ns(name)
    CROSS JOIN LATERAL (
      SELECT s.step_uuid, s.task_uuid, s.priority, s.enqueued_at FROM tasker.steps s
      WHERE s.state = 'enqueued' AND s.namespace = ns.name
        AND (p_handlers IS NULL OR s.handler_callable = ANY (p_handlers))
      ORDER BY s.priority DESC, s.enqueued_at, s.step_uuid
      LIMIT p_max FOR UPDATE SKIP LOCKED) c
    ORDER BY c.priority DESC, c.enqueued_at, c.step_uuid
    LIMIT p_max) x;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;
  -- Event ids of a task are drawn under its row lock.
  IF p_skip_busy_tasks THEN
    v_tasks := ARRAY(SELECT t.task_uuid FROM tasker.tasks t WHERE t.task_uuid = ANY (v_tasks)
                     ORDER BY t.task_uuid FOR NO KEY UPDATE SKIP LOCKED);
    v_ids := ARRAY(SELECT s.step_uuid FROM tasker.steps s WHERE s.step_uuid = ANY (v_ids) AND s.task_uuid = ANY (v_tasks));
    IF cardinality(v_ids) = 0 THEN
      RETURN;
    END IF;
  ELSE
    PERFORM 1 FROM tasker.tasks t WHERE t.task_uuid = ANY (v_tasks) ORDER BY t.task_uuid FOR NO KEY UPDATE;
  END IF;

  RETURN QUERY
  WITH moved AS (
    UPDATE tasker.steps s SET
      state = 'in_progress', attempts = s.attempts + 1, lease_token = gen_random_uuid(), leased_by = p_worker,
      lease_expires_at = now() + make_interval(secs => least(p_lease_ms, coalesce(s.timeout_seconds * 1000, p_lease_ms)) / 1000.0),
      last_attempted_at = now(), next_retry_at = NULL, claim_event_id = nextval('tasker.event_id_seq'), updated_at = now()
    WHERE s.step_uuid = ANY (v_ids)
    RETURNING s.*
  )
  -- LATERAL: each step's task by its primary key, whatever the planner thinks of the CTE's size.
  SELECT m.task_uuid, m.step_uuid, m.name, m.namespace, t.name, t.version, m.handler_callable, m.handler_method,
         m.initialization, t.context,
         coalesce((SELECT jsonb_object_agg(p.name, p.results)
                   FROM tasker.step_edges e JOIN tasker.steps p ON p.step_uuid = e.parent_step_uuid
                   WHERE e.child_step_uuid = m.step_uuid), '{}'::jsonb),
         m.attempts, m.max_attempts, m.lease_token, m.lease_expires_at, m.timeout_seconds, t.correlation_id
  FROM moved m CROSS JOIN LATERAL (SELECT * FROM tasker.tasks x WHERE x.task_uuid = m.task_uuid) t
  ORDER BY m.priority DESC, m.enqueued_at, m.step_uuid;

  PERFORM tasker.notify_task_event(x) FROM unnest(v_tasks) AS x;
END $$;

-- Results, many per call: each {step_uuid, lease_token, status: completed|failed, result?, execution_time_ms?,
-- metadata?, error?, retryable?, retry_after_ms?}. Each carries its lease token; a stale one changes nothing
-- (outcome lease_lost, or cancelled when the task or step was cancelled under it), an unknown step or one
-- outside p_namespaces is not_found. The results' tasks are locked in task_uuid order (two batches never
-- deadlock), then the batch is applied set-based: failures one by one (each needs its retry decision), every
-- completion in one statement (attempt rows + step rows), every released child in one, and every task settles
-- once (tasker.settle_decision) in one. Children of a task with a step in error are held back (pending, parents
-- counted down) as the single-result path does. One row per result, in input order.
-- p_notify false: the caller wakes claimers itself (report_and_claim, for what it did not claim at once).
CREATE FUNCTION tasker.report_results(
  p_worker text, p_results jsonb, p_multiplier double precision, p_namespaces text[], p_notify boolean DEFAULT true)
RETURNS TABLE (step_uuid uuid, outcome text, step_state text, task_state text, next_retry_at timestamptz)
LANGUAGE plpgsql
-- Generic plans: every statement here is driven by primary-key arrays or the claim index, and re-planning
-- them per call (custom plans) cost more than the statements themselves.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  s tasker.steps;
  f record;
  v jsonb;
  v_n integer := jsonb_array_length(p_results);
  v_ids uuid[];
  v_tokens uuid[];
  v_tasks uuid[];
  -- Per input position.
  v_task_of uuid[];
  v_verdict text[];
  v_step_state text[];
  v_next timestamptz[];
  v_outcome text[];
  -- Completions, failures, and their tasks.
  v_cids uuid[] := '{}';
  v_cords integer[] := '{}';
  v_move_tasks uuid[] := '{}';
  v_move_to text[] := '{}';
  v_hold uuid[];
  v_enq_tasks uuid[];
  v_enq_counts integer[];
  v_settled uuid[];
  v_settled_states text[];
  v_gave_up uuid[];
  r record;
BEGIN
  IF v_n = 0 THEN
    RETURN;
  END IF;
  -- Every lookup goes through a primary key (= ANY of an array, or an index join from a small unnest).
  SELECT array_agg((e.v->>'step_uuid')::uuid ORDER BY e.o), array_agg((e.v->>'lease_token')::uuid ORDER BY e.o)
  INTO v_ids, v_tokens FROM jsonb_array_elements(p_results) WITH ORDINALITY AS e(v, o);
  v_tasks := ARRAY(SELECT DISTINCT x.task_uuid FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY 1);
  PERFORM 1 FROM tasker.tasks x WHERE x.task_uuid = ANY (v_tasks) ORDER BY x.task_uuid FOR UPDATE;
  PERFORM 1 FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY x.task_uuid, x.step_uuid FOR UPDATE;

  -- What each result is: not_found, lease_lost (a step reported twice: its lease went with the first), refused
  -- (stale token), complete or fail.
  SELECT array_agg(CASE WHEN k.visible THEN k.task_uuid END ORDER BY k.ord),
         array_agg(CASE
           WHEN NOT k.visible THEN 'not_found'
           WHEN k.nth > 1 THEN 'lease_lost'
           WHEN k.state <> 'in_progress' OR k.lease_token IS DISTINCT FROM k.tok THEN 'refused'
           WHEN p_results->(k.ord::integer - 1)->>'status' = 'completed' THEN 'complete'
           ELSE 'fail' END ORDER BY k.ord),
         array_agg(CASE WHEN k.visible THEN k.state END ORDER BY k.ord),
         array_agg(CASE WHEN k.visible THEN k.next_retry_at END ORDER BY k.ord)
  INTO v_task_of, v_verdict, v_step_state, v_next
  FROM (
    SELECT i.ord, i.tok, i.nth, x.task_uuid, x.state, x.lease_token, x.next_retry_at,
           x.step_uuid IS NOT NULL AND (p_namespaces IS NULL OR x.namespace = ANY (p_namespaces)) AS visible
    FROM (SELECT u.*, row_number() OVER (PARTITION BY u.sid ORDER BY u.ord) AS nth
          FROM unnest(v_ids, v_tokens) WITH ORDINALITY AS u(sid, tok, ord)) i
    LEFT JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = i.sid LIMIT 1) x ON true
  ) k;

  v_outcome := array_fill(NULL::text, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    CASE v_verdict[i]
      WHEN 'not_found', 'lease_lost' THEN
        v_outcome[i] := v_verdict[i];
      WHEN 'refused' THEN
        v_outcome[i] := tasker.lease_refusal(v_ids[i], v_tokens[i]);
      WHEN 'complete' THEN
        v_outcome[i] := 'ok';
        v_step_state[i] := 'complete';
        v_next[i] := NULL;
        v_cids := v_cids || v_ids[i];
        v_cords := v_cords || i;
        v_move_tasks := v_move_tasks || v_task_of[i];
        v_move_to := v_move_to || 'complete'::text;
      ELSE
        v := p_results->(i - 1);
        SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = v_ids[i];
        f := tasker.fail_running_step(s, 'fail_result', v->'error', coalesce((v->>'retryable')::boolean, true),
               (v->>'retry_after_ms')::bigint, p_multiplier, p_worker, (v->>'execution_time_ms')::integer);
        v_outcome[i] := 'ok';
        v_step_state[i] := f.o_state;
        v_next[i] := f.o_next_retry_at;
        v_move_tasks := v_move_tasks || v_task_of[i];
        v_move_to := v_move_to || f.o_state;
    END CASE;
  END LOOP;

  IF cardinality(v_move_tasks) > 0 THEN
    -- Every completion: its attempt row (carrying the cycle's enqueue and claim events and the finish event drawn
    -- now) and its step row, in one statement (the attempt reads the step as it was).
    IF cardinality(v_cids) > 0 THEN
      WITH c AS (
        SELECT x.*, p_results->(i.ord - 1) AS r
        FROM unnest(v_cids, v_cords) AS i(sid, ord)
        CROSS JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = i.sid LIMIT 1) x
      ), att AS (
        INSERT INTO tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id, claimed_at, finished_at,
                                          outcome, execution_time_ms, error, to_state, finish_event, finished_by, metadata,
                                          enqueue_event_id, enqueue_from, enqueued_at, claim_event_id, finish_event_id)
        SELECT c.lease_token, c.task_uuid, c.step_uuid, c.attempts, c.leased_by, c.last_attempted_at, now(),
               'completed', (c.r->>'execution_time_ms')::integer, NULL, 'complete', 'complete_result>complete', p_worker,
               nullif(c.r->'metadata', 'null'::jsonb), c.enqueue_event_id, c.enqueue_from, c.enqueued_at, c.claim_event_id,
               nextval('tasker.event_id_seq')
        FROM c
      )
      UPDATE tasker.steps x SET state = 'complete', results = c.r->'result', completed_at = now(), lease_token = NULL,
                                lease_expires_at = NULL, leased_by = NULL, next_retry_at = NULL, enqueue_event_id = NULL,
                                enqueue_from = NULL, claim_event_id = NULL, updated_at = now()
      FROM c WHERE x.step_uuid = c.step_uuid AND x.step_uuid = ANY (v_cids);

      -- Their children, in one statement: each counts down its parents completed here; a pending child whose
      -- last parent this was is enqueued (its enqueue event drawn now) unless its task holds children back.
      v_hold := ARRAY(
        SELECT t.task_uuid FROM tasker.tasks t WHERE t.task_uuid = ANY (v_move_tasks)
          AND (t.state IN ('blocked_by_failures', 'error') OR t.steps_error > 0
               OR t.task_uuid = ANY (SELECT m.t FROM unnest(v_move_tasks, v_move_to) AS m(t, s) WHERE m.s = 'error')));
      FOR r IN
        WITH k AS (
          SELECT x.step_uuid AS sid, e.n,
                 (x.unsatisfied_parents = e.n AND x.state = 'pending' AND NOT (x.task_uuid = ANY (v_hold))) AS go
          FROM (SELECT d.child_step_uuid, count(*)::integer AS n FROM tasker.step_edges d
                WHERE d.parent_step_uuid = ANY (v_cids) GROUP BY d.child_step_uuid) e
          CROSS JOIN LATERAL (SELECT * FROM tasker.steps y WHERE y.step_uuid = e.child_step_uuid LIMIT 1) x
        ), moved AS (
          UPDATE tasker.steps x SET
            unsatisfied_parents = x.unsatisfied_parents - k.n,
            state = CASE WHEN k.go THEN 'enqueued' ELSE x.state END,
            enqueued_at = CASE WHEN k.go THEN now() ELSE x.enqueued_at END,
            enqueue_event_id = CASE WHEN k.go THEN nextval('tasker.event_id_seq') ELSE x.enqueue_event_id END,
            enqueue_from = CASE WHEN k.go THEN 'pending' ELSE x.enqueue_from END,
            updated_at = now()
          FROM k WHERE x.step_uuid = k.sid AND k.go AND x.step_uuid = ANY (ARRAY(SELECT k.sid FROM k WHERE k.go))
          RETURNING x.task_uuid, x.namespace, x.handler_callable
        ), counted AS (
          UPDATE tasker.steps x SET unsatisfied_parents = x.unsatisfied_parents - k.n, updated_at = now()
          FROM k WHERE x.step_uuid = k.sid AND NOT k.go AND x.step_uuid = ANY (ARRAY(SELECT k.sid FROM k WHERE NOT k.go))
        )
        SELECT m.task_uuid, m.namespace, array_agg(m.handler_callable) AS handlers, count(*)::integer AS n
        FROM moved m GROUP BY m.task_uuid, m.namespace
      LOOP
        v_enq_tasks := coalesce(v_enq_tasks, '{}') || r.task_uuid;
        v_enq_counts := coalesce(v_enq_counts, '{}') || r.n;
        IF p_notify THEN PERFORM tasker.notify_steps_ready(r.namespace, r.handlers); END IF;
      END LOOP;
    END IF;

    -- Every task settles once: the counters after its moves, one decision, one transition when its resting
    -- state changes, one update of its row.
    WITH m AS (
      SELECT u.t AS task_uuid,
             count(*)::integer AS n_done,
             count(*) FILTER (WHERE u.s = 'complete')::integer AS n_complete,
             count(*) FILTER (WHERE u.s = 'waiting_for_retry')::integer AS n_retry,
             count(*) FILTER (WHERE u.s = 'error')::integer AS n_error,
             bool_or(u.s <> 'complete') AS any_failed
      FROM unnest(v_move_tasks, v_move_to) AS u(t, s) GROUP BY u.t
    ), d AS (
      SELECT t.task_uuid, t.state AS from_state, t.completed_at, cc.c, coalesce(q.n, 0) AS n_enq, dec.*
      FROM m CROSS JOIN LATERAL (SELECT * FROM tasker.tasks y WHERE y.task_uuid = m.task_uuid LIMIT 1) t
      LEFT JOIN unnest(v_enq_tasks, v_enq_counts) AS q(t, n) ON q.t = m.task_uuid
      CROSS JOIN LATERAL (SELECT ROW(t.steps_pending - coalesce(q.n, 0), t.steps_active - m.n_done + coalesce(q.n, 0),
                                     t.steps_waiting_for_retry + m.n_retry, t.steps_complete + m.n_complete,
                                     t.steps_error + m.n_error, t.steps_cancelled, t.steps_resolved_manually
                                 )::tasker.step_counts AS c) cc
      CROSS JOIN LATERAL tasker.settle_decision(t.state, cc.c, t.steps_total,
                           CASE WHEN m.any_failed THEN 'step_failed' ELSE 'step_completed' END, coalesce(q.n, 0)) dec
    ), tr AS (
      INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, actor, reason, metadata)
      SELECT d.task_uuid, d.from_state, d.o_state, d.o_path, p_worker, d.o_reason,
             CASE WHEN d.n_enq > 0 THEN jsonb_build_object('count', d.n_enq) ELSE '{}'::jsonb END
      FROM d WHERE d.o_state <> d.from_state
    ), up AS (
      UPDATE tasker.tasks t SET
        steps_pending = (d.c).pending, steps_active = (d.c).active, steps_waiting_for_retry = (d.c).waiting_for_retry,
        steps_complete = (d.c).complete, steps_error = (d.c).error, state = d.o_state,
        state_entered_at = CASE WHEN d.o_state <> d.from_state THEN now() ELSE t.state_entered_at END,
        completed_at = tasker.completed_at_after(t.completed_at, d.from_state, d.o_state),
        updated_at = now()
      FROM d WHERE t.task_uuid = d.task_uuid AND t.task_uuid = ANY (v_move_tasks)
    )
    SELECT array_agg(d.task_uuid), array_agg(d.o_state),
           array_agg(d.task_uuid) FILTER (WHERE d.o_state = 'error' AND d.from_state <> 'error')
    INTO v_settled, v_settled_states, v_gave_up FROM d;

    PERFORM tasker.open_give_up_entry(x) FROM unnest(v_gave_up) AS x;
    PERFORM tasker.notify_task_event(x) FROM unnest(v_settled) AS x;
  END IF;

  RETURN QUERY
  SELECT i.sid, v_outcome[i.ord], v_step_state[i.ord],
         CASE WHEN v_task_of[i.ord] IS NULL THEN NULL
              ELSE coalesce(v_settled_states[array_position(v_settled, v_task_of[i.ord])],
                            (SELECT t.state FROM tasker.tasks t WHERE t.task_uuid = v_task_of[i.ord])) END,
         v_next[i.ord]
  FROM unnest(v_ids) WITH ORDINALITY AS i(sid, ord)
  ORDER BY i.ord;
END $$;

-- Results and the claim riding along with them, in one call and one transaction: tasker.report_results, then
-- up to p_claim_max steps for p_worker (tasks other transactions hold are skipped: this transaction already
-- locked the results' tasks). One row per result (kind 'result', in input order), then one per claimed step
-- (kind 'claim').
CREATE FUNCTION tasker.report_and_claim(
  p_worker text, p_results jsonb, p_multiplier double precision, p_namespaces text[],
  p_claim_max integer, p_claim_namespaces text[], p_claim_handlers text[], p_lease_ms integer)
RETURNS TABLE (
  kind text, step_uuid uuid, outcome text, step_state text, task_state text, next_retry_at timestamptz,
  task_uuid uuid, step_name text, namespace text, task_name text, task_version text, handler_callable text,
  handler_method text, initialization jsonb, context jsonb, parent_results jsonb, attempt integer,
  max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer, correlation_id uuid)
LANGUAGE plpgsql
-- Generic plans: every statement here is driven by primary-key arrays or the claim index, and re-planning
-- them per call (custom plans) cost more than the statements themselves.
SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
  v_tasks uuid[];
  r record;
BEGIN
  IF jsonb_array_length(p_results) > 0 THEN
    RETURN QUERY
    SELECT 'result'::text, r.step_uuid, r.outcome, r.step_state, r.task_state, r.next_retry_at,
           NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::jsonb,
           NULL::jsonb, NULL::integer, NULL::integer, NULL::uuid, NULL::timestamptz, NULL::integer, NULL::uuid
    FROM tasker.report_results(p_worker, p_results, p_multiplier, p_namespaces, false) r;
  END IF;
  IF p_claim_max > 0 THEN
    RETURN QUERY
    SELECT 'claim'::text, c.step_uuid, NULL::text, NULL::text, NULL::text, NULL::timestamptz,
           c.task_uuid, c.step_name, c.namespace, c.task_name, c.task_version, c.handler_callable, c.handler_method,
           c.initialization, c.context, c.parent_results, c.attempt, c.max_attempts, c.lease_token, c.lease_expires_at,
           c.timeout_seconds, c.correlation_id
    FROM tasker.claim_steps(p_worker, p_claim_namespaces, p_claim_handlers, p_claim_max, p_lease_ms, true) c;
  END IF;
  -- Wake claimers only for what the results made claimable and this call did not take itself: those steps
  -- entered enqueued in this transaction (enqueued_at = now()) in the results' tasks.
  v_tasks := ARRAY(SELECT DISTINCT x.task_uuid FROM tasker.steps x
                   WHERE x.step_uuid = ANY (ARRAY(SELECT (e->>'step_uuid')::uuid FROM jsonb_array_elements(p_results) AS e)));
  FOR r IN
    SELECT x.namespace AS ns, array_agg(x.handler_callable) AS handlers FROM tasker.steps x
    WHERE x.state = 'enqueued' AND x.task_uuid = ANY (v_tasks) AND x.enqueued_at = now()
    GROUP BY x.namespace
  LOOP
    PERFORM tasker.notify_steps_ready(r.ns, r.handlers);
  END LOOP;
END $$;

-- A draining worker hands leases back: in_progress → enqueued without spending the attempt (attempts − 1),
-- keeping its place in the queue. The attempt row records the release; the task's counters do not change.
-- status: released | cancelled | lease_lost | not_found.
CREATE OR REPLACE FUNCTION tasker.release_leases(p_worker text, p_steps uuid[], p_tokens uuid[], p_namespaces text[])
RETURNS TABLE (step_uuid uuid, status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  l record;
  s tasker.steps;
BEGIN
  FOR i IN 1..coalesce(cardinality(p_steps), 0) LOOP
    l := tasker.lock_step_for_result(p_steps[i], p_namespaces);
    step_uuid := p_steps[i];
    IF (l.t).task_uuid IS NULL THEN
      status := 'not_found';
    ELSIF (l.s).state <> 'in_progress' OR (l.s).lease_token IS DISTINCT FROM p_tokens[i] THEN
      status := tasker.lease_refusal(p_steps[i], p_tokens[i]);
    ELSE
      s := l.s;
      PERFORM tasker.record_attempt(s, 'released', 'release', 'enqueued', p_worker, NULL, NULL);
      -- The release's finish event is this cycle's enqueue: the row keeps no enqueue event of its own.
      UPDATE tasker.steps x SET state = 'enqueued', attempts = x.attempts - 1, lease_token = NULL,
                                lease_expires_at = NULL, leased_by = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                                claim_event_id = NULL, updated_at = now()
      WHERE x.step_uuid = p_steps[i];
      PERFORM tasker.notify_steps_ready((l.s).namespace, ARRAY[(l.s).handler_callable]);
      PERFORM tasker.notify_task_event((l.t).task_uuid);
      status := 'released';
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

-- Expires lapsed leases: the attempt fails as retryable `lease_expired` (or `timeout` once the step ran past
-- timeout_seconds) and the normal retry rules apply. Safe with several replicas: SKIP LOCKED throughout. Running
-- steps are found through steps_dispatched_idx (they are few: bounded by the workers' concurrency).
CREATE OR REPLACE FUNCTION tasker.sweep_expired_leases(p_limit integer, p_multiplier double precision)
RETURNS TABLE (step_uuid uuid, task_uuid uuid, error_type text, step_state text, next_retry_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  t tasker.tasks;
  s tasker.steps;
  f record;
  v_timeout boolean;
BEGIN
  FOR r IN
    SELECT x.step_uuid AS sid, x.task_uuid AS tid FROM tasker.steps x
    WHERE x.state = 'in_progress' AND x.lease_expires_at < now()
    ORDER BY x.lease_expires_at LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = r.tid FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = r.sid;
    CONTINUE WHEN s.state <> 'in_progress';
    v_timeout := s.timeout_seconds IS NOT NULL AND now() >= s.last_attempted_at + make_interval(secs => s.timeout_seconds);
    error_type := CASE WHEN v_timeout THEN 'timeout' ELSE 'lease_expired' END;
    f := tasker.fail_running_step(s, 'lease_expired',
           jsonb_build_object(
             'message', CASE WHEN v_timeout THEN format('the step ran longer than its timeout of %s s', s.timeout_seconds)
                             ELSE format('the lease of worker %s expired without a result or heartbeat', s.leased_by) END,
             'error_type', error_type, 'retryable', true, 'status_code', NULL),
           true, NULL, p_multiplier, 'lease_sweeper', NULL);
    PERFORM tasker.settle_task(t, tasker.counts_move(tasker.counts_of(t), 'in_progress', f.o_state), 'step_failed', 0,
                               'lease_sweeper');
    PERFORM tasker.notify_task_event(r.tid);
    step_uuid := r.sid;
    task_uuid := r.tid;
    step_state := f.o_state;
    next_retry_at := f.o_next_retry_at;
    RETURN NEXT;
  END LOOP;
END $$;

-- Makes due retries claimable again (waiting_for_retry → enqueued, `retry`; a task resting in waiting_for_retry
-- goes retry_ready>steps_enqueued → steps_in_process). Returns how many moved and the earliest backoff still
-- running, so the caller can sleep exactly until then.
CREATE OR REPLACE FUNCTION tasker.promote_due_retries(p_limit integer)
RETURNS TABLE (promoted integer, next_due_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  t tasker.tasks;
  c tasker.step_counts;
  v_n integer := 0;
BEGIN
  FOR r IN
    SELECT x.step_uuid AS sid, x.task_uuid AS tid, x.namespace AS ns, x.handler_callable AS handler FROM tasker.steps x
    WHERE x.state = 'waiting_for_retry' AND x.next_retry_at <= now()
    ORDER BY x.next_retry_at LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = r.tid FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    UPDATE tasker.steps x SET state = 'enqueued', enqueued_at = now(), next_retry_at = NULL,
                              enqueue_event_id = nextval('tasker.event_id_seq'), enqueue_from = 'waiting_for_retry',
                              updated_at = now()
    WHERE x.step_uuid = r.sid;
    c := tasker.counts_move(tasker.counts_of(t), 'waiting_for_retry', 'enqueued');
    IF t.state = 'waiting_for_retry' THEN
      PERFORM tasker.insert_task_transition(r.tid, 'waiting_for_retry', 'steps_in_process', 'retry_ready>steps_enqueued',
                'retry_promoter', NULL, jsonb_build_object('count', 1));
    END IF;
    UPDATE tasker.tasks x SET
      steps_waiting_for_retry = c.waiting_for_retry, steps_active = c.active,
      state = CASE WHEN t.state = 'waiting_for_retry' THEN 'steps_in_process' ELSE x.state END,
      state_entered_at = CASE WHEN t.state = 'waiting_for_retry' THEN now() ELSE x.state_entered_at END,
      updated_at = now()
    WHERE x.task_uuid = r.tid;
    PERFORM tasker.notify_steps_ready(r.ns, ARRAY[r.handler]);
    PERFORM tasker.notify_task_event(r.tid);
    v_n := v_n + 1;
  END LOOP;
  promoted := v_n;
  SELECT min(x.next_retry_at) INTO next_due_at FROM tasker.steps x WHERE x.state = 'waiting_for_retry';
  RETURN NEXT;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Operator actions. Each is one call: lock the task, guard with the state machine, record, settle. The audit
-- trail of operator actions is their step transition (actor, reason, payload in metadata).

CREATE OR REPLACE FUNCTION tasker.cancel_task(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
RETURNS TABLE (outcome text, task_state text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  v tasker.steps;
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text;
    RETURN;
  END IF;
  IF NOT tasker.task_transition_allowed(t.state, 'cancel', 'cancelled') THEN
    RETURN QUERY SELECT 'invalid_state'::text, t.state;
    RETURN;
  END IF;

  -- Steps are locked in step_uuid order, like heartbeats, so the two never deadlock. A running step's
  -- cancellation ends its attempt (heartbeats and late results then read `cancelled`).
  FOR v IN
    SELECT * FROM tasker.steps s
    WHERE s.task_uuid = p_task AND s.state NOT IN ('complete', 'cancelled', 'resolved_manually')
    ORDER BY s.step_uuid FOR UPDATE
  LOOP
    IF v.state = 'in_progress' THEN
      -- Why the attempt ended is its error's message (no error happened: the operator's reason).
      PERFORM tasker.record_attempt(v, 'cancelled', 'cancel', 'cancelled', p_actor, NULL,
                CASE WHEN p_reason IS NULL THEN NULL ELSE jsonb_build_object('message', p_reason) END);
    ELSE
      PERFORM tasker.flush_enqueue_event(v);
      PERFORM tasker.insert_step_transition(p_task, v.step_uuid, v.state, 'cancelled', 'cancel', v.attempts, p_actor, p_reason);
    END IF;
  END LOOP;
  UPDATE tasker.steps s SET state = 'cancelled', completed_at = now(), lease_token = NULL, lease_expires_at = NULL,
                            leased_by = NULL, next_retry_at = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                            claim_event_id = NULL, updated_at = now()
  WHERE s.task_uuid = p_task AND s.state NOT IN ('complete', 'cancelled', 'resolved_manually');

  -- The task's own transition comes last: a watcher's stream ends at it, after every step event.
  PERFORM tasker.insert_task_transition(p_task, t.state, 'cancelled', 'cancel', p_actor, p_reason);
  UPDATE tasker.tasks x SET
    state = 'cancelled', state_entered_at = now(), completed_at = now(), updated_at = now(),
    steps_pending = 0, steps_active = 0, steps_waiting_for_retry = 0, steps_error = 0,
    steps_cancelled = x.steps_total - x.steps_complete - x.steps_resolved_manually
  WHERE x.task_uuid = p_task;
  PERFORM tasker.notify_task_event(p_task);
  RETURN QUERY SELECT 'ok'::text, 'cancelled'::text;
END $$;

-- Continues a task in error (or still blocked) once no step is left in error: every pending step whose
-- parents are satisfied is dispatched and the task settles from evaluating_results (`resume>…`); the task's
-- open DLQ entry becomes manually_resolved.
CREATE OR REPLACE FUNCTION tasker.resume_task(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
RETURNS TABLE (outcome text, task_state text, detail text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  v_state text;
  v_failed text;
  v_n integer;
  v_handlers text[];
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  IF tasker.task_next_state(t.state, 'resume') IS NULL THEN
    RETURN QUERY SELECT 'invalid_state'::text, t.state, format('task is %s; only error or blocked_by_failures tasks resume', t.state);
    RETURN;
  END IF;
  IF t.steps_error > 0 THEN
    SELECT string_agg(s.name, ', ' ORDER BY s.name) INTO v_failed
    FROM tasker.steps s WHERE s.task_uuid = p_task AND s.state = 'error';
    RETURN QUERY SELECT 'invalid_state'::text, t.state,
      format('steps still in error: %s (reset, resolve or complete them first)', v_failed);
    RETURN;
  END IF;
  WITH moved AS (
    UPDATE tasker.steps s SET state = 'enqueued', enqueued_at = now(), enqueue_event_id = nextval('tasker.event_id_seq'),
                              enqueue_from = 'pending', updated_at = now()
    WHERE s.task_uuid = p_task AND s.state = 'pending' AND s.unsatisfied_parents = 0
    RETURNING s.handler_callable
  )
  SELECT count(*)::integer, array_agg(moved.handler_callable) INTO v_n, v_handlers FROM moved;
  v_state := tasker.settle_task(t, tasker.counts_move(tasker.counts_of(t), 'pending', 'enqueued', v_n), 'resume', v_n,
                                p_actor, p_reason);
  IF v_n > 0 THEN PERFORM tasker.notify_steps_ready(t.namespace, v_handlers); END IF;
  PERFORM tasker.notify_task_event(p_task);
  UPDATE tasker.dlq_entries d SET resolution_status = 'manually_resolved', resolution_timestamp = now(),
                                  resolved_by = p_actor, resolution_notes = p_reason, updated_at = now()
  WHERE d.task_uuid = p_task AND d.resolution_status = 'pending';
  RETURN QUERY SELECT 'ok'::text, v_state, NULL::text;
END $$;

-- reset_for_retry (error → pending, attempts 0; the task waits for resume), resolve_manually and
-- complete_manually (children proceed; a running task re-evaluates as after a result).
--   p_result: stored as the step's results (complete_manually); p_audit: the action's payload (its transition's
--   metadata, shown by the step audit).
CREATE OR REPLACE FUNCTION tasker.apply_step_action(
  p_task uuid, p_step uuid, p_action text, p_actor text, p_reason text, p_result jsonb, p_audit jsonb,
  p_namespaces text[])
RETURNS TABLE (outcome text, step_state text, task_state text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  s tasker.steps;
  c tasker.step_counts;
  rel record;
  v_to text;
  v_state text;
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = p_step AND x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, t.state;
    RETURN;
  END IF;
  v_to := tasker.step_next_state(s.state, p_action);
  IF v_to IS NULL OR p_action NOT IN ('reset_for_retry', 'resolve_manually', 'complete_manually') THEN
    RETURN QUERY SELECT 'invalid_state'::text, s.state, t.state;
    RETURN;
  END IF;

  IF s.state = 'enqueued' THEN
    PERFORM tasker.flush_enqueue_event(s);
  END IF;
  PERFORM tasker.insert_step_transition(p_task, p_step, s.state, v_to, p_action,
            CASE WHEN p_action = 'reset_for_retry' THEN 0 ELSE s.attempts END, p_actor, p_reason,
            coalesce(jsonb_build_object('payload', p_audit), '{}'::jsonb));
  c := tasker.counts_move(tasker.counts_of(t), s.state, v_to);
  IF p_action = 'reset_for_retry' THEN
    UPDATE tasker.steps x SET state = 'pending', attempts = 0, next_retry_at = NULL, backoff_request_seconds = NULL,
                              updated_at = now()
    WHERE x.step_uuid = p_step;
    v_state := tasker.settle_task(t, c, NULL, 0, p_actor);
  ELSE
    UPDATE tasker.steps x SET state = v_to,
                              results = CASE WHEN p_action = 'complete_manually' THEN p_result ELSE x.results END,
                              completed_at = now(), next_retry_at = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                              updated_at = now()
    WHERE x.step_uuid = p_step;
    rel := tasker.release_children(p_step, c.error > 0 OR t.state IN ('blocked_by_failures', 'error'));
    c := tasker.counts_move(c, 'pending', 'enqueued', rel.o_enqueued);
    v_state := tasker.settle_task(t, c, 'step_completed', rel.o_enqueued, p_actor);
    IF rel.o_enqueued > 0 THEN PERFORM tasker.notify_steps_ready(t.namespace, rel.o_handlers); END IF;
  END IF;
  PERFORM tasker.notify_task_event(p_task);
  RETURN QUERY SELECT 'ok'::text, v_to, v_state;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Staleness: as before (0015), without the task row's former last_event_id.
CREATE OR REPLACE FUNCTION tasker.detect_stale_tasks(
  p_limit integer, p_dry_run boolean, p_dependencies_minutes integer, p_retry_minutes integer,
  p_in_process_minutes integer, p_lifetime_hours integer)
RETURNS TABLE (
  task_uuid uuid, namespace text, name text, state text, minutes_in_state double precision,
  task_age_minutes double precision, threshold_minutes double precision, cause text, moved boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT t.task_uuid AS tid, t.namespace AS ns, t.name AS tname, t.state AS st,
           extract(epoch FROM now() - t.state_entered_at) / 60 AS in_state,
           extract(epoch FROM now() - t.created_at) / 60 AS age,
           lim.state_limit, lim.age_limit
    FROM tasker.tasks t
    JOIN tasker.templates tp ON tp.template_uuid = t.template_uuid
    CROSS JOIN LATERAL (
      SELECT tasker.staleness_threshold_minutes(t.state, tp.definition, p_dependencies_minutes, p_retry_minutes,
                                                p_in_process_minutes) AS state_limit,
             tasker.task_max_lifetime_minutes(tp.definition, p_lifetime_hours) AS age_limit
    ) lim
    WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
      AND (t.state_entered_at <= now() - lim.state_limit * interval '1 minute'
           OR t.created_at <= now() - lim.age_limit * interval '1 minute')
      AND NOT EXISTS (SELECT 1 FROM tasker.dlq_entries d
                      WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
    ORDER BY t.state_entered_at
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED
  LOOP
    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    minutes_in_state := r.in_state;
    task_age_minutes := r.age;
    cause := CASE WHEN r.in_state >= r.state_limit THEN 'time_in_state' ELSE 'max_lifetime' END;
    threshold_minutes := CASE WHEN cause = 'time_in_state' THEN r.state_limit ELSE r.age_limit END;
    moved := false;
    IF NOT p_dry_run THEN
      INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
      VALUES (r.tid, r.st, 'staleness_timeout', tasker.task_snapshot(r.tid, jsonb_build_object('staleness', jsonb_build_object(
                'state', r.st, 'cause', cause, 'minutes_in_state', round(r.in_state::numeric, 2),
                'task_age_minutes', round(r.age::numeric, 2), 'threshold_minutes', threshold_minutes,
                'detected_at', now()))))
      ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
      PERFORM tasker.insert_task_transition(r.tid, r.st, 'error', 'staleness_timeout', 'staleness_detector',
                format('%s for %s min (limit %s min)',
                       CASE WHEN cause = 'time_in_state' THEN r.st ELSE 'alive' END,
                       round(CASE WHEN cause = 'time_in_state' THEN r.in_state ELSE r.age END::numeric, 1),
                       threshold_minutes),
                jsonb_build_object('cause', cause, 'threshold_minutes', threshold_minutes));
      UPDATE tasker.tasks x SET state = 'error', state_entered_at = now(), completed_at = now(), updated_at = now()
      WHERE x.task_uuid = r.tid;
      PERFORM tasker.notify_task_event(r.tid);
      moved := true;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- tasker.task_invariant_violations(task_uuid): every way one task's rows disagree with each other, as
-- readable lines; none = consistent. Recounts what the hot path keeps incrementally (counters, parent
-- counters), checks the current states against the unified history (tasker.step_events) and each history's
-- continuity. O(task size): for tests and operator diagnostics, never for the hot path.
CREATE OR REPLACE FUNCTION tasker.task_invariant_violations(p_task_uuid uuid) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH t AS (
    SELECT * FROM tasker.tasks WHERE task_uuid = p_task_uuid
  ),
  s AS (
    SELECT * FROM tasker.steps WHERE task_uuid = p_task_uuid
  ),
  actual AS (
    SELECT CASE WHEN state IN ('enqueued', 'in_progress') THEN 'active' ELSE state END AS bucket, count(*) AS n
    FROM s GROUP BY 1
  ),
  parents AS (
    SELECT e.child_step_uuid AS step_uuid,
           count(*) AS total,
           count(*) FILTER (WHERE p.state NOT IN ('complete', 'resolved_manually')) AS unsatisfied
    FROM tasker.step_edges e
    JOIN s p ON p.step_uuid = e.parent_step_uuid
    WHERE e.task_uuid = p_task_uuid
    GROUP BY e.child_step_uuid
  ),
  task_history AS (
    SELECT event_id, from_state, to_state,
           lag(to_state) OVER (ORDER BY event_id) AS previous_to_state,
           row_number() OVER (ORDER BY event_id DESC) AS recency
    FROM tasker.task_transitions WHERE task_uuid = p_task_uuid
  ),
  step_history AS (
    SELECT step_uuid, event_id, from_state, to_state, event,
           lag(to_state) OVER (PARTITION BY step_uuid ORDER BY event_id) AS previous_to_state,
           row_number() OVER (PARTITION BY step_uuid ORDER BY event_id DESC) AS recency,
           count(*) OVER (PARTITION BY event_id) AS same_id
    FROM tasker.step_events WHERE task_uuid = p_task_uuid
  )
  SELECT format('task %s does not exist', p_task_uuid)
  WHERE NOT EXISTS (SELECT 1 FROM t)

  UNION ALL
  SELECT format('tasks.steps_total is %s, but the task has %s steps', t.steps_total, (SELECT count(*) FROM s))
  FROM t WHERE t.steps_total <> (SELECT count(*) FROM s)

  UNION ALL
  SELECT format('tasks.steps_%s is %s, but %s steps are %s', c.bucket, c.counter, coalesce(a.n, 0), c.bucket)
  FROM t
  CROSS JOIN LATERAL (VALUES
    ('pending', t.steps_pending), ('active', t.steps_active), ('waiting_for_retry', t.steps_waiting_for_retry),
    ('complete', t.steps_complete), ('error', t.steps_error), ('cancelled', t.steps_cancelled),
    ('resolved_manually', t.steps_resolved_manually)
  ) AS c(bucket, counter)
  LEFT JOIN actual a ON a.bucket = c.bucket
  WHERE c.counter <> coalesce(a.n, 0)

  UNION ALL
  SELECT format('step %s rests in %s, which only a transaction may pass through', s.name, s.state)
  FROM s WHERE s.state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')

  UNION ALL
  SELECT format('step %s: total_parents is %s, but it has %s parents', s.name, s.total_parents, coalesce(p.total, 0))
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.total_parents <> coalesce(p.total, 0)

  UNION ALL
  SELECT format('step %s: unsatisfied_parents is %s, but %s parents are not complete/resolved_manually',
                s.name, s.unsatisfied_parents, coalesce(p.unsatisfied, 0))
  FROM s LEFT JOIN parents p USING (step_uuid)
  WHERE s.unsatisfied_parents <> coalesce(p.unsatisfied, 0)

  UNION ALL
  SELECT format('step %s: namespace/priority %s/%s differ from the task''s %s/%s',
                s.name, s.namespace, s.priority, t.namespace, t.priority)
  FROM s CROSS JOIN t
  WHERE s.namespace <> t.namespace OR s.priority <> t.priority

  UNION ALL
  SELECT format('task is %s, but its latest transition enters %s', t.state, coalesce(h.to_state, '(no transition)'))
  FROM t LEFT JOIN task_history h ON h.recency = 1
  WHERE h.to_state IS DISTINCT FROM t.state

  UNION ALL
  SELECT format('task transition %s leaves %s, but the task was %s', h.event_id,
                coalesce(h.from_state, '(nothing)'), coalesce(h.previous_to_state, '(nothing)'))
  FROM task_history h
  WHERE h.from_state IS DISTINCT FROM h.previous_to_state

  UNION ALL
  SELECT format('step %s is %s, but its latest event enters %s', s.name, s.state, coalesce(h.to_state, '(no event)'))
  FROM s LEFT JOIN step_history h ON h.step_uuid = s.step_uuid AND h.recency = 1
  WHERE h.to_state IS DISTINCT FROM s.state

  UNION ALL
  SELECT format('step %s: event %s leaves %s, but the step was %s', s.name, h.event_id,
                coalesce(h.from_state, '(nothing)'), coalesce(h.previous_to_state, '(nothing)'))
  FROM step_history h JOIN s USING (step_uuid)
  WHERE h.from_state IS DISTINCT FROM h.previous_to_state

  UNION ALL
  SELECT format('step %s: event %s (%s) is not allowed from %s to %s', s.name, h.event_id, h.event,
                coalesce(h.from_state, '(nothing)'), h.to_state)
  FROM step_history h JOIN s USING (step_uuid)
  WHERE NOT tasker.step_transition_allowed(h.from_state, h.event, h.to_state)

  UNION ALL
  SELECT DISTINCT format('event id %s is recorded %s times', h.event_id, h.same_id)
  FROM step_history h WHERE h.same_id > 1

  UNION ALL
  SELECT format('step %s is in_progress with lease %s, but attempt %s of it already ended', s.name, s.lease_token, a.attempt)
  FROM s JOIN tasker.step_attempts a ON a.lease_token = s.lease_token
  WHERE s.state = 'in_progress'
$$;

-- Engine: task-level functions. Every function that writes history locks the task row FIRST (before drawing
-- any event id), so per task, commit order equals event_id order and a watcher reading `event_id > cursor`
-- never skips an id that commits late (docs/engine.md, "event ids").

-- A DLQ snapshot: the task row (without its context) and one line per step.
CREATE FUNCTION tasker.task_snapshot(p_task uuid, p_extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'task', to_jsonb(t) - 'context',
    'steps', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'step_uuid', s.step_uuid, 'name', s.name, 'state', s.state, 'attempts', s.attempts,
               'max_attempts', s.max_attempts, 'last_error', s.last_error, 'last_failure_at', s.last_failure_at)
             ORDER BY s.step_uuid)
      FROM tasker.steps s WHERE s.task_uuid = p_task), '[]'::jsonb)
  ) || coalesce(p_extra, '{}')
  FROM tasker.tasks t WHERE t.task_uuid = p_task
$$;

-- The one decision point after steps changed (domain.md §3 finalization, ARCHITECTURE §5). The caller holds
-- the task row lock, has moved steps, and passes the row as it locked it, the state the task is in now, the
-- counter deltas of its step moves and the highest event id it drew. This function moves the task (recording
-- each state it enters), enqueues steps that became dispatchable, writes the counters and state in ONE
-- update, opens the DLQ entry on give-up, and notifies. Returns the task's new state.
--   p_candidates: steps that may have become dispatchable (children whose last parent was just satisfied);
--   p_scan: consider every pending step of the task instead (resume, after operators reset steps);
--   p_entry_event: moves a resting task into evaluating_results (step_completed, step_failed); NULL = none.
-- While a step is in error the task is blocked and nothing new is dispatched; work already enqueued, running
-- or in backoff finishes, and once none is left the task gives up (→ error + DLQ max_retries_exceeded).
CREATE FUNCTION tasker.advance_task(
  p_task tasker.tasks, p_state text, p_delta integer[], p_last_event bigint, p_entered boolean,
  p_candidates uuid[], p_scan boolean, p_entry_event text, p_actor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_task uuid := p_task.task_uuid;
  v_state text := p_state;
  v_last bigint := greatest(p_task.last_event_id, coalesce(p_last_event, 0));
  v_entered boolean := p_entered;
  d integer[] := p_delta;
  c integer[];
  v_ready uuid[];
  v_n integer;
  v_handlers text[];
BEGIN
  c := ARRAY[p_task.steps_pending, p_task.steps_enqueued, p_task.steps_in_progress,
             p_task.steps_enqueued_for_orchestration, p_task.steps_enqueued_as_error_for_orchestration,
             p_task.steps_waiting_for_retry, p_task.steps_complete, p_task.steps_error, p_task.steps_cancelled,
             p_task.steps_resolved_manually];
  FOR i IN 1..10 LOOP c[i] := c[i] + d[i]; END LOOP;

  IF p_entry_event IS NOT NULL AND v_state IN ('steps_in_process', 'waiting_for_dependencies', 'waiting_for_retry') THEN
    v_last := tasker.insert_task_transition(v_task, v_state, 'evaluating_results', p_entry_event, p_actor);
    v_state := 'evaluating_results';
    v_entered := true;
  END IF;

  IF v_state = 'evaluating_results' THEN
    v_entered := true;
    IF c[8] > 0 THEN
      v_last := tasker.insert_task_transition(v_task, v_state, 'blocked_by_failures', 'permanent_failure', p_actor,
                  format('%s step(s) failed permanently', c[8]));
      v_state := 'blocked_by_failures';
    ELSIF c[7] + c[10] = p_task.steps_total THEN
      v_last := tasker.insert_task_transition(v_task, v_state, 'complete', 'all_steps_successful', p_actor);
      v_state := 'complete';
    ELSE
      IF p_scan THEN
        SELECT array_agg(s.step_uuid ORDER BY s.step_uuid) INTO v_ready
        FROM tasker.steps s WHERE s.task_uuid = v_task AND s.state = 'pending' AND s.unsatisfied_parents = 0;
      ELSIF p_candidates IS NOT NULL AND cardinality(p_candidates) > 0 THEN
        SELECT array_agg(s.step_uuid ORDER BY s.step_uuid) INTO v_ready
        FROM tasker.steps s WHERE s.step_uuid = ANY (p_candidates) AND s.task_uuid = v_task
          AND s.state = 'pending' AND s.unsatisfied_parents = 0;
      END IF;
      v_n := coalesce(cardinality(v_ready), 0);
      IF v_n > 0 THEN
        v_last := tasker.insert_task_transition(v_task, v_state, 'enqueuing_steps', 'ready_steps_found', p_actor,
                    NULL, jsonb_build_object('count', v_n));
        WITH moved AS (
          UPDATE tasker.steps s SET state = 'enqueued', enqueued_at = now(), updated_at = now()
          WHERE s.step_uuid = ANY (v_ready)
          RETURNING s.step_uuid, s.attempts, s.handler_callable
        ), tr AS (
          INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
          SELECT v_task, m.step_uuid, 'pending', 'enqueued', 'enqueue', m.attempts, p_actor
          FROM moved m ORDER BY m.step_uuid
          RETURNING event_id
        )
        -- tr runs although nothing reads it (data-modifying CTEs always do); the transition that follows
        -- draws a higher event id, so v_last stays the task's latest.
        SELECT array_agg(m.handler_callable) INTO v_handlers FROM moved m;
        d := tasker.count_move(d, 'pending', 'enqueued', v_n);
        v_last := tasker.insert_task_transition(v_task, 'enqueuing_steps', 'steps_in_process', 'steps_enqueued',
                    p_actor, NULL, jsonb_build_object('count', v_n));
        v_state := 'steps_in_process';
        PERFORM tasker.notify_steps_ready(p_task.namespace, v_handlers);
      ELSIF c[2] + c[3] + c[4] + c[5] > 0 THEN
        v_last := tasker.insert_task_transition(v_task, v_state, 'steps_in_process', 'steps_in_flight', p_actor);
        v_state := 'steps_in_process';
      ELSIF c[6] > 0 THEN
        v_last := tasker.insert_task_transition(v_task, v_state, 'waiting_for_retry', 'retry_scheduled', p_actor);
        v_state := 'waiting_for_retry';
      ELSE
        v_last := tasker.insert_task_transition(v_task, v_state, 'waiting_for_dependencies', 'no_dependencies_ready', p_actor);
        v_state := 'waiting_for_dependencies';
      END IF;
    END IF;
  END IF;

  IF v_state = 'blocked_by_failures' AND c[8] > 0 AND c[2] + c[3] + c[4] + c[5] + c[6] = 0 THEN
    v_last := tasker.insert_task_transition(v_task, v_state, 'error', 'give_up', p_actor,
                'no step left running; failed steps need an operator');
    v_state := 'error';
    v_entered := true;
  END IF;

  UPDATE tasker.tasks t SET
    steps_pending = t.steps_pending + d[1],
    steps_enqueued = t.steps_enqueued + d[2],
    steps_in_progress = t.steps_in_progress + d[3],
    steps_enqueued_for_orchestration = t.steps_enqueued_for_orchestration + d[4],
    steps_enqueued_as_error_for_orchestration = t.steps_enqueued_as_error_for_orchestration + d[5],
    steps_waiting_for_retry = t.steps_waiting_for_retry + d[6],
    steps_complete = t.steps_complete + d[7],
    steps_error = t.steps_error + d[8],
    steps_cancelled = t.steps_cancelled + d[9],
    steps_resolved_manually = t.steps_resolved_manually + d[10],
    state = v_state,
    state_entered_at = CASE WHEN v_entered THEN now() ELSE t.state_entered_at END,
    completed_at = CASE
      WHEN v_state NOT IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN NULL
      WHEN v_entered OR t.completed_at IS NULL THEN now()
      ELSE t.completed_at END,
    last_event_id = v_last,
    updated_at = now()
  WHERE t.task_uuid = v_task;

  IF v_state = 'error' AND v_entered THEN
    INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
    VALUES (v_task, 'blocked_by_failures', 'max_retries_exceeded', tasker.task_snapshot(v_task))
    ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
  END IF;
  IF v_last > p_task.last_event_id THEN
    PERFORM tasker.notify_task_event(v_task);
  END IF;
  RETURN v_state;
END $$;

-- Task creation in one call: task, steps, edges, every initial transition and the first enqueue.
--   p_task: {template_uuid, template_hash?, namespace, name, version, context, initiator, source_system, reason,
--            priority, tags[], correlation_id?, parent_correlation_id?, identity_hash, idempotency_key?}
--   p_steps: [{name, step_type, handler_callable, handler_method, initialization, retryable, max_attempts,
--             backoff_kind, backoff_base_ms, backoff_max_ms, backoff_jitter, timeout_seconds, parents[]}]
-- Raises TK001 when the template changed since the caller cached it (the caller reloads and retries), and
-- 23505 on tasks_identity_hash_key for a duplicate.
CREATE FUNCTION tasker.create_task(p_task jsonb, p_steps jsonb) RETURNS tasker.tasks
LANGUAGE plpgsql AS $$
DECLARE
  t tasker.tasks;
  v_n integer := jsonb_array_length(p_steps);
  v_roots integer;
  v_actor text := p_task->>'initiator';
  v_last bigint;
  v_base uuid := tasker.uuid_generate_v7();
BEGIN
  IF p_task ? 'template_hash' AND NOT EXISTS (
       SELECT 1 FROM tasker.templates
       WHERE template_uuid = (p_task->>'template_uuid')::uuid AND content_hash = p_task->>'template_hash') THEN
    RAISE EXCEPTION 'template % changed since it was cached', p_task->>'template_uuid' USING ERRCODE = 'TK001';
  END IF;

  INSERT INTO tasker.tasks (template_uuid, namespace, name, version, context, initiator, source_system, reason,
                            priority, tags, correlation_id, parent_correlation_id, identity_hash, idempotency_key,
                            steps_total, steps_pending)
  VALUES ((p_task->>'template_uuid')::uuid, p_task->>'namespace', p_task->>'name', p_task->>'version',
          p_task->'context', p_task->>'initiator', p_task->>'source_system', p_task->>'reason',
          coalesce((p_task->>'priority')::integer, 0),
          coalesce(ARRAY(SELECT jsonb_array_elements_text(p_task->'tags')), '{}'),
          coalesce((p_task->>'correlation_id')::uuid, tasker.uuid_generate_v7()),
          (p_task->>'parent_correlation_id')::uuid, p_task->>'identity_hash', p_task->>'idempotency_key',
          v_n, v_n)
  RETURNING * INTO t;

  PERFORM tasker.insert_task_transition(t.task_uuid, NULL, 'pending', 'create', v_actor, t.reason);

  WITH spec AS (
    SELECT s.*, o.ord FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS o(value, ord)
    CROSS JOIN LATERAL jsonb_to_record(o.value) AS s(
      name text, step_type text, handler_callable text, handler_method text, initialization jsonb,
      retryable boolean, max_attempts integer, backoff_kind text, backoff_base_ms integer, backoff_max_ms integer,
      backoff_jitter double precision, timeout_seconds integer, parents jsonb)
  ), ins AS (
    INSERT INTO tasker.steps (step_uuid, task_uuid, name, namespace, priority, step_type, handler_callable, handler_method,
                              initialization, retryable, max_attempts, backoff_kind, backoff_base_ms, backoff_max_ms,
                              backoff_jitter, timeout_seconds, total_parents, unsatisfied_parents)
    SELECT tasker.uuid_v7_ordered(v_base, spec.ord::integer), t.task_uuid, spec.name, t.namespace, t.priority, spec.step_type, spec.handler_callable, spec.handler_method,
           coalesce(spec.initialization, '{}'), spec.retryable, spec.max_attempts, spec.backoff_kind,
           spec.backoff_base_ms, spec.backoff_max_ms, spec.backoff_jitter, spec.timeout_seconds,
           jsonb_array_length(spec.parents), jsonb_array_length(spec.parents)
    FROM spec ORDER BY spec.ord
    RETURNING step_uuid, name
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
  FROM ins JOIN spec ON spec.name = ins.name ORDER BY spec.ord;

  PERFORM tasker.insert_task_transition(t.task_uuid, 'pending', 'initializing', 'start', v_actor);
  SELECT count(*) INTO v_roots FROM jsonb_array_elements(p_steps) AS e(value) WHERE jsonb_array_length(e.value->'parents') = 0;
  PERFORM tasker.insert_task_transition(t.task_uuid, 'initializing', 'enqueuing_steps', 'ready_steps_found', v_actor,
            NULL, jsonb_build_object('count', v_roots));
  WITH moved AS (
    UPDATE tasker.steps s SET state = 'enqueued', enqueued_at = now()
    WHERE s.task_uuid = t.task_uuid AND s.total_parents = 0
    RETURNING s.step_uuid
  )
  INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
  SELECT t.task_uuid, m.step_uuid, 'pending', 'enqueued', 'enqueue', 0, v_actor
  FROM moved m ORDER BY m.step_uuid;
  v_last := tasker.insert_task_transition(t.task_uuid, 'enqueuing_steps', 'steps_in_process', 'steps_enqueued', v_actor,
              NULL, jsonb_build_object('count', v_roots));

  UPDATE tasker.tasks SET state = 'steps_in_process', steps_pending = v_n - v_roots, steps_enqueued = v_roots,
                          last_event_id = v_last, state_entered_at = now()
  WHERE task_uuid = t.task_uuid
  RETURNING * INTO t;
  PERFORM tasker.notify_steps_ready(t.namespace, ARRAY(
    SELECT e.value->>'handler_callable' FROM jsonb_array_elements(p_steps) AS e(value)
    WHERE jsonb_array_length(e.value->'parents') = 0));
  RETURN t;
END $$;

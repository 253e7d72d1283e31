-- Task options, closing a task as resolved_manually, and manual DLQ entries (docs/engine.md, "Operators").
--
-- 1. tasks.options: the request options of CreateTask (a string map), NULL when none were given, so a task
--    without options stores nothing more than before. Only the shape is checked here (an object); the sizes
--    are the service's (TASK_OPTIONS_LIMITS), as for the context: a size CHECK would re-serialise the value on
--    every counter update of the row.
-- 2. The task machine gains error --manual_resolution--> resolved_manually (blocked_by_failures already had
--    it): an operator closes an errored task instead of resuming it. packages/shared/src/domain/task-machine.ts
--    holds the same table.
-- 3. resolve_task: the operator's close, one call (task row locked first, like cancel_task and resume_task).
-- 4. open_manual_dlq_entry: an operator opens a manual_dlq investigation of a task in any state.

ALTER TABLE tasker.tasks
  ADD COLUMN options jsonb CONSTRAINT tasks_options_check CHECK (jsonb_typeof(options) = 'object');

CREATE OR REPLACE FUNCTION tasker.task_next_state(p_from text, p_event text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE p_from || '/' || p_event
    WHEN 'pending/start' THEN 'initializing'
    WHEN 'pending/cancel' THEN 'cancelled'
    WHEN 'initializing/ready_steps_found' THEN 'enqueuing_steps'
    WHEN 'initializing/no_steps_found' THEN 'complete'
    WHEN 'initializing/no_dependencies_ready' THEN 'waiting_for_dependencies'
    WHEN 'initializing/cancel' THEN 'cancelled'
    WHEN 'enqueuing_steps/steps_enqueued' THEN 'steps_in_process'
    WHEN 'enqueuing_steps/enqueue_failed' THEN 'error'
    WHEN 'enqueuing_steps/cancel' THEN 'cancelled'
    WHEN 'steps_in_process/step_completed' THEN 'evaluating_results'
    WHEN 'steps_in_process/step_failed' THEN 'evaluating_results'
    WHEN 'steps_in_process/staleness_timeout' THEN 'error'
    WHEN 'steps_in_process/cancel' THEN 'cancelled'
    WHEN 'evaluating_results/ready_steps_found' THEN 'enqueuing_steps'
    WHEN 'evaluating_results/no_dependencies_ready' THEN 'waiting_for_dependencies'
    WHEN 'evaluating_results/all_steps_successful' THEN 'complete'
    WHEN 'evaluating_results/steps_in_flight' THEN 'steps_in_process'
    WHEN 'evaluating_results/retry_scheduled' THEN 'waiting_for_retry'
    WHEN 'evaluating_results/permanent_failure' THEN 'blocked_by_failures'
    WHEN 'evaluating_results/cancel' THEN 'cancelled'
    WHEN 'waiting_for_dependencies/step_completed' THEN 'evaluating_results'
    WHEN 'waiting_for_dependencies/step_failed' THEN 'evaluating_results'
    WHEN 'waiting_for_dependencies/dependencies_ready' THEN 'evaluating_results'
    WHEN 'waiting_for_dependencies/staleness_timeout' THEN 'error'
    WHEN 'waiting_for_dependencies/cancel' THEN 'cancelled'
    WHEN 'waiting_for_retry/step_completed' THEN 'evaluating_results'
    WHEN 'waiting_for_retry/step_failed' THEN 'evaluating_results'
    WHEN 'waiting_for_retry/retry_ready' THEN 'enqueuing_steps'
    WHEN 'waiting_for_retry/staleness_timeout' THEN 'error'
    WHEN 'waiting_for_retry/cancel' THEN 'cancelled'
    WHEN 'blocked_by_failures/give_up' THEN 'error'
    WHEN 'blocked_by_failures/manual_resolution' THEN 'resolved_manually'
    WHEN 'blocked_by_failures/resume' THEN 'evaluating_results'
    WHEN 'blocked_by_failures/cancel' THEN 'cancelled'
    WHEN 'error/resume' THEN 'evaluating_results'
    WHEN 'error/manual_resolution' THEN 'resolved_manually'
  END;
END $$;

-- Creation as in 0019, plus the options (p_task->'options' is NULL when the payload has none).
CREATE OR REPLACE FUNCTION tasker.create_task(p_task jsonb, p_steps jsonb) RETURNS tasker.tasks
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
                            options, steps_total, steps_pending, steps_active)
  VALUES ((p_task->>'template_uuid')::uuid, p_task->>'namespace', p_task->>'name', p_task->>'version', 'steps_in_process',
          p_task->'context', p_task->>'initiator', p_task->>'source_system', p_task->>'reason',
          coalesce((p_task->>'priority')::integer, 0),
          coalesce(ARRAY(SELECT jsonb_array_elements_text(p_task->'tags')), '{}'),
          coalesce((p_task->>'correlation_id')::uuid, tasker.uuid_generate_v7()),
          (p_task->>'parent_correlation_id')::uuid, p_task->>'identity_hash', p_task->>'idempotency_key',
          p_task->'options', v_n, v_n - v_roots, v_roots)
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

-- Closes a task in blocked_by_failures or error as resolved_manually (`manual_resolution`). Nothing of it runs
-- again: every step still pending, enqueued, running or backing off is cancelled (a running attempt ends
-- `cancelled`, so its worker's heartbeat and late result read `cancelled`, as after cancel_task); steps in
-- error stay in error, the record of what failed and was accepted; complete and resolved steps keep their
-- results. The task's transition comes last (a watcher's stream ends at it) and the task's pending DLQ entry
-- becomes manually_resolved (resolved_by, notes = the reason), as resume_task does.
CREATE FUNCTION tasker.resolve_task(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
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
  IF NOT tasker.task_transition_allowed(t.state, 'manual_resolution', 'resolved_manually') THEN
    RETURN QUERY SELECT 'invalid_state'::text, t.state;
    RETURN;
  END IF;

  -- Steps in step_uuid order, like cancel_task and heartbeats, so none of them deadlock.
  FOR v IN
    SELECT * FROM tasker.steps s
    WHERE s.task_uuid = p_task AND s.state IN ('pending', 'enqueued', 'in_progress', 'waiting_for_retry')
    ORDER BY s.step_uuid FOR UPDATE
  LOOP
    IF v.state = 'in_progress' THEN
      PERFORM tasker.record_attempt(v, 'cancelled', 'cancel', 'cancelled', p_actor, NULL,
                jsonb_build_object('message', p_reason));
    ELSE
      PERFORM tasker.flush_enqueue_event(v);
      PERFORM tasker.insert_step_transition(p_task, v.step_uuid, v.state, 'cancelled', 'cancel', v.attempts, p_actor, p_reason);
    END IF;
  END LOOP;
  UPDATE tasker.steps s SET state = 'cancelled', completed_at = now(), lease_token = NULL, lease_expires_at = NULL,
                            leased_by = NULL, next_retry_at = NULL, enqueue_event_id = NULL, enqueue_from = NULL,
                            claim_event_id = NULL, updated_at = now()
  WHERE s.task_uuid = p_task AND s.state IN ('pending', 'enqueued', 'in_progress', 'waiting_for_retry');

  PERFORM tasker.insert_task_transition(p_task, t.state, 'resolved_manually', 'manual_resolution', p_actor, p_reason);
  UPDATE tasker.tasks x SET
    state = 'resolved_manually', state_entered_at = now(),
    completed_at = tasker.completed_at_after(x.completed_at, t.state, 'resolved_manually'), updated_at = now(),
    steps_cancelled = x.steps_cancelled + x.steps_pending + x.steps_active + x.steps_waiting_for_retry,
    steps_pending = 0, steps_active = 0, steps_waiting_for_retry = 0
  WHERE x.task_uuid = p_task;
  UPDATE tasker.dlq_entries d SET resolution_status = 'manually_resolved', resolution_timestamp = now(),
                                  resolved_by = p_actor, resolution_notes = p_reason, updated_at = now()
  WHERE d.task_uuid = p_task AND d.resolution_status = 'pending';
  PERFORM tasker.notify_task_event(p_task);
  RETURN QUERY SELECT 'ok'::text, 'resolved_manually'::text;
END $$;

-- Opens a manual_dlq entry for a task in any state: original_state = the task's state now, the snapshot of the
-- other entries plus {manual_dlq: {opened_by, reason, opened_at}}. The task row is locked first, so the
-- staleness detector and a give-up (which open entries under the same lock) cannot race it; one pending entry
-- per task stays the rule (outcome already_exists with that entry's id). The task itself does not change:
-- no transition is written and no watcher is woken; the entry is the audit record.
CREATE FUNCTION tasker.open_manual_dlq_entry(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
RETURNS TABLE (outcome text, dlq_entry_uuid uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  v_entry uuid;
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::uuid;
    RETURN;
  END IF;
  SELECT d.dlq_entry_uuid INTO v_entry FROM tasker.dlq_entries d
  WHERE d.task_uuid = p_task AND d.resolution_status = 'pending';
  IF FOUND THEN
    RETURN QUERY SELECT 'already_exists'::text, v_entry;
    RETURN;
  END IF;
  INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
  VALUES (p_task, t.state, 'manual_dlq', tasker.task_snapshot(p_task, jsonb_build_object('manual_dlq', jsonb_build_object(
            'opened_by', p_actor, 'reason', p_reason, 'opened_at', now()))))
  RETURNING dlq_entries.dlq_entry_uuid INTO v_entry;
  RETURN QUERY SELECT 'ok'::text, v_entry;
END $$;

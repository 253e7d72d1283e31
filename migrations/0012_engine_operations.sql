-- Engine: operator actions on tasks and steps (cancel, resume, reset / resolve / complete manually). Each is
-- one call: lock the task, guard with the state machine, write every transition and audit row, advance.
-- p_namespaces: the caller's namespace scope (NULL = all); a task outside it is reported as not_found.

CREATE FUNCTION tasker.cancel_task(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
RETURNS TABLE (outcome text, task_state text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  v_last bigint;
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

  -- Steps are locked in step_uuid order, like heartbeats, so the two never deadlock.
  WITH victims AS (
    SELECT s.step_uuid, s.state, s.attempts, s.lease_token, s.created_at, s.name
    FROM tasker.steps s
    WHERE s.task_uuid = p_task AND s.state NOT IN ('complete', 'cancelled', 'resolved_manually')
    ORDER BY s.step_uuid
    FOR UPDATE
  ), closed AS (
    UPDATE tasker.step_attempts a SET finished_at = now(), outcome = 'cancelled'
    FROM victims v WHERE a.lease_token = v.lease_token AND a.finished_at IS NULL
  ), moved AS (
    UPDATE tasker.steps s SET state = 'cancelled', completed_at = now(), lease_token = NULL, lease_expires_at = NULL,
                              leased_by = NULL, next_retry_at = NULL, updated_at = now()
    FROM victims v WHERE s.step_uuid = v.step_uuid
  ), tr AS (
    INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor, reason)
    SELECT p_task, v.step_uuid, v.state, 'cancelled', 'cancel', v.attempts, p_actor, p_reason
    FROM victims v ORDER BY v.step_uuid
    RETURNING event_id, step_uuid, from_state
  )
  INSERT INTO tasker.step_audit (event_id, task_uuid, step_uuid, action, success, performed_by, reason, from_state, to_state)
  SELECT tr.event_id, p_task, tr.step_uuid, 'cancel', true, p_actor, p_reason, tr.from_state, 'cancelled' FROM tr;

  -- The task's own transition comes last: a watcher's stream ends at it, after every step event.
  v_last := tasker.insert_task_transition(p_task, t.state, 'cancelled', 'cancel', p_actor, p_reason);
  UPDATE tasker.tasks x SET
    state = 'cancelled', state_entered_at = now(), completed_at = now(), last_event_id = v_last, updated_at = now(),
    steps_pending = 0, steps_enqueued = 0, steps_in_progress = 0, steps_enqueued_for_orchestration = 0,
    steps_enqueued_as_error_for_orchestration = 0, steps_waiting_for_retry = 0, steps_error = 0,
    steps_cancelled = x.steps_total - x.steps_complete - x.steps_resolved_manually
  WHERE x.task_uuid = p_task;
  PERFORM tasker.notify_task_event(p_task);
  RETURN QUERY SELECT 'ok'::text, 'cancelled'::text;
END $$;

-- Continues a task in error (or still blocked) once no step is left in error: → evaluating_results, then the
-- normal decision over every pending step; the task's open DLQ entry becomes manually_resolved.
CREATE FUNCTION tasker.resume_task(p_task uuid, p_actor text, p_reason text, p_namespaces text[])
RETURNS TABLE (outcome text, task_state text, detail text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  v_last bigint;
  v_state text;
  v_failed text;
BEGIN
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = p_task FOR UPDATE;
  IF NOT FOUND OR (p_namespaces IS NOT NULL AND NOT (t.namespace = ANY (p_namespaces))) THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  IF NOT tasker.task_transition_allowed(t.state, 'resume', 'evaluating_results') THEN
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
  v_last := tasker.insert_task_transition(p_task, t.state, 'evaluating_results', 'resume', p_actor, p_reason);
  v_state := tasker.advance_task(t, 'evaluating_results', array_fill(0, ARRAY[10]), v_last, true, NULL, true, NULL, p_actor);
  UPDATE tasker.dlq_entries d SET resolution_status = 'manually_resolved', resolution_timestamp = now(),
                                  resolved_by = p_actor, resolution_notes = p_reason, updated_at = now()
  WHERE d.task_uuid = p_task AND d.resolution_status = 'pending';
  RETURN QUERY SELECT 'ok'::text, v_state, NULL::text;
END $$;

-- Decrements the unsatisfied-parent counter of every child of p_step; returns the pending children whose
-- last parent this was (the caller decides whether to dispatch them). O(edges of the step).
CREATE FUNCTION tasker.satisfy_children(p_step uuid) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  v_ready uuid[];
BEGIN
  WITH dec AS (
    UPDATE tasker.steps c SET unsatisfied_parents = c.unsatisfied_parents - 1, updated_at = now()
    FROM tasker.step_edges e
    WHERE e.parent_step_uuid = p_step AND c.step_uuid = e.child_step_uuid
    RETURNING c.step_uuid, c.unsatisfied_parents, c.state
  )
  SELECT array_agg(dec.step_uuid) FILTER (WHERE dec.unsatisfied_parents = 0 AND dec.state = 'pending') INTO v_ready
  FROM dec;
  RETURN v_ready;
END $$;

-- reset_for_retry (error → pending, attempts 0; the task waits for resume), resolve_manually and
-- complete_manually (children proceed; a running task re-evaluates as after a result).
--   p_result: stored as the step's results (complete_manually); p_audit: the audit row's payload.
CREATE FUNCTION tasker.apply_step_action(
  p_task uuid, p_step uuid, p_action text, p_actor text, p_reason text, p_result jsonb, p_audit jsonb,
  p_namespaces text[])
RETURNS TABLE (outcome text, step_state text, task_state text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  t tasker.tasks;
  s tasker.steps;
  v_to text;
  v_ev bigint;
  v_attempt integer;
  v_children uuid[];
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

  v_attempt := CASE WHEN p_action = 'reset_for_retry' THEN 0 ELSE s.attempts END;
  v_ev := tasker.insert_step_transition(p_task, p_step, s.state, v_to, p_action, v_attempt, p_actor, p_reason);
  INSERT INTO tasker.step_audit (event_id, task_uuid, step_uuid, action, success, performed_by, reason, result,
                                 from_state, to_state)
  VALUES (v_ev, p_task, p_step, p_action, true, p_actor, p_reason, p_audit, s.state, v_to);

  IF p_action = 'reset_for_retry' THEN
    UPDATE tasker.steps x SET state = 'pending', attempts = 0, next_retry_at = NULL, backoff_request_seconds = NULL,
                              updated_at = now()
    WHERE x.step_uuid = p_step;
    v_state := tasker.advance_task(t, t.state, tasker.count_move(array_fill(0, ARRAY[10]), s.state, v_to), v_ev,
                                   false, NULL, false, NULL, p_actor);
  ELSE
    UPDATE tasker.steps x SET state = v_to,
                              results = CASE WHEN p_action = 'complete_manually' THEN p_result ELSE x.results END,
                              completed_at = now(), next_retry_at = NULL, updated_at = now()
    WHERE x.step_uuid = p_step;
    v_children := tasker.satisfy_children(p_step);
    v_state := tasker.advance_task(t, t.state, tasker.count_move(array_fill(0, ARRAY[10]), s.state, v_to), v_ev,
                                   false, v_children, false, 'step_completed', p_actor);
  END IF;
  RETURN QUERY SELECT 'ok'::text, v_to, v_state;
END $$;

-- Engine: worker results, lease releases, the lease sweeper and the retry promoter. A result carries the lease
-- token; a stale token changes nothing (outcome lease_lost, or cancelled when the task was cancelled under it).
-- Outcomes: ok | not_found | lease_lost | cancelled.

-- The locked task and step of a result; NULL task_uuid when the step is unknown or outside p_namespaces.
CREATE FUNCTION tasker.lock_step_for_result(p_step uuid, p_namespaces text[], OUT t tasker.tasks, OUT s tasker.steps)
LANGUAGE plpgsql AS $$
DECLARE
  v_task uuid;
BEGIN
  SELECT x.task_uuid INTO v_task FROM tasker.steps x WHERE x.step_uuid = p_step;
  IF v_task IS NULL THEN
    RETURN;
  END IF;
  SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = v_task FOR UPDATE;
  SELECT * INTO s FROM tasker.steps x WHERE x.step_uuid = p_step FOR UPDATE;
  IF p_namespaces IS NOT NULL AND NOT (s.namespace = ANY (p_namespaces)) THEN
    t := NULL;
    s := NULL;
  END IF;
END $$;

CREATE FUNCTION tasker.complete_step(
  p_step uuid, p_token uuid, p_worker text, p_result jsonb, p_exec_ms integer, p_metadata jsonb, p_namespaces text[])
RETURNS TABLE (outcome text, step_state text, task_state text, next_retry_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  l record;
  t tasker.tasks;
  s tasker.steps;
  v_ev bigint;
  v_children uuid[];
  v_state text;
BEGIN
  l := tasker.lock_step_for_result(p_step, p_namespaces);
  t := l.t;
  s := l.s;
  IF t.task_uuid IS NULL THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF s.state <> 'in_progress' OR s.lease_token IS DISTINCT FROM p_token THEN
    RETURN QUERY SELECT tasker.lease_refusal(p_step, p_token), s.state, t.state, s.next_retry_at;
    RETURN;
  END IF;

  v_ev := tasker.insert_step_transition(t.task_uuid, p_step, 'in_progress', 'enqueued_for_orchestration',
            'complete_result', s.attempts, p_worker, NULL,
            jsonb_build_object('execution_time_ms', p_exec_ms, 'metadata', p_metadata));
  INSERT INTO tasker.step_audit (event_id, task_uuid, step_uuid, action, success, worker_id, lease_token,
                                 execution_time_ms, result, from_state, to_state)
  VALUES (v_ev, t.task_uuid, p_step, 'worker_result', true, p_worker, p_token, p_exec_ms, p_result,
          'in_progress', 'enqueued_for_orchestration');
  UPDATE tasker.step_attempts a SET finished_at = now(), outcome = 'completed', execution_time_ms = p_exec_ms
  WHERE a.lease_token = p_token;
  v_ev := tasker.insert_step_transition(t.task_uuid, p_step, 'enqueued_for_orchestration', 'complete', 'complete',
            s.attempts, p_worker);
  UPDATE tasker.steps x SET state = 'complete', results = p_result, completed_at = now(), lease_token = NULL,
                            lease_expires_at = NULL, leased_by = NULL, next_retry_at = NULL, updated_at = now()
  WHERE x.step_uuid = p_step;
  v_children := tasker.satisfy_children(p_step);
  v_state := tasker.advance_task(t, t.state, tasker.count_move(array_fill(0, ARRAY[10]), 'in_progress', 'complete'),
                                 v_ev, false, v_children, false, 'step_completed', p_worker);
  RETURN QUERY SELECT 'ok'::text, 'complete'::text, v_state, NULL::timestamptz;
END $$;

-- p_error: {message, error_type, retryable, status_code, backtrace, context} as reported; p_retryable is the
-- failure's own verdict; p_retry_after_ms the server-requested delay.
CREATE FUNCTION tasker.fail_step(
  p_step uuid, p_token uuid, p_worker text, p_error jsonb, p_retryable boolean, p_retry_after_ms bigint,
  p_exec_ms integer, p_multiplier double precision, p_namespaces text[])
RETURNS TABLE (outcome text, step_state text, task_state text, next_retry_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  l record;
  t tasker.tasks;
  s tasker.steps;
  f record;
  v_state text;
BEGIN
  l := tasker.lock_step_for_result(p_step, p_namespaces);
  t := l.t;
  s := l.s;
  IF t.task_uuid IS NULL THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  IF s.state <> 'in_progress' OR s.lease_token IS DISTINCT FROM p_token THEN
    RETURN QUERY SELECT tasker.lease_refusal(p_step, p_token), s.state, t.state, s.next_retry_at;
    RETURN;
  END IF;
  f := tasker.fail_attempt(s, 'fail_result', p_error, p_retryable, p_retry_after_ms, p_multiplier, p_worker, p_exec_ms);
  v_state := tasker.advance_task(t, t.state, tasker.count_move(array_fill(0, ARRAY[10]), 'in_progress', f.o_state),
                                 f.o_last_event, false, NULL, false, 'step_failed', p_worker);
  RETURN QUERY SELECT 'ok'::text, f.o_state, v_state, f.o_next_retry_at;
END $$;

-- A draining worker hands leases back: in_progress → enqueued without counting the attempt (attempts − 1),
-- keeping its place in the queue. status: released | cancelled | lease_lost | not_found.
CREATE FUNCTION tasker.release_leases(p_worker text, p_steps uuid[], p_tokens uuid[], p_namespaces text[])
RETURNS TABLE (step_uuid uuid, status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  l record;
  v_last bigint;
BEGIN
  FOR i IN 1..coalesce(cardinality(p_steps), 0) LOOP
    l := tasker.lock_step_for_result(p_steps[i], p_namespaces);
    step_uuid := p_steps[i];
    IF (l.t).task_uuid IS NULL THEN
      status := 'not_found';
    ELSIF (l.s).state <> 'in_progress' OR (l.s).lease_token IS DISTINCT FROM p_tokens[i] THEN
      status := tasker.lease_refusal(p_steps[i], p_tokens[i]);
    ELSE
      v_last := tasker.insert_step_transition((l.t).task_uuid, p_steps[i], 'in_progress', 'enqueued', 'release',
                  (l.s).attempts - 1, p_worker, 'lease released by the worker');
      UPDATE tasker.step_attempts a SET finished_at = now(), outcome = 'released' WHERE a.lease_token = p_tokens[i];
      UPDATE tasker.steps x SET state = 'enqueued', attempts = x.attempts - 1, lease_token = NULL,
                                lease_expires_at = NULL, leased_by = NULL, updated_at = now()
      WHERE x.step_uuid = p_steps[i];
      UPDATE tasker.tasks x SET steps_in_progress = x.steps_in_progress - 1, steps_enqueued = x.steps_enqueued + 1,
                                last_event_id = v_last, updated_at = now()
      WHERE x.task_uuid = (l.t).task_uuid;
      PERFORM tasker.notify_steps_ready((l.s).namespace, ARRAY[(l.s).handler_callable]);
      PERFORM tasker.notify_task_event((l.t).task_uuid);
      status := 'released';
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

-- Expires lapsed leases: the attempt fails as retryable `lease_expired` (or `timeout` once the step ran past
-- timeout_seconds) and the normal retry rules apply. Safe with several replicas: SKIP LOCKED throughout.
CREATE FUNCTION tasker.sweep_expired_leases(p_limit integer, p_multiplier double precision)
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
    f := tasker.fail_attempt(s, 'lease_expired',
           jsonb_build_object(
             'message', CASE WHEN v_timeout THEN format('the step ran longer than its timeout of %s s', s.timeout_seconds)
                             ELSE format('the lease of worker %s expired without a result or heartbeat', s.leased_by) END,
             'error_type', error_type, 'retryable', true, 'status_code', NULL),
           true, NULL, p_multiplier, 'lease_sweeper', NULL);
    PERFORM tasker.advance_task(t, t.state, tasker.count_move(array_fill(0, ARRAY[10]), 'in_progress', f.o_state),
                                f.o_last_event, false, NULL, false, 'step_failed', 'lease_sweeper');
    step_uuid := r.sid;
    task_uuid := r.tid;
    step_state := f.o_state;
    next_retry_at := f.o_next_retry_at;
    RETURN NEXT;
  END LOOP;
END $$;

-- Makes due retries claimable again (waiting_for_retry → enqueued; a task resting in waiting_for_retry goes
-- retry_ready → enqueuing_steps → steps_in_process). Returns how many moved and the earliest backoff still
-- running, so the caller can sleep exactly until then.
CREATE FUNCTION tasker.promote_due_retries(p_limit integer)
RETURNS TABLE (promoted integer, next_due_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  t tasker.tasks;
  v_n integer := 0;
  v_last bigint;
  v_state text;
BEGIN
  FOR r IN
    SELECT x.step_uuid AS sid, x.task_uuid AS tid, x.attempts AS attempts, x.namespace AS ns,
           x.handler_callable AS handler FROM tasker.steps x
    WHERE x.state = 'waiting_for_retry' AND x.next_retry_at <= now()
    ORDER BY x.next_retry_at LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  LOOP
    SELECT * INTO t FROM tasker.tasks x WHERE x.task_uuid = r.tid FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    v_state := t.state;
    IF v_state = 'waiting_for_retry' THEN
      PERFORM tasker.insert_task_transition(r.tid, 'waiting_for_retry', 'enqueuing_steps', 'retry_ready', 'retry_promoter');
    END IF;
    v_last := tasker.insert_step_transition(r.tid, r.sid, 'waiting_for_retry', 'enqueued', 'retry', r.attempts, 'retry_promoter');
    UPDATE tasker.steps x SET state = 'enqueued', enqueued_at = now(), next_retry_at = NULL, updated_at = now()
    WHERE x.step_uuid = r.sid;
    IF v_state = 'waiting_for_retry' THEN
      v_last := tasker.insert_task_transition(r.tid, 'enqueuing_steps', 'steps_in_process', 'steps_enqueued', 'retry_promoter',
                  NULL, jsonb_build_object('count', 1));
    END IF;
    UPDATE tasker.tasks x SET
      steps_waiting_for_retry = x.steps_waiting_for_retry - 1, steps_enqueued = x.steps_enqueued + 1,
      state = CASE WHEN v_state = 'waiting_for_retry' THEN 'steps_in_process' ELSE x.state END,
      state_entered_at = CASE WHEN v_state = 'waiting_for_retry' THEN now() ELSE x.state_entered_at END,
      last_event_id = v_last, updated_at = now()
    WHERE x.task_uuid = r.tid;
    PERFORM tasker.notify_steps_ready(r.ns, ARRAY[r.handler]);
    PERFORM tasker.notify_task_event(r.tid);
    v_n := v_n + 1;
  END LOOP;
  promoted := v_n;
  SELECT min(x.next_retry_at) INTO next_due_at FROM tasker.steps x WHERE x.state = 'waiting_for_retry';
  RETURN NEXT;
END $$;

-- Engine: dispatch (claims with leases, heartbeats, releases) and worker results. One call each.
-- Lock order everywhere: task row, then its steps. Claims pick steps with SKIP LOCKED first and then lock
-- their tasks in task_uuid order (claimers never deadlock one another); the sweeper and the retry promoter
-- take task locks with SKIP LOCKED and leave a busy task to their next round.

-- Registry bookkeeping on claim/heartbeat: a write at most once a second per worker, and none when fresh.
CREATE FUNCTION tasker.touch_worker(p_worker text, p_namespaces text[], p_handlers text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_worker IS NULL OR EXISTS (
       SELECT 1 FROM tasker.workers w WHERE w.worker_id = p_worker AND w.last_seen_at > now() - interval '1 second') THEN
    RETURN;
  END IF;
  INSERT INTO tasker.workers (worker_id, namespaces, handlers)
  VALUES (p_worker, coalesce(p_namespaces, '{}'), coalesce(p_handlers, '{}'))
  ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now();
END $$;

-- Claims up to p_max enqueued steps (p_namespaces / p_handlers NULL = any) for p_worker: in_progress,
-- attempts + 1, a fresh lease token (the fencing token) and a lease of min(p_lease_ms, timeout_seconds).
-- Returns everything the handler needs, parent results by step name included.
CREATE FUNCTION tasker.claim_steps(p_worker text, p_namespaces text[], p_handlers text[], p_max integer, p_lease_ms integer)
RETURNS TABLE (
  task_uuid uuid, step_uuid uuid, step_name text, namespace text, task_name text, task_version text,
  handler_callable text, handler_method text, initialization jsonb, context jsonb, parent_results jsonb,
  attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer,
  correlation_id uuid)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  v_tasks uuid[];
BEGIN
  PERFORM tasker.touch_worker(p_worker, p_namespaces, p_handlers);
  -- One ordered walk of steps_claim_idx per namespace (all that have work when p_namespaces is NULL), then
  -- the best p_max overall.
  SELECT array_agg(x.step_uuid) INTO v_ids FROM (
    SELECT c.step_uuid FROM unnest(coalesce(p_namespaces, tasker.namespaces_with_enqueued_steps())) AS ns(name)
    CROSS JOIN LATERAL (
      SELECT s.step_uuid, s.priority, s.enqueued_at FROM tasker.steps s
      WHERE s.state = 'enqueued' AND s.namespace = ns.name
        AND (p_handlers IS NULL OR s.handler_callable = ANY (p_handlers))
      ORDER BY s.priority DESC, s.enqueued_at, s.step_uuid
      LIMIT p_max FOR UPDATE SKIP LOCKED) c
    ORDER BY c.priority DESC, c.enqueued_at, c.step_uuid
    LIMIT p_max) x;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;

  SELECT array_agg(DISTINCT s.task_uuid) INTO v_tasks FROM tasker.steps s WHERE s.step_uuid = ANY (v_ids);
  PERFORM 1 FROM tasker.tasks t WHERE t.task_uuid = ANY (v_tasks) ORDER BY t.task_uuid FOR UPDATE;

  RETURN QUERY
  WITH moved AS (
    UPDATE tasker.steps s SET
      state = 'in_progress', attempts = s.attempts + 1, lease_token = gen_random_uuid(), leased_by = p_worker,
      lease_expires_at = now() + make_interval(secs => least(p_lease_ms, coalesce(s.timeout_seconds * 1000, p_lease_ms)) / 1000.0),
      last_attempted_at = now(), next_retry_at = NULL, updated_at = now()
    WHERE s.step_uuid = ANY (v_ids)
    RETURNING s.*
  ), att AS (
    INSERT INTO tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id)
    SELECT m.lease_token, m.task_uuid, m.step_uuid, m.attempts, p_worker FROM moved m
  ), tr AS (
    INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor)
    SELECT m.task_uuid, m.step_uuid, 'enqueued', 'in_progress', 'claim', m.attempts, p_worker
    FROM moved m ORDER BY m.priority DESC, m.enqueued_at, m.step_uuid
    RETURNING step_transitions.task_uuid AS tr_task, step_transitions.event_id AS tr_event
  ), tu AS (
    UPDATE tasker.tasks t SET
      steps_enqueued = t.steps_enqueued - x.n, steps_in_progress = t.steps_in_progress + x.n,
      last_event_id = greatest(t.last_event_id, x.last), updated_at = now()
    FROM (SELECT tr.tr_task, count(*)::integer AS n, max(tr.tr_event) AS last FROM tr GROUP BY tr.tr_task) x
    WHERE t.task_uuid = x.tr_task
    RETURNING t.task_uuid AS tu_task, t.name AS tu_name, t.version AS tu_version, t.context AS tu_context,
              t.correlation_id AS tu_correlation
  )
  SELECT m.task_uuid, m.step_uuid, m.name, m.namespace, tu.tu_name, tu.tu_version, m.handler_callable,
         m.handler_method, m.initialization, tu.tu_context,
         coalesce((SELECT jsonb_object_agg(p.name, p.results)
                   FROM tasker.step_edges e JOIN tasker.steps p ON p.step_uuid = e.parent_step_uuid
                   WHERE e.child_step_uuid = m.step_uuid), '{}'::jsonb),
         m.attempts, m.max_attempts, m.lease_token, m.lease_expires_at, m.timeout_seconds, tu.tu_correlation
  FROM moved m JOIN tu ON tu.tu_task = m.task_uuid
  ORDER BY m.priority DESC, m.enqueued_at, m.step_uuid;

  PERFORM tasker.notify_task_event(x) FROM unnest(v_tasks) AS x;
END $$;

-- Extends valid leases (never past the step's timeout deadline); reports each lease as valid, cancelled (the
-- task or step was cancelled under it) or lost (token stale: the step moved on).
CREATE FUNCTION tasker.heartbeat_leases(p_worker text, p_steps uuid[], p_tokens uuid[], p_lease_ms integer)
RETURNS TABLE (step_uuid uuid, status text, lease_expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM tasker.touch_worker(p_worker, NULL, NULL);
  -- Same lock order as cancel_task (step_uuid), so a heartbeat and a cancel never deadlock.
  PERFORM 1 FROM tasker.steps s WHERE s.step_uuid = ANY (p_steps) AND s.state = 'in_progress'
  ORDER BY s.step_uuid FOR UPDATE;
  RETURN QUERY
  WITH input AS (
    SELECT i.sid, i.token, i.ord FROM unnest(p_steps, p_tokens) WITH ORDINALITY AS i(sid, token, ord)
  ), ext AS (
    UPDATE tasker.steps s SET lease_expires_at = CASE
        WHEN s.timeout_seconds IS NULL THEN now() + make_interval(secs => p_lease_ms / 1000.0)
        ELSE least(now() + make_interval(secs => p_lease_ms / 1000.0),
                   s.last_attempted_at + make_interval(secs => s.timeout_seconds)) END
    FROM input i
    WHERE s.step_uuid = i.sid AND s.state = 'in_progress' AND s.lease_token = i.token
    RETURNING s.step_uuid AS sid, s.lease_token AS token, s.lease_expires_at AS expires
  )
  SELECT i.sid,
         CASE WHEN e.sid IS NOT NULL THEN 'valid' WHEN a.outcome = 'cancelled' THEN 'cancelled' ELSE 'lost' END,
         e.expires
  FROM input i
  -- Join on the token too: a stale entry listed beside the live one for the same step must read `lost`.
  LEFT JOIN ext e ON e.sid = i.sid AND e.token = i.token
  LEFT JOIN tasker.step_attempts a ON a.lease_token = i.token AND a.step_uuid = i.sid
  ORDER BY i.ord;
END $$;

-- Why a result or release carrying p_token is refused: cancelled under it, or simply stale.
CREATE FUNCTION tasker.lease_refusal(p_step uuid, p_token uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM tasker.step_attempts a
                           WHERE a.lease_token = p_token AND a.step_uuid = p_step AND a.outcome = 'cancelled')
              THEN 'cancelled' ELSE 'lease_lost' END
$$;

-- A failed attempt (worker failure or expired lease), from in_progress: → enqueued_as_error_for_orchestration,
-- then waiting_for_retry (eligible: the failure and the step retryable, runs left) or error. Delay: the
-- worker's Retry-After capped at the step's max backoff, else the step's backoff policy.
CREATE FUNCTION tasker.fail_attempt(
  s tasker.steps, p_event text, p_error jsonb, p_retryable boolean, p_retry_after_ms bigint,
  p_multiplier double precision, p_actor text, p_exec_ms integer,
  OUT o_state text, OUT o_next_retry_at timestamptz, OUT o_last_event bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_ev bigint;
  v_delay bigint;
BEGIN
  v_ev := tasker.insert_step_transition(s.task_uuid, s.step_uuid, 'in_progress', 'enqueued_as_error_for_orchestration',
            p_event, s.attempts, p_actor, p_error->>'message',
            jsonb_build_object('error_type', p_error->'error_type', 'execution_time_ms', p_exec_ms));
  INSERT INTO tasker.step_audit (event_id, task_uuid, step_uuid, action, success, worker_id, lease_token, reason,
                                 execution_time_ms, result, from_state, to_state)
  VALUES (v_ev, s.task_uuid, s.step_uuid, CASE WHEN p_event = 'lease_expired' THEN 'lease_expired' ELSE 'worker_result' END,
          false, s.leased_by, s.lease_token, p_error->>'message', p_exec_ms, p_error,
          'in_progress', 'enqueued_as_error_for_orchestration');
  UPDATE tasker.step_attempts a SET finished_at = now(), execution_time_ms = p_exec_ms, error = p_error,
         outcome = CASE WHEN p_event = 'lease_expired' THEN 'lease_expired' ELSE 'failed' END
  WHERE a.lease_token = s.lease_token;

  IF p_retryable AND s.retryable AND s.attempts < s.max_attempts THEN
    v_delay := CASE WHEN p_retry_after_ms IS NOT NULL THEN least(p_retry_after_ms, s.backoff_max_ms)
                    ELSE tasker.backoff_delay_ms(s.backoff_kind, s.backoff_base_ms, s.backoff_max_ms, s.backoff_jitter,
                                                 s.attempts, p_multiplier) END;
    o_state := 'waiting_for_retry';
    o_next_retry_at := now() + v_delay * interval '1 millisecond';
    o_last_event := tasker.insert_step_transition(s.task_uuid, s.step_uuid, 'enqueued_as_error_for_orchestration',
                      'waiting_for_retry', 'wait_for_retry', s.attempts, p_actor, NULL,
                      jsonb_build_object('delay_ms', v_delay, 'next_retry_at', o_next_retry_at));
  ELSE
    o_state := 'error';
    o_next_retry_at := NULL;
    o_last_event := tasker.insert_step_transition(s.task_uuid, s.step_uuid, 'enqueued_as_error_for_orchestration',
                      'error', 'fail', s.attempts, p_actor,
                      CASE WHEN NOT p_retryable THEN 'the failure is not retryable'
                           WHEN NOT s.retryable THEN 'the step is not retryable'
                           ELSE format('attempts exhausted (%s of %s)', s.attempts, s.max_attempts) END);
  END IF;
  UPDATE tasker.steps x SET state = o_state, next_retry_at = o_next_retry_at,
         backoff_request_seconds = CASE WHEN p_retry_after_ms IS NULL THEN NULL ELSE ceil(p_retry_after_ms / 1000.0)::integer END,
         last_error = p_error, last_failure_at = now(), lease_token = NULL, lease_expires_at = NULL, leased_by = NULL,
         updated_at = now()
  WHERE x.step_uuid = s.step_uuid;
END $$;

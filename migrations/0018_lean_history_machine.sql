-- Lean history, part 2 of 3: the state machines over paths, the named step counters, and the helpers every
-- engine function shares (part 3 holds the operations). The single-hop tables (task_next_state,
-- step_next_state) stay the source the CHECK constraints fold over; packages/shared/src/domain/*-machine.ts
-- hold the same tables and the same folding, and an integration test compares them pair by pair.

-- The task state an event leads to, or NULL when the machine forbids it.
CREATE FUNCTION tasker.task_next_state(p_from text, p_event text) RETURNS text
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
  END;
END $$;

-- Where a path of events ('a>b>c') leads from p_from (NULL = nothing yet: the path must start with `create`),
-- or NULL when any hop is forbidden. Every history row's CHECK calls one of these: a single event (most rows)
-- is one lookup, without splitting the path.
CREATE FUNCTION tasker.task_path_end(p_from text, p_path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_state text := p_from;
  v_events text[];
BEGIN
  IF strpos(p_path, '>') = 0 THEN
    IF p_from IS NULL THEN
      RETURN CASE WHEN p_path = 'create' THEN 'pending' END;
    END IF;
    RETURN tasker.task_next_state(p_from, p_path);
  END IF;
  v_events := string_to_array(p_path, '>');
  FOR i IN 1..cardinality(v_events) LOOP
    IF i = 1 AND p_from IS NULL THEN
      IF v_events[1] <> 'create' THEN RETURN NULL; END IF;
      v_state := 'pending';
    ELSE
      v_state := tasker.task_next_state(v_state, v_events[i]);
      IF v_state IS NULL THEN RETURN NULL; END IF;
    END IF;
  END LOOP;
  RETURN v_state;
END $$;

CREATE FUNCTION tasker.step_path_end(p_from text, p_path text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_state text := p_from;
  v_events text[];
BEGIN
  IF strpos(p_path, '>') = 0 THEN
    IF p_from IS NULL THEN
      RETURN CASE WHEN p_path = 'create' THEN 'pending' END;
    END IF;
    RETURN tasker.step_next_state(p_from, p_path);
  END IF;
  v_events := string_to_array(p_path, '>');
  FOR i IN 1..cardinality(v_events) LOOP
    IF i = 1 AND p_from IS NULL THEN
      IF v_events[1] <> 'create' THEN RETURN NULL; END IF;
      v_state := 'pending';
    ELSE
      v_state := tasker.step_next_state(v_state, v_events[i]);
      IF v_state IS NULL THEN RETURN NULL; END IF;
    END IF;
  END LOOP;
  RETURN v_state;
END $$;

-- The CHECK constraints of both history tables call these; a path is allowed when it ends where the row says.
CREATE OR REPLACE FUNCTION tasker.task_transition_allowed(p_from text, p_event text, p_to text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN p_to IS NOT NULL AND tasker.task_path_end(p_from, p_event) IS NOT DISTINCT FROM p_to;
END $$;

CREATE OR REPLACE FUNCTION tasker.step_transition_allowed(p_from text, p_event text, p_to text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN p_to IS NOT NULL AND tasker.step_path_end(p_from, p_event) IS NOT DISTINCT FROM p_to;
END $$;
-- (PL/pgSQL, not SQL: a constraint's SQL function is not inlined, and PL/pgSQL keeps its expressions' plans.)

-- The enqueue event of a dispatch cycle, by where the step came from.
CREATE FUNCTION tasker.enqueue_event_name(p_from text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_from WHEN 'pending' THEN 'enqueue' WHEN 'waiting_for_retry' THEN 'retry' ELSE 'create>enqueue' END
$$;

-- A finished attempt's path must be one the machine allows from in_progress, and fit its outcome.
ALTER TABLE tasker.step_attempts ADD CONSTRAINT step_attempts_machine_check CHECK (
  finish_event_id IS NULL OR (
    tasker.step_transition_allowed('in_progress', finish_event, to_state)
    AND CASE outcome
      WHEN 'completed' THEN to_state = 'complete'
      WHEN 'failed' THEN to_state IN ('waiting_for_retry', 'error')
      WHEN 'lease_expired' THEN to_state IN ('waiting_for_retry', 'error')
      WHEN 'cancelled' THEN to_state = 'cancelled'
      WHEN 'released' THEN to_state = 'enqueued'
    END));

-- Per-state step counters of a task, by name. enqueued and in_progress share `active`.
CREATE TYPE tasker.step_counts AS (
  pending integer, active integer, waiting_for_retry integer, complete integer, error integer, cancelled integer,
  resolved_manually integer);

CREATE FUNCTION tasker.counts_of(t tasker.tasks) RETURNS tasker.step_counts
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ROW(t.steps_pending, t.steps_active, t.steps_waiting_for_retry, t.steps_complete, t.steps_error,
             t.steps_cancelled, t.steps_resolved_manually)::tasker.step_counts
$$;

-- c after p_n steps moved from p_from (NULL = created) to p_to.
CREATE FUNCTION tasker.counts_move(c tasker.step_counts, p_from text, p_to text, p_n integer DEFAULT 1)
RETURNS tasker.step_counts
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_n = 0 THEN RETURN c; END IF;
  CASE p_from
    WHEN 'pending' THEN c.pending := c.pending - p_n;
    WHEN 'enqueued', 'in_progress' THEN c.active := c.active - p_n;
    WHEN 'waiting_for_retry' THEN c.waiting_for_retry := c.waiting_for_retry - p_n;
    WHEN 'complete' THEN c.complete := c.complete - p_n;
    WHEN 'error' THEN c.error := c.error - p_n;
    WHEN 'cancelled' THEN c.cancelled := c.cancelled - p_n;
    WHEN 'resolved_manually' THEN c.resolved_manually := c.resolved_manually - p_n;
    ELSE NULL;
  END CASE;
  CASE p_to
    WHEN 'pending' THEN c.pending := c.pending + p_n;
    WHEN 'enqueued', 'in_progress' THEN c.active := c.active + p_n;
    WHEN 'waiting_for_retry' THEN c.waiting_for_retry := c.waiting_for_retry + p_n;
    WHEN 'complete' THEN c.complete := c.complete + p_n;
    WHEN 'error' THEN c.error := c.error + p_n;
    WHEN 'cancelled' THEN c.cancelled := c.cancelled + p_n;
    WHEN 'resolved_manually' THEN c.resolved_manually := c.resolved_manually + p_n;
  END CASE;
  RETURN c;
END $$;

-- The one decision after steps of a task moved (domain finalization), pure: given where the task rests, its
-- counters after the moves, its step total, the event that brings a resting task into evaluating_results
-- (step_completed, step_failed, resume; NULL = none) and how many steps were dispatched, where the task comes
-- to rest, the path that leads there ('' = it stays) and the transition's reason.
-- While a step is in error nothing new is dispatched (callers hold children back); work already enqueued,
-- running or in backoff finishes, and once none is left the task gives up (→ error + DLQ max_retries_exceeded).
CREATE FUNCTION tasker.settle_decision(
  p_state text, c tasker.step_counts, p_total integer, p_entry text, p_enqueued integer, p_reason text DEFAULT NULL,
  OUT o_state text, OUT o_path text, OUT o_reason text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_path text[] := '{}';
BEGIN
  o_state := p_state;
  o_reason := p_reason;
  IF p_entry IS NOT NULL AND tasker.task_next_state(p_state, p_entry) = 'evaluating_results' THEN
    v_path := v_path || p_entry;
    IF c.error > 0 THEN
      v_path := v_path || 'permanent_failure'::text;
      o_state := 'blocked_by_failures';
      o_reason := coalesce(o_reason, format('%s step(s) failed permanently', c.error));
    ELSIF c.complete + c.resolved_manually = p_total THEN
      v_path := v_path || 'all_steps_successful'::text;
      o_state := 'complete';
    ELSIF p_enqueued > 0 THEN
      v_path := v_path || ARRAY['ready_steps_found', 'steps_enqueued'];
      o_state := 'steps_in_process';
    ELSIF c.active > 0 THEN
      v_path := v_path || 'steps_in_flight'::text;
      o_state := 'steps_in_process';
    ELSIF c.waiting_for_retry > 0 THEN
      v_path := v_path || 'retry_scheduled'::text;
      o_state := 'waiting_for_retry';
    ELSE
      v_path := v_path || 'no_dependencies_ready'::text;
      o_state := 'waiting_for_dependencies';
    END IF;
  END IF;
  IF o_state = 'blocked_by_failures' AND c.error > 0 AND c.active + c.waiting_for_retry = 0 THEN
    v_path := v_path || 'give_up'::text;
    o_state := 'error';
    o_reason := coalesce(o_reason, 'no step left running; failed steps need an operator');
  END IF;
  o_path := array_to_string(v_path, '>');
END $$;

-- Opens the DLQ entry of a task that just gave up (blocked_by_failures → error).
CREATE FUNCTION tasker.open_give_up_entry(p_task uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
  VALUES (p_task, 'blocked_by_failures', 'max_retries_exceeded', tasker.task_snapshot(p_task))
  ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
END $$;

-- A task's completed_at after it moved from p_from to p_to: set on entering a terminal state, cleared on
-- leaving one.
CREATE FUNCTION tasker.completed_at_after(p_completed_at timestamptz, p_from text, p_to text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN p_to NOT IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN NULL
    WHEN p_to <> p_from OR p_completed_at IS NULL THEN now()
    ELSE p_completed_at END
$$;

-- Settles one locked task (tasker.settle_decision), writing ONE transition naming the path when the resting
-- state changes, ONE update of the task row when its state or counters changed, and on give-up the DLQ entry.
-- Returns the new state. report_results settles many tasks at once with the same decision, set-based.
CREATE FUNCTION tasker.settle_task(
  p_task tasker.tasks, p_counts tasker.step_counts, p_entry text, p_enqueued integer, p_actor text,
  p_reason text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  c tasker.step_counts := p_counts;
  v_from text := p_task.state;
  d record;
BEGIN
  d := tasker.settle_decision(v_from, c, p_task.steps_total, p_entry, p_enqueued, p_reason);
  IF d.o_state <> v_from THEN
    PERFORM tasker.insert_task_transition(p_task.task_uuid, v_from, d.o_state, d.o_path, p_actor, d.o_reason,
              CASE WHEN p_enqueued > 0 THEN jsonb_build_object('count', p_enqueued) ELSE '{}'::jsonb END);
  END IF;
  IF d.o_state <> v_from OR c IS DISTINCT FROM tasker.counts_of(p_task) THEN
    UPDATE tasker.tasks t SET
      steps_pending = c.pending, steps_active = c.active, steps_waiting_for_retry = c.waiting_for_retry,
      steps_complete = c.complete, steps_error = c.error, steps_cancelled = c.cancelled,
      steps_resolved_manually = c.resolved_manually,
      state = d.o_state,
      state_entered_at = CASE WHEN d.o_state <> v_from THEN now() ELSE t.state_entered_at END,
      completed_at = tasker.completed_at_after(t.completed_at, v_from, d.o_state),
      updated_at = now()
    WHERE t.task_uuid = p_task.task_uuid;
  END IF;
  IF d.o_state = 'error' AND v_from <> 'error' THEN
    PERFORM tasker.open_give_up_entry(p_task.task_uuid);
  END IF;
  RETURN d.o_state;
END $$;

-- Decrements the unsatisfied-parent counter of each child of p_step; a pending child whose last parent this
-- was becomes enqueued in the same update (its enqueue event drawn now), unless p_hold (the task is blocked:
-- it stays pending until resume). Returns how many were enqueued and their handlers. O(edges of the step).
CREATE FUNCTION tasker.release_children(p_step uuid, p_hold boolean, OUT o_enqueued integer, OUT o_handlers text[])
LANGUAGE plpgsql AS $$
BEGIN
  WITH children AS (
    SELECT c.step_uuid AS sid, (c.unsatisfied_parents = 1 AND c.state = 'pending' AND NOT p_hold) AS go
    FROM tasker.step_edges e JOIN tasker.steps c ON c.step_uuid = e.child_step_uuid
    WHERE e.parent_step_uuid = p_step
  ), moved AS (
    UPDATE tasker.steps c SET
      unsatisfied_parents = c.unsatisfied_parents - 1,
      state = CASE WHEN x.go THEN 'enqueued' ELSE c.state END,
      enqueued_at = CASE WHEN x.go THEN now() ELSE c.enqueued_at END,
      enqueue_event_id = CASE WHEN x.go THEN nextval('tasker.event_id_seq') ELSE c.enqueue_event_id END,
      enqueue_from = CASE WHEN x.go THEN 'pending' ELSE c.enqueue_from END,
      updated_at = now()
    FROM children x
    WHERE c.step_uuid = x.sid
    RETURNING x.go, c.handler_callable
  )
  SELECT count(*) FILTER (WHERE moved.go)::integer, array_agg(moved.handler_callable) FILTER (WHERE moved.go)
  INTO o_enqueued, o_handlers FROM moved;
END $$;

-- Ends the running attempt of s (locked, in_progress): writes its attempt row carrying the cycle's enqueue
-- and claim events and the finish event drawn now. p_event is the path from in_progress to p_to.
CREATE FUNCTION tasker.record_attempt(
  s tasker.steps, p_outcome text, p_event text, p_to text, p_actor text, p_exec_ms integer, p_error jsonb,
  p_metadata jsonb DEFAULT NULL, p_retry_delay_ms bigint DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_ev bigint := nextval('tasker.event_id_seq');
BEGIN
  INSERT INTO tasker.step_attempts (lease_token, task_uuid, step_uuid, attempt, worker_id, claimed_at, finished_at,
                                    outcome, execution_time_ms, error, to_state, finish_event, finished_by, metadata,
                                    retry_delay_ms, enqueue_event_id, enqueue_from, enqueued_at, claim_event_id,
                                    finish_event_id)
  VALUES (s.lease_token, s.task_uuid, s.step_uuid, s.attempts, s.leased_by, s.last_attempted_at, now(),
          p_outcome, p_exec_ms, p_error, p_to, p_event, p_actor, p_metadata, p_retry_delay_ms,
          -- claim_event_id is NULL for a claim made before this version: step_transitions holds that one.
          s.enqueue_event_id, s.enqueue_from, s.enqueued_at, s.claim_event_id, v_ev);
  RETURN v_ev;
END $$;

-- Moves a dispatch cycle's enqueue event from the step row into step_transitions: the step leaves enqueued
-- without an attempt (cancelled, resolved or completed by an operator) and the event must outlive the row's
-- cycle columns.
CREATE FUNCTION tasker.flush_enqueue_event(s tasker.steps) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF s.enqueue_event_id IS NULL THEN
    RETURN;
  END IF;
  INSERT INTO tasker.step_transitions (event_id, task_uuid, step_uuid, from_state, to_state, event, attempt, created_at)
  VALUES (s.enqueue_event_id, s.task_uuid, s.step_uuid, s.enqueue_from, 'enqueued', tasker.enqueue_event_name(s.enqueue_from),
          s.attempts, s.enqueued_at);
END $$;

-- The retry decision after a failed attempt of s: waiting_for_retry when the failure and the step are
-- retryable and runs are left (delay: the worker's Retry-After capped at the step's max backoff, else the
-- step's backoff policy), else error.
CREATE FUNCTION tasker.retry_decision(
  s tasker.steps, p_retryable boolean, p_retry_after_ms bigint, p_multiplier double precision,
  OUT o_state text, OUT o_next_retry_at timestamptz, OUT o_delay_ms bigint)
LANGUAGE plpgsql AS $$
BEGIN
  IF p_retryable AND s.retryable AND s.attempts < s.max_attempts THEN
    o_delay_ms := CASE WHEN p_retry_after_ms IS NOT NULL THEN least(p_retry_after_ms, s.backoff_max_ms)
                       ELSE tasker.backoff_delay_ms(s.backoff_kind, s.backoff_base_ms, s.backoff_max_ms, s.backoff_jitter,
                                                    s.attempts, p_multiplier) END;
    o_state := 'waiting_for_retry';
    o_next_retry_at := now() + o_delay_ms * interval '1 millisecond';
  ELSE
    o_state := 'error';
  END IF;
END $$;

-- A failed attempt of s (worker failure or expired lease): its attempt row and the step row, in one go.
-- Returns the state the step came to rest in and when it may run again.
CREATE FUNCTION tasker.fail_running_step(
  s tasker.steps, p_kind text, p_error jsonb, p_retryable boolean, p_retry_after_ms bigint,
  p_multiplier double precision, p_actor text, p_exec_ms integer, OUT o_state text, OUT o_next_retry_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  d := tasker.retry_decision(s, p_retryable, p_retry_after_ms, p_multiplier);
  o_state := d.o_state;
  o_next_retry_at := d.o_next_retry_at;
  PERFORM tasker.record_attempt(s, CASE WHEN p_kind = 'lease_expired' THEN 'lease_expired' ELSE 'failed' END,
            p_kind || CASE WHEN o_state = 'error' THEN '>fail' ELSE '>wait_for_retry' END, o_state, p_actor, p_exec_ms,
            p_error, NULL, d.o_delay_ms);
  UPDATE tasker.steps x SET state = o_state, next_retry_at = o_next_retry_at,
         backoff_request_seconds = CASE WHEN p_retry_after_ms IS NULL THEN NULL ELSE ceil(p_retry_after_ms / 1000.0)::integer END,
         last_error = p_error, last_failure_at = now(), lease_token = NULL, lease_expires_at = NULL, leased_by = NULL,
         enqueue_event_id = NULL, enqueue_from = NULL, claim_event_id = NULL, updated_at = now()
  WHERE x.step_uuid = s.step_uuid;
END $$;

-- Engine core: the state machines as CHECK constraints on the history tables, and the helpers the engine
-- functions (0011–0015) share: counters, transitions, backoff, notifications, task-event watchers. docs/engine.md
-- explains the design; the TypeScript tables in packages/shared/src/domain/{task,step}-machine.ts are the
-- source of truth and an integration test compares them with the functions below, pair by pair.

-- Every recorded transition must be one the machine allows. `create` (from nothing to pending) opens each
-- history. A bug in an engine function then fails its own statement instead of writing an impossible path.
CREATE FUNCTION tasker.task_transition_allowed(p_from text, p_event text, p_to text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF p_from IS NULL THEN
    RETURN p_event = 'create' AND p_to = 'pending';
  END IF;
  -- PL/pgSQL evaluates this as a simple expression (no executor start-up): it runs on every transition insert.
  RETURN p_from || '/' || p_event || '/' || p_to = ANY ('{
    pending/start/initializing,
    pending/cancel/cancelled,
    initializing/ready_steps_found/enqueuing_steps,
    initializing/no_steps_found/complete,
    initializing/no_dependencies_ready/waiting_for_dependencies,
    initializing/cancel/cancelled,
    enqueuing_steps/steps_enqueued/steps_in_process,
    enqueuing_steps/enqueue_failed/error,
    enqueuing_steps/cancel/cancelled,
    steps_in_process/step_completed/evaluating_results,
    steps_in_process/step_failed/evaluating_results,
    steps_in_process/staleness_timeout/error,
    steps_in_process/cancel/cancelled,
    evaluating_results/ready_steps_found/enqueuing_steps,
    evaluating_results/no_dependencies_ready/waiting_for_dependencies,
    evaluating_results/all_steps_successful/complete,
    evaluating_results/steps_in_flight/steps_in_process,
    evaluating_results/retry_scheduled/waiting_for_retry,
    evaluating_results/permanent_failure/blocked_by_failures,
    evaluating_results/cancel/cancelled,
    waiting_for_dependencies/step_completed/evaluating_results,
    waiting_for_dependencies/step_failed/evaluating_results,
    waiting_for_dependencies/dependencies_ready/evaluating_results,
    waiting_for_dependencies/staleness_timeout/error,
    waiting_for_dependencies/cancel/cancelled,
    waiting_for_retry/step_completed/evaluating_results,
    waiting_for_retry/step_failed/evaluating_results,
    waiting_for_retry/retry_ready/enqueuing_steps,
    waiting_for_retry/staleness_timeout/error,
    waiting_for_retry/cancel/cancelled,
    blocked_by_failures/give_up/error,
    blocked_by_failures/manual_resolution/resolved_manually,
    blocked_by_failures/resume/evaluating_results,
    blocked_by_failures/cancel/cancelled,
    error/resume/evaluating_results
  }'::text[]);
END $$;

-- The state a step enters on an event, or NULL when the machine forbids it (creation excluded).
CREATE FUNCTION tasker.step_next_state(p_from text, p_event text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE p_from || '/' || p_event
    WHEN 'pending/enqueue' THEN 'enqueued'
    WHEN 'pending/cancel' THEN 'cancelled'
    WHEN 'pending/resolve_manually' THEN 'resolved_manually'
    WHEN 'pending/complete_manually' THEN 'complete'
    WHEN 'enqueued/claim' THEN 'in_progress'
    WHEN 'enqueued/cancel' THEN 'cancelled'
    WHEN 'enqueued/resolve_manually' THEN 'resolved_manually'
    WHEN 'enqueued/complete_manually' THEN 'complete'
    WHEN 'in_progress/complete_result' THEN 'enqueued_for_orchestration'
    WHEN 'in_progress/fail_result' THEN 'enqueued_as_error_for_orchestration'
    WHEN 'in_progress/lease_expired' THEN 'enqueued_as_error_for_orchestration'
    WHEN 'in_progress/release' THEN 'enqueued'
    WHEN 'in_progress/cancel' THEN 'cancelled'
    WHEN 'enqueued_for_orchestration/complete' THEN 'complete'
    WHEN 'enqueued_for_orchestration/cancel' THEN 'cancelled'
    WHEN 'enqueued_as_error_for_orchestration/wait_for_retry' THEN 'waiting_for_retry'
    WHEN 'enqueued_as_error_for_orchestration/fail' THEN 'error'
    WHEN 'enqueued_as_error_for_orchestration/cancel' THEN 'cancelled'
    WHEN 'waiting_for_retry/retry' THEN 'enqueued'
    WHEN 'waiting_for_retry/cancel' THEN 'cancelled'
    WHEN 'waiting_for_retry/resolve_manually' THEN 'resolved_manually'
    WHEN 'waiting_for_retry/complete_manually' THEN 'complete'
    WHEN 'error/cancel' THEN 'cancelled'
    WHEN 'error/reset_for_retry' THEN 'pending'
    WHEN 'error/resolve_manually' THEN 'resolved_manually'
    WHEN 'error/complete_manually' THEN 'complete'
  END;
END $$;

CREATE FUNCTION tasker.step_transition_allowed(p_from text, p_event text, p_to text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF p_from IS NULL THEN
    RETURN p_event = 'create' AND p_to = 'pending';
  END IF;
  RETURN tasker.step_next_state(p_from, p_event) IS NOT DISTINCT FROM p_to;
END $$;

ALTER TABLE tasker.task_transitions ADD CONSTRAINT task_transitions_machine_check
  CHECK (tasker.task_transition_allowed(from_state, event, to_state));
ALTER TABLE tasker.step_transitions ADD CONSTRAINT step_transitions_machine_check
  CHECK (tasker.step_transition_allowed(from_state, event, to_state));

-- Namespaces that have claimable steps: a skip scan of steps_claim_idx (one index probe per namespace), so a
-- worker serving every namespace claims through the same per-namespace ordered walks as everyone else.
CREATE FUNCTION tasker.namespaces_with_enqueued_steps() RETURNS text[]
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE ns AS (
    (SELECT s.namespace FROM tasker.steps s WHERE s.state = 'enqueued' ORDER BY s.namespace LIMIT 1)
    UNION ALL
    SELECT (SELECT s.namespace FROM tasker.steps s
            WHERE s.state = 'enqueued' AND s.namespace > ns.namespace ORDER BY s.namespace LIMIT 1)
    FROM ns WHERE ns.namespace IS NOT NULL
  )
  SELECT coalesce(array_agg(ns.namespace), '{}') FROM ns WHERE ns.namespace IS NOT NULL
$$;

-- The p_index-th of a family of UUID v7s sharing p_base's timestamp and random tail: rand_a (12 bits) holds
-- the index, so a task's steps sort by step_uuid in template order (≤ 4096 steps; templates allow 1000).
CREATE FUNCTION tasker.uuid_v7_ordered(p_base uuid, p_index integer) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(set_byte(set_byte(uuid_send(p_base), 6, 112 | ((p_index >> 8) & 15)), 7, p_index & 255), 'hex')::uuid
$$;

-- Position of a step state in the per-state counter array the engine accumulates (STEP_STATES order).
CREATE FUNCTION tasker.step_state_index(p_state text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_state
    WHEN 'pending' THEN 1 WHEN 'enqueued' THEN 2 WHEN 'in_progress' THEN 3
    WHEN 'enqueued_for_orchestration' THEN 4 WHEN 'enqueued_as_error_for_orchestration' THEN 5
    WHEN 'waiting_for_retry' THEN 6 WHEN 'complete' THEN 7 WHEN 'error' THEN 8 WHEN 'cancelled' THEN 9
    WHEN 'resolved_manually' THEN 10 END
$$;

-- Counter delta of n steps moving from p_from to p_to (p_from NULL = created).
CREATE FUNCTION tasker.count_move(p_delta integer[], p_from text, p_to text, p_n integer DEFAULT 1) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  d integer[] := p_delta;
BEGIN
  IF p_n = 0 THEN RETURN d; END IF;
  IF p_from IS NOT NULL THEN
    d[tasker.step_state_index(p_from)] := d[tasker.step_state_index(p_from)] - p_n;
  END IF;
  d[tasker.step_state_index(p_to)] := d[tasker.step_state_index(p_to)] + p_n;
  RETURN d;
END $$;

-- The helpers below are PL/pgSQL, not SQL functions, although each is one statement: PL/pgSQL keeps their
-- plans for the session, while a non-inlined SQL function is planned again on every call.
CREATE FUNCTION tasker.insert_task_transition(
  p_task uuid, p_from text, p_to text, p_event text, p_actor text DEFAULT NULL, p_reason text DEFAULT NULL,
  p_metadata jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_event bigint;
BEGIN
  INSERT INTO tasker.task_transitions (task_uuid, from_state, to_state, event, actor, reason, metadata)
  VALUES (p_task, p_from, p_to, p_event, p_actor, p_reason, coalesce(p_metadata, '{}'))
  RETURNING event_id INTO v_event;
  RETURN v_event;
END $$;

CREATE FUNCTION tasker.insert_step_transition(
  p_task uuid, p_step uuid, p_from text, p_to text, p_event text, p_attempt integer, p_actor text DEFAULT NULL,
  p_reason text DEFAULT NULL, p_metadata jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_event bigint;
BEGIN
  INSERT INTO tasker.step_transitions (task_uuid, step_uuid, from_state, to_state, event, attempt, actor, reason, metadata)
  VALUES (p_task, p_step, p_from, p_to, p_event, p_attempt, p_actor, p_reason, coalesce(p_metadata, '{}'))
  RETURNING event_id INTO v_event;
  RETURN v_event;
END $$;

-- Retry delay after p_attempts failed runs: none 0, linear base×n, exponential base×multiplier^(n−1),
-- fibonacci base×fib(n); capped; ± jitter share; clamped to [0, cap]. Mirrors nominalBackoffMs/backoffBoundsMs
-- in packages/shared/src/domain/readiness.ts.
CREATE FUNCTION tasker.backoff_delay_ms(
  p_kind text, p_base_ms integer, p_max_ms integer, p_jitter double precision, p_attempts integer,
  p_multiplier double precision) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n integer := greatest(p_attempts, 1);
  nominal double precision;
BEGIN
  nominal := CASE p_kind
    WHEN 'none' THEN 0
    WHEN 'linear' THEN p_base_ms::double precision * n
    WHEN 'exponential' THEN p_base_ms * power(p_multiplier, least(n - 1, 200))
    -- Binet's formula is exact in double precision far beyond the 100-attempt limit.
    WHEN 'fibonacci' THEN p_base_ms * round(power((1 + sqrt(5)) / 2, n) / sqrt(5))
  END;
  nominal := least(nominal, p_max_ms);
  RETURN round(least(greatest(nominal * (1 + p_jitter * (2 * random() - 1)), 0), p_max_ms));
END $$;

-- Wakes claimers waiting on this namespace (one LISTEN connection per orchestration process fans it out).
-- Payload {"n": namespace, "c": how many steps became claimable, "h": their distinct handler callables}, so a
-- process wakes only as many waiters, and only waiters serving those handlers.
CREATE FUNCTION tasker.notify_steps_ready(p_namespace text, p_handlers text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tasker_steps', jsonb_build_object(
    'n', p_namespace,
    'c', coalesce(cardinality(p_handlers), 0),
    'h', coalesce((SELECT jsonb_agg(DISTINCT h) FROM unnest(p_handlers) AS h), '[]'::jsonb))::text);
END $$;

-- Tasks someone is streaming events of, per orchestration process (watcher = a runtime's id). Writers send
-- `tasker_events` only for watched tasks: a transaction that NOTIFYs holds PostgreSQL's notify-queue lock
-- through its commit flush, so unwatched tasks must not pay for it on every claim and result.
CREATE TABLE tasker.task_watchers (
  task_uuid  uuid NOT NULL,
  watcher    text NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT task_watchers_pkey PRIMARY KEY (task_uuid, watcher)
);
CREATE INDEX task_watchers_watcher_idx ON tasker.task_watchers (watcher);

CREATE FUNCTION tasker.notify_task_event(p_task uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM tasker.task_watchers w WHERE w.task_uuid = p_task AND w.expires_at > now()) THEN
    PERFORM pg_notify('tasker_events', p_task::text);
  END IF;
END $$;

-- Registers a watcher. It first waits for any writer holding the task row (FOR SHARE conflicts with their
-- FOR UPDATE): writers before it have committed (a replay after this call sees their events) and writers
-- after it lock the task after this commit, so their EXISTS check sees the watcher and they notify.
-- false when the task does not exist.
CREATE FUNCTION tasker.watch_task(p_task uuid, p_watcher text, p_ttl_seconds integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tasker.tasks t WHERE t.task_uuid = p_task FOR SHARE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO tasker.task_watchers (task_uuid, watcher, expires_at)
  VALUES (p_task, p_watcher, now() + make_interval(secs => p_ttl_seconds))
  ON CONFLICT (task_uuid, watcher) DO UPDATE SET expires_at = excluded.expires_at;
  RETURN true;
END $$;

-- Extends this watcher's registrations of the tasks it still streams and removes everyone's expired ones (a
-- stream that ended, a process that died).
CREATE FUNCTION tasker.refresh_task_watchers(p_watcher text, p_tasks uuid[], p_ttl_seconds integer) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO tasker.task_watchers (task_uuid, watcher, expires_at)
  SELECT t, p_watcher, now() + make_interval(secs => p_ttl_seconds) FROM unnest(p_tasks) AS t
  ON CONFLICT (task_uuid, watcher) DO UPDATE SET expires_at = excluded.expires_at;
  DELETE FROM tasker.task_watchers WHERE expires_at < now();
$$;

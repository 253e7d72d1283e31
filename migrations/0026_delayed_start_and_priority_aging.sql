-- Delayed start and fair priorities.
--
-- Delayed start: a task created with a start time in the future (tasks.run_at) is `pending`, every step
-- `pending`, nothing dispatchable. tasker.start_due_tasks moves the due ones, in one statement per batch, the way
-- create_task moves a task that starts at once (pending → steps_in_process, root steps enqueued). The engine
-- calls it when its pulse or a creation in the same process says a start time falls due (no per-task polling).
-- A task created with a start time not in the future starts at once, run_at = the creation time.
--
-- Fair priorities: steps.dispatch_key = enqueued_at - priority × aging interval, set whenever a step becomes
-- enqueued, and claims walk it ascending. A step of priority p is claimed before one of priority p - 1 enqueued
-- at the same moment, and after it once the lower one has waited one aging interval longer: low priority is
-- delayed by at most (difference of priorities × aging interval), never starved. The aging interval is the
-- connection's setting tasker.priority_aging_ms (the engine sets it from engine.priority_aging_ms), 60 s when
-- unset. A trigger sets the key on every path that enqueues a step (created, released, retried, resumed,
-- reset, dynamic), so no enqueueing function needs to know about it.

ALTER TABLE tasker.tasks ADD COLUMN run_at timestamptz;
COMMENT ON COLUMN tasker.tasks.run_at IS
  'When the task was asked to start (NULL: at creation); a pending task with run_at in the future waits for it.';
CREATE INDEX tasks_pending_run_at_idx ON tasker.tasks (run_at) WHERE state = 'pending';

CREATE FUNCTION tasker.priority_aging() RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT make_interval(secs => coalesce(nullif(current_setting('tasker.priority_aging_ms', true), '')::bigint, 60000) / 1000.0)
$$;

ALTER TABLE tasker.steps ADD COLUMN dispatch_key timestamptz;
COMMENT ON COLUMN tasker.steps.dispatch_key IS
  'Claim order of an enqueued step: enqueued_at - priority × the aging interval (ascending = first).';
UPDATE tasker.steps SET dispatch_key = enqueued_at - priority * tasker.priority_aging() WHERE enqueued_at IS NOT NULL;

CREATE FUNCTION tasker.set_dispatch_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.dispatch_key := NEW.enqueued_at - NEW.priority * tasker.priority_aging();
  RETURN NEW;
END $$;

-- Only rows that become enqueued (or are enqueued again with a new enqueued_at) run the function; an enqueued step
-- has an enqueued_at (steps_enqueued_at_check), so it has a key.
CREATE TRIGGER steps_dispatch_key_insert BEFORE INSERT ON tasker.steps
  FOR EACH ROW WHEN (NEW.state = 'enqueued') EXECUTE FUNCTION tasker.set_dispatch_key();
CREATE TRIGGER steps_dispatch_key_update BEFORE UPDATE OF state, enqueued_at ON tasker.steps
  FOR EACH ROW WHEN (NEW.state = 'enqueued' AND (OLD.state <> 'enqueued' OR NEW.enqueued_at IS DISTINCT FROM OLD.enqueued_at
                                               OR OLD.dispatch_key IS NULL))
  EXECUTE FUNCTION tasker.set_dispatch_key();

-- Same name, new order: the claim walks it per namespace.
DROP INDEX tasker.steps_claim_idx;
CREATE INDEX steps_claim_idx ON tasker.steps (namespace, dispatch_key, step_uuid) WHERE state = 'enqueued';

-- claim_steps as in 0024; only the order changed (dispatch_key, step_uuid instead of priority DESC, enqueued_at,
-- step_uuid) in the walk, the overall pick and the returned rows.
CREATE OR REPLACE FUNCTION tasker.claim_steps(
  p_worker text, p_namespaces text[], p_handlers text[], p_max integer, p_lease_ms integer,
  p_skip_busy_tasks boolean DEFAULT false)
RETURNS TABLE (
  task_uuid uuid, step_uuid uuid, step_name text, namespace text, task_name text, task_version text,
  handler_callable text, handler_method text, initialization jsonb, context jsonb, parent_results jsonb,
  attempt integer, max_attempts integer, lease_token uuid, lease_expires_at timestamptz, timeout_seconds integer,
  correlation_id uuid, checkpoint jsonb)
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
      SELECT s.step_uuid, s.task_uuid, s.dispatch_key FROM tasker.steps s
      WHERE s.state = 'enqueued' AND s.namespace = ns.name
        AND (p_handlers IS NULL OR s.handler_callable = ANY (p_handlers))
      ORDER BY s.dispatch_key, s.step_uuid
      LIMIT p_max FOR UPDATE SKIP LOCKED) c
    ORDER BY c.dispatch_key, c.step_uuid
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
         m.attempts, m.max_attempts, m.lease_token, m.lease_expires_at, m.timeout_seconds, t.correlation_id,
         m.checkpoint
  FROM moved m CROSS JOIN LATERAL (SELECT * FROM tasker.tasks x WHERE x.task_uuid = m.task_uuid) t
  ORDER BY m.dispatch_key, m.step_uuid;

  PERFORM tasker.notify_task_event(x) FROM unnest(v_tasks) AS x;
END $$;
-- create_task as in 0023, plus p_task.run_at (an ISO timestamp, optional): in the future, the task is created
-- `pending` with every step `pending` and nothing enqueued (tasker.start_due_tasks starts it); otherwise it
-- starts at once as before, with run_at = the creation time when one was given.
CREATE OR REPLACE FUNCTION tasker.create_task(p_task jsonb, p_steps jsonb)
RETURNS tasker.tasks
LANGUAGE plpgsql AS $$
DECLARE
  t tasker.tasks;
  v_n integer := jsonb_array_length(p_steps);
  v_roots integer;
  v_actor text := p_task->>'initiator';
  v_base uuid := tasker.uuid_generate_v7();
  v_run_at timestamptz := (p_task->>'run_at')::timestamptz;
  v_later boolean := v_run_at IS NOT NULL AND v_run_at > now();
BEGIN
  IF p_task ? 'template_hash' AND NOT EXISTS (
       SELECT 1 FROM tasker.templates
       WHERE template_uuid = (p_task->>'template_uuid')::uuid AND content_hash = p_task->>'template_hash') THEN
    RAISE EXCEPTION 'template % changed since it was cached', p_task->>'template_uuid' USING ERRCODE = 'TK001';
  END IF;
  SELECT count(*) INTO v_roots FROM jsonb_array_elements(p_steps) AS e(value) WHERE jsonb_array_length(e.value->'parents') = 0;
  IF v_run_at IS NOT NULL AND NOT v_later THEN
    v_run_at := now();
  END IF;

  INSERT INTO tasker.tasks (template_uuid, namespace, name, version, state, context, initiator, source_system, reason,
                            priority, tags, correlation_id, parent_correlation_id, identity_hash, idempotency_key,
                            options, steps_total, steps_pending, steps_active, run_at)
  VALUES ((p_task->>'template_uuid')::uuid, p_task->>'namespace', p_task->>'name', p_task->>'version',
          CASE WHEN v_later THEN 'pending' ELSE 'steps_in_process' END,
          p_task->'context', p_task->>'initiator', p_task->>'source_system', p_task->>'reason',
          coalesce((p_task->>'priority')::integer, 0),
          coalesce(ARRAY(SELECT jsonb_array_elements_text(p_task->'tags')), '{}'),
          coalesce((p_task->>'correlation_id')::uuid, tasker.uuid_generate_v7()),
          (p_task->>'parent_correlation_id')::uuid, p_task->>'identity_hash', p_task->>'idempotency_key',
          p_task->'options', v_n, CASE WHEN v_later THEN v_n ELSE v_n - v_roots END,
          CASE WHEN v_later THEN 0 ELSE v_roots END, v_run_at)
  RETURNING * INTO t;

  -- The task's event first: a watcher replaying from the start sees the task before its steps.
  IF v_later THEN
    PERFORM tasker.insert_task_transition(t.task_uuid, NULL, 'pending', 'create', v_actor, t.reason,
              jsonb_build_object('run_at', v_run_at));
  ELSE
    PERFORM tasker.insert_task_transition(t.task_uuid, NULL, 'steps_in_process', 'create>start>ready_steps_found>steps_enqueued',
              v_actor, t.reason, jsonb_build_object('count', v_roots));
  END IF;

  WITH spec AS (
    SELECT s.*, o.ord, jsonb_array_length(s.parents) AS np, (NOT v_later AND jsonb_array_length(s.parents) = 0) AS go
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
           CASE WHEN spec.go THEN 'enqueued' ELSE 'pending' END, t.namespace, t.priority, spec.step_type,
           spec.handler_callable, spec.handler_method, coalesce(spec.initialization, '{}'), spec.retryable,
           spec.max_attempts, spec.backoff_kind, spec.backoff_base_ms, spec.backoff_max_ms, spec.backoff_jitter,
           spec.timeout_seconds, spec.np, spec.np,
           CASE WHEN spec.go THEN now() END,
           CASE WHEN spec.go THEN nextval('tasker.event_id_seq') END
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

  IF p_task ? 'plan' THEN
    INSERT INTO tasker.task_plans (task_uuid, plan) VALUES (t.task_uuid, p_task->'plan');
    PERFORM tasker.refresh_convergence_holds(t.task_uuid);
  END IF;

  IF NOT v_later THEN
    PERFORM tasker.notify_steps_ready(t.namespace, ARRAY(
      SELECT e.value->>'handler_callable' FROM jsonb_array_elements(p_steps) AS e(value)
      WHERE jsonb_array_length(e.value->'parents') = 0));
  END IF;
  RETURN t;
END $$;

-- Starts up to p_limit pending tasks whose run_at has come (tasks another transaction holds are left for the
-- next call), each as create_task starts a task at once: pending → steps_in_process, its ready steps enqueued.
-- Returns how many started and the earliest start time still ahead (NULL: none).
CREATE FUNCTION tasker.start_due_tasks(p_limit integer)
RETURNS TABLE (started integer, next_due_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_tasks uuid[];
BEGIN
  v_tasks := ARRAY(SELECT t.task_uuid FROM tasker.tasks t WHERE t.state = 'pending' AND t.run_at <= now()
                   ORDER BY t.run_at, t.task_uuid LIMIT p_limit FOR NO KEY UPDATE SKIP LOCKED);
  IF cardinality(v_tasks) > 0 THEN
    -- The task's event first, as in create_task.
    PERFORM tasker.insert_task_transition(r.task_uuid, 'pending', 'steps_in_process', 'start>ready_steps_found>steps_enqueued',
              'task_starter', NULL, jsonb_build_object('count', r.n))
    FROM (SELECT s.task_uuid, count(*) AS n FROM tasker.steps s
          WHERE s.task_uuid = ANY (v_tasks) AND s.state = 'pending' AND s.unsatisfied_parents = 0
          GROUP BY s.task_uuid ORDER BY s.task_uuid) r;
    WITH moved AS (
      UPDATE tasker.steps x SET state = 'enqueued', enqueued_at = now(), enqueue_event_id = nextval('tasker.event_id_seq'),
                                enqueue_from = 'pending', updated_at = now()
      WHERE x.task_uuid = ANY (v_tasks) AND x.state = 'pending' AND x.unsatisfied_parents = 0
      RETURNING x.task_uuid, x.namespace, x.handler_callable
    ), per_task AS (
      SELECT m.task_uuid, count(*)::integer AS n FROM moved m GROUP BY m.task_uuid
    ), tasks AS (
      UPDATE tasker.tasks x SET state = 'steps_in_process', state_entered_at = now(), updated_at = now(),
                                steps_pending = x.steps_pending - p.n, steps_active = x.steps_active + p.n
      FROM (SELECT u.id, coalesce(p.n, 0) AS n FROM unnest(v_tasks) AS u(id) LEFT JOIN per_task p ON p.task_uuid = u.id) p
      WHERE x.task_uuid = p.id
    )
    -- One notification per namespace (started counts the namespaces here; it is set below).
    SELECT count(*) FROM (
      SELECT tasker.notify_steps_ready(m.namespace, array_agg(DISTINCT m.handler_callable)) FROM moved m GROUP BY m.namespace
    ) n INTO started;
    PERFORM tasker.notify_task_event(x) FROM unnest(v_tasks) AS x;
  END IF;
  started := cardinality(v_tasks);
  SELECT min(t.run_at) INTO next_due_at FROM tasker.tasks t WHERE t.state = 'pending' AND t.run_at IS NOT NULL;
  RETURN NEXT;
END $$;

-- A delayed task's lifetime counts from its start (run_at), not from its creation: otherwise a task created to
-- start later than its maximum lifetime would be closed as stale the moment it starts. Only the age changes.
CREATE OR REPLACE FUNCTION tasker.detect_stale_tasks(p_limit integer, p_dry_run boolean, p_dependencies_minutes integer, p_retry_minutes integer, p_in_process_minutes integer, p_lifetime_hours integer)
 RETURNS TABLE(task_uuid uuid, namespace text, name text, state text, minutes_in_state double precision, minutes_without_progress double precision, task_age_minutes double precision, threshold_minutes double precision, cause text, action text, moved boolean, entry_opened boolean, steps_stopped integer)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  r record;
  s tasker.steps;
  v_progress timestamptz;
  v_quiet double precision;
  v_ids uuid[];
  v_reason text;
  v_error jsonb;
  v_inserted integer;
  c_running constant text[] := ARRAY['enqueued', 'in_progress', 'waiting_for_retry'];
BEGIN
  FOR r IN
    SELECT t.task_uuid AS tid, t.namespace AS ns, t.name AS tname, t.state AS st,
           extract(epoch FROM now() - t.state_entered_at) / 60 AS in_state,
           extract(epoch FROM now() - greatest(t.created_at, coalesce(t.run_at, t.created_at))) / 60 AS age,
           lim.state_limit, lim.age_limit, lim.fails, lim.entry
    FROM tasker.tasks t
    JOIN tasker.templates tp ON tp.template_uuid = t.template_uuid
    CROSS JOIN LATERAL (
      SELECT tasker.staleness_threshold_minutes(t.state, tp.definition, p_dependencies_minutes, p_retry_minutes,
                                                p_in_process_minutes) AS state_limit,
             tasker.task_max_lifetime_minutes(tp.definition, p_lifetime_hours) AS age_limit,
             tasker.staleness_fails_task(tp.definition) AS fails,
             tasker.staleness_opens_entry(tp.definition) AS entry
    ) lim
    WHERE t.state IN ('waiting_for_dependencies', 'waiting_for_retry', 'steps_in_process')
      AND (lim.fails OR lim.entry)
      AND (greatest(t.created_at, coalesce(t.run_at, t.created_at)) <= now() - lim.age_limit * interval '1 minute'
           OR (t.state_entered_at <= now() - lim.state_limit * interval '1 minute'
               AND tasker.task_progress_at(t.task_uuid) <= now() - lim.state_limit * interval '1 minute'))
      AND NOT EXISTS (SELECT 1 FROM tasker.dlq_entries d
                      WHERE d.task_uuid = t.task_uuid AND d.resolution_status = 'pending')
    ORDER BY t.state_entered_at
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED
  LOOP
    v_ids := '{}';
    IF r.fails AND NOT p_dry_run THEN
      v_ids := ARRAY(SELECT x.step_uuid FROM tasker.steps x
                     WHERE x.task_uuid = r.tid AND x.state = ANY (c_running)
                     ORDER BY x.step_uuid FOR UPDATE SKIP LOCKED);
      CONTINUE WHEN cardinality(v_ids) <> (SELECT count(*) FROM tasker.steps x
                                           WHERE x.task_uuid = r.tid AND x.state = ANY (c_running));
    END IF;
    -- Measured again now that the task (and its running steps) are ours: a heartbeat or result that committed
    -- since the candidates were read counts.
    v_progress := tasker.task_progress_at(r.tid);
    v_quiet := greatest(extract(epoch FROM now() - v_progress) / 60, 0);
    CONTINUE WHEN v_quiet < r.state_limit AND r.age < r.age_limit;

    task_uuid := r.tid;
    namespace := r.ns;
    name := r.tname;
    state := r.st;
    minutes_in_state := r.in_state;
    minutes_without_progress := v_quiet;
    task_age_minutes := r.age;
    cause := CASE WHEN v_quiet >= r.state_limit THEN 'no_progress' ELSE 'max_lifetime' END;
    threshold_minutes := CASE WHEN cause = 'no_progress' THEN r.state_limit ELSE r.age_limit END;
    action := CASE WHEN r.fails AND r.entry THEN 'dlq' WHEN r.fails THEN 'error' ELSE 'entry_only' END;
    moved := false;
    entry_opened := false;
    steps_stopped := 0;
    IF NOT p_dry_run THEN
      v_reason := CASE WHEN cause = 'no_progress'
                    THEN format('no progress for %s min in %s (limit %s min)', round(v_quiet::numeric, 1), r.st, threshold_minutes)
                    ELSE format('alive for %s min (limit %s min)', round(r.age::numeric, 1), threshold_minutes) END;
      IF r.entry THEN
        INSERT INTO tasker.dlq_entries (task_uuid, original_state, reason, task_snapshot)
        VALUES (r.tid, r.st, 'staleness_timeout', tasker.task_snapshot(r.tid, jsonb_build_object('staleness', jsonb_build_object(
                  'state', r.st, 'cause', cause, 'action', action, 'minutes_in_state', round(r.in_state::numeric, 2),
                  'minutes_without_progress', round(v_quiet::numeric, 2), 'last_progress_at', v_progress,
                  'task_age_minutes', round(r.age::numeric, 2), 'threshold_minutes', threshold_minutes,
                  'detected_at', now()))))
        ON CONFLICT (task_uuid) WHERE resolution_status = 'pending' DO NOTHING;
        GET DIAGNOSTICS v_inserted = ROW_COUNT;
        entry_opened := v_inserted > 0;
        -- Entry only, and another replica opened it first: nothing left to do or report.
        CONTINUE WHEN NOT r.fails AND NOT entry_opened;
      END IF;
      IF r.fails THEN
        v_error := jsonb_build_object('message', 'stopped: the staleness detector closed the task (' || v_reason || ')',
                                      'error_type', 'staleness_timeout', 'retryable', false, 'status_code', NULL);
        FOR s IN SELECT * FROM tasker.steps x WHERE x.step_uuid = ANY (v_ids) ORDER BY x.step_uuid LOOP
          IF s.state = 'in_progress' THEN
            PERFORM tasker.record_attempt(s, 'cancelled', 'staleness_timeout', 'error', 'staleness_detector', NULL, v_error);
          ELSE
            PERFORM tasker.flush_enqueue_event(s);
            PERFORM tasker.insert_step_transition(r.tid, s.step_uuid, s.state, 'error', 'staleness_timeout', s.attempts,
                                                  'staleness_detector', v_reason);
          END IF;
        END LOOP;
        UPDATE tasker.steps x SET state = 'error', last_error = v_error, last_failure_at = now(), lease_token = NULL,
                                  lease_expires_at = NULL, leased_by = NULL, next_retry_at = NULL,
                                  enqueue_event_id = NULL, enqueue_from = NULL, claim_event_id = NULL, updated_at = now()
        WHERE x.step_uuid = ANY (v_ids);
        -- Stopped batch workers run no more: their batches' holds follow (released ones wait for resume).
        PERFORM tasker.refresh_batch_slots(r.tid, b.created_by_step_uuid, b.template_step)
        FROM (SELECT DISTINCT x.created_by_step_uuid, x.template_step FROM tasker.steps x
              WHERE x.step_uuid = ANY (v_ids) AND x.step_type = 'batch_worker') b;
        steps_stopped := cardinality(v_ids);
        -- The task's own transition last: a watcher's stream ends at it, after every step event.
        PERFORM tasker.insert_task_transition(r.tid, r.st, 'error', 'staleness_timeout', 'staleness_detector', v_reason,
                  jsonb_build_object('cause', cause, 'threshold_minutes', threshold_minutes, 'steps_stopped', steps_stopped,
                                     'dlq_entry', entry_opened));
        -- Every step that could run was stopped: none is active or backing off any more.
        UPDATE tasker.tasks x SET state = 'error', state_entered_at = now(), completed_at = now(), updated_at = now(),
                                  steps_error = x.steps_error + x.steps_active + x.steps_waiting_for_retry,
                                  steps_active = 0, steps_waiting_for_retry = 0
        WHERE x.task_uuid = r.tid;
        PERFORM tasker.notify_task_event(r.tid);
        moved := true;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
END $function$;
